/**
 * Byte helpers every engine shares: string→bytes conversion, memcmp ordering,
 * prefix bounds and the key/value size limits.
 *
 * @module
 */
import { StoreError } from "./error.ts";

/**
 * Bytes as stored and returned.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import type { Bytes } from "@cooljapan/oxistore";
 * const b: Bytes = new Uint8Array([1, 2]);
 * strictEqual(b.length, 2);
 * ```
 */
export type Bytes = Uint8Array;
/**
 * Anything a key, value, prefix or bound may be given as (strings are UTF-8).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import type { BytesLike } from "@cooljapan/oxistore";
 * const keys: BytesLike[] = ["user/1", new Uint8Array([0xff])];
 * strictEqual(keys.length, 2);
 * ```
 */
export type BytesLike = Uint8Array | string;

/**
 * Largest key in bytes, on every engine.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { MAX_KEY_BYTES } from "@cooljapan/oxistore";
 * strictEqual(MAX_KEY_BYTES, 2048);
 * ```
 */
export const MAX_KEY_BYTES = 2048;
/**
 * Largest value in bytes, on every engine (64 MiB).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { MAX_VALUE_BYTES } from "@cooljapan/oxistore";
 * strictEqual(MAX_VALUE_BYTES, 64 * 1024 * 1024);
 * ```
 */
export const MAX_VALUE_BYTES = 64 * 1024 * 1024;

const encoder = new TextEncoder();

/**
 * Converts a key, value or bound to bytes; strings are UTF-8 encoded.
 * Anything else is `InvalidInput`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { toBytes } from "@cooljapan/oxistore";
 * deepStrictEqual(toBytes("ab"), new Uint8Array([97, 98]));
 * ```
 */
export function toBytes(input: BytesLike, what = "key"): Bytes {
  if (input instanceof Uint8Array) return input;
  if (typeof input === "string") return encoder.encode(input);
  throw new StoreError(
    "InvalidInput",
    `Invalid ${what}: expected Uint8Array or string, got ${describe(input)}`,
  );
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value;
}

/**
 * Throws `InvalidInput` for a key or value that is neither bytes nor a string,
 * naming the operation (`Cannot put: the key must be …`).
 */
function notBytes(input: unknown, what: string, op: string): never {
  throw new StoreError(
    "InvalidInput",
    `Cannot ${op}: the ${what} must be a Uint8Array or string, got ${describe(input)}`,
  );
}

/** Converts and checks a key against {@link MAX_KEY_BYTES}. */
export function checkKey(input: BytesLike, op = "use key"): Bytes {
  // The message is built only when needed: this runs on every read.
  const key = input instanceof Uint8Array
    ? input
    : typeof input === "string"
    ? encoder.encode(input)
    : notBytes(input, "key", op);
  if (key.length > MAX_KEY_BYTES) {
    throw new StoreError(
      "InvalidInput",
      `Cannot ${op}: key is ${key.length} bytes, the limit is ${MAX_KEY_BYTES}`,
    );
  }
  return key;
}

/** Converts and checks a value against {@link MAX_VALUE_BYTES}. */
export function checkValue(input: BytesLike, op = "write value"): Bytes {
  const value = input instanceof Uint8Array
    ? input
    : typeof input === "string"
    ? encoder.encode(input)
    : notBytes(input, "value", op);
  if (value.length > MAX_VALUE_BYTES) {
    throw new StoreError(
      "InvalidInput",
      `Cannot ${op}: value is ${value.length} bytes, the limit is ${MAX_VALUE_BYTES}`,
    );
  }
  return value;
}

/**
 * Unsigned byte-wise comparison, shorter prefix first (like `memcmp`).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { compareBytes } from "@cooljapan/oxistore";
 * strictEqual(compareBytes(new Uint8Array([1]), new Uint8Array([1, 0])), -1);
 * ```
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** True when both arrays hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when `key` starts with `prefix`. */
export function hasPrefix(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

/** Concatenates byte arrays into a fresh one. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The smallest key greater than every key that starts with `prefix`, or
 * `undefined` when there is none (empty or all-0xff prefix).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { prefixUpperBound } from "@cooljapan/oxistore";
 * strictEqual(new TextDecoder().decode(prefixUpperBound("foo")), "fop");
 * strictEqual(prefixUpperBound(new Uint8Array([0xff])), undefined);
 * ```
 */
export function prefixUpperBound(prefix: BytesLike): Bytes | undefined {
  const p = toBytes(prefix, "prefix");
  for (let i = p.length - 1; i >= 0; i--) {
    if (p[i] !== 0xff) {
      const out = p.slice(0, i + 1);
      out[i]!++;
      return out;
    }
  }
  return undefined;
}

/** Lower-case hex of the bytes (core/encoding.ts). */
export { toHex } from "./encoding.ts";
