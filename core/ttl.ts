/**
 * Expiry helpers and the value header that carries a key's deadline.
 *
 * Every engine stores a value as `header ‖ value`: one tag byte, 0 for "no
 * TTL" or 1 for "expires at", then for tag 1 the deadline as a big-endian
 * float64 of epoch milliseconds.
 *
 * @module
 */
import { StoreError } from "./error.ts";

/**
 * The epoch-millisecond deadline `ttlMs` from now.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { expiryEpochMillis } from "@cooljapan/oxistore";
 * strictEqual(expiryEpochMillis(1000) > Date.now(), true);
 * ```
 */
export function expiryEpochMillis(ttlMs: number): number {
  checkTtl(ttlMs);
  return Date.now() + ttlMs;
}

/**
 * True once the deadline has passed.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { isExpired } from "@cooljapan/oxistore";
 * strictEqual(isExpired(Date.now() - 1), true);
 * ```
 */
export function isExpired(expiryMillis: number, now: number = Date.now()): boolean {
  return expiryMillis <= now;
}

/** Throws InvalidInput unless `ttlMs` is a finite, non-negative number. */
export function checkTtl(ttlMs: number, op = "set a TTL"): void {
  if (typeof ttlMs !== "number" || !Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new StoreError(
      "InvalidInput",
      `Invalid TTL for ${op}: expected a finite number of milliseconds >= 0, got ${String(ttlMs)}`,
    );
  }
}

const TAG_PLAIN = 0;
const TAG_EXPIRES = 1;

/** Wraps a value with its header; `expiresAt` is epoch ms, or undefined. */
export function encodeStored(value: Uint8Array, expiresAt?: number): Uint8Array {
  if (expiresAt === undefined) {
    const out = new Uint8Array(value.length + 1);
    out[0] = TAG_PLAIN;
    out.set(value, 1);
    return out;
  }
  const out = new Uint8Array(value.length + 9);
  out[0] = TAG_EXPIRES;
  new DataView(out.buffer).setFloat64(1, expiresAt);
  out.set(value, 9);
  return out;
}

/** Bytes {@link encodeStored} adds in front of a value. */
export function storedHeaderBytes(expiresAt: number | undefined): number {
  return expiresAt === undefined ? 1 : 9;
}

/** {@link encodeStored} into `out` (exactly header + value bytes long), for callers that pool arrays. */
export function encodeStoredInto(
  out: Uint8Array,
  value: Uint8Array,
  expiresAt: number | undefined,
): Uint8Array {
  if (expiresAt === undefined) out[0] = TAG_PLAIN;
  else {
    out[0] = TAG_EXPIRES;
    new DataView(out.buffer, out.byteOffset, 9).setFloat64(1, expiresAt);
  }
  out.set(value, storedHeaderBytes(expiresAt));
  return out;
}

/** A stored value split into the user's bytes and its deadline. */
export interface StoredValue {
  value: Uint8Array;
  expiresAt: number | undefined;
}

/** Splits a stored value; a header it does not know is `Corruption`. */
export function decodeStored(stored: Uint8Array): StoredValue {
  const tag = stored[0];
  if (tag === TAG_PLAIN) return { value: stored.subarray(1), expiresAt: undefined };
  if (tag === TAG_EXPIRES && stored.length >= 9) {
    const view = new DataView(stored.buffer, stored.byteOffset, 9);
    return { value: stored.subarray(9), expiresAt: view.getFloat64(1) };
  }
  throw new StoreError(
    "Corruption",
    `Cannot decode stored value: unknown header tag ${String(tag)}`,
  );
}

/**
 * The user's bytes of a stored value (no copy), or undefined once it has
 * expired; an unknown header is `Corruption`. The hot path of every read.
 */
export function liveValue(stored: Uint8Array, now?: number): Uint8Array | undefined {
  const tag = stored[0];
  if (tag === TAG_PLAIN) return stored.subarray(1);
  if (tag === TAG_EXPIRES && stored.length >= 9) {
    const at = new DataView(stored.buffer, stored.byteOffset, 9).getFloat64(1);
    return at <= (now ?? Date.now()) ? undefined : stored.subarray(9);
  }
  return decodeStored(stored).value; // throws Corruption for an unknown tag
}

/** The deadline of a stored value without copying it, or undefined. */
export function storedExpiry(stored: Uint8Array): number | undefined {
  if (stored[0] !== TAG_EXPIRES) return undefined;
  return new DataView(stored.buffer, stored.byteOffset, 9).getFloat64(1);
}

/** True when a stored value is past its deadline. */
export function storedIsExpired(stored: Uint8Array, now: number = Date.now()): boolean {
  const at = storedExpiry(stored);
  return at !== undefined && at <= now;
}
