/**
 * Rules every blob backend applies to keys, prefixes, metadata and content
 * types, so a program behaves the same on disk, in memory and in the cloud;
 * plus the key order and where content-addressed blobs live.
 *
 * @module
 */
import { StoreError } from "../core/error.ts";
import { Digest } from "./digest.ts";

/** Longest blob key in UTF-8 bytes (S3's limit, the smallest of the clouds). */
export const MAX_BLOB_KEY_BYTES = 1024;
/** Largest user metadata (names + values) in bytes (S3's limit). */
export const MAX_METADATA_BYTES = 2048;
/** Where `putCas` stores content: `cas/sha256/<2 hex>/<64 hex>`. */
export const CAS_PREFIX = "cas/sha256/";

const encoder = new TextEncoder();
// C0 controls, DEL and the backslash: not portable in file names or HTTP paths.
// deno-lint-ignore no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f\\]/;
const META_NAME = /^[a-z_][a-z0-9_]{0,127}$/;
const PRINTABLE = /^[\u0020-\u007e]*$/;

function show(s: string): string {
  const j = JSON.stringify(s);
  return j.length > 120 ? j.slice(0, 117) + '..."' : j;
}

function bad(op: string, what: string, value: string, why: string): StoreError {
  return new StoreError("InvalidInput", `Cannot ${op}: ${what} ${show(value)} ${why}`);
}

function checkCommon(value: unknown, op: string, what: string): string {
  if (typeof value !== "string") {
    throw new StoreError("InvalidInput", `Cannot ${op}: ${what} must be a string`);
  }
  if (FORBIDDEN.test(value)) {
    throw bad(op, what, value, "contains a control character or a backslash");
  }
  if (!value.isWellFormed()) throw bad(op, what, value, "is not well-formed Unicode");
  if (value.startsWith("/")) throw bad(op, what, value, "is absolute (starts with '/')");
  if (encoder.encode(value).length > MAX_BLOB_KEY_BYTES) {
    throw bad(op, what, value, `is longer than ${MAX_BLOB_KEY_BYTES} UTF-8 bytes`);
  }
  return value;
}

/**
 * Validates a blob key: a non-empty relative `/`-separated path with no empty,
 * `.` or `..` segment, no control character (NUL included), no backslash, at
 * most 1024 UTF-8 bytes. Returns the key; otherwise throws `InvalidInput`.
 *
 * `"photos/2024/cat.jpg"` passes; `"../etc/passwd"` is `InvalidInput`.
 */
export function checkBlobKey(key: string, op = "use blob key"): string {
  checkCommon(key, op, "key");
  if (key === "") throw bad(op, "key", key, "is empty");
  for (const seg of key.split("/")) {
    if (seg === "") throw bad(op, "key", key, "has an empty path segment");
    if (seg === "." || seg === "..") throw bad(op, "key", key, `has a '${seg}' segment`);
  }
  return key;
}

/**
 * Validates a listing prefix: like a key, but it may be empty, may end with
 * `/`, and its last (partial) segment may be anything a segment may start with.
 *
 * `"photos/"` and `"pho"` both pass.
 */
export function checkBlobPrefix(prefix: string, op = "list blobs"): string {
  checkCommon(prefix, op, "prefix");
  const segs = prefix.split("/");
  segs.pop(); // the partial tail: "a/." may still match "a/.hidden"
  for (const seg of segs) {
    if (seg === "") throw bad(op, "prefix", prefix, "has an empty path segment");
    if (seg === "." || seg === "..") throw bad(op, "prefix", prefix, `has a '${seg}' segment`);
  }
  return prefix;
}

/**
 * Validates user metadata and returns a plain copy: names
 * `[a-z_][a-z0-9_]{0,127}`, values printable ASCII, 2 KiB in total.
 */
export function checkMetadata(
  metadata: Record<string, string> | undefined,
  op = "write blob",
): Record<string, string> {
  const out: Record<string, string> = {};
  if (metadata === undefined) return out;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new StoreError("InvalidInput", `Cannot ${op}: metadata must be a plain object`);
  }
  let total = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (!META_NAME.test(name)) {
      throw bad(op, "metadata name", name, "must match [a-z_][a-z0-9_]{0,127}");
    }
    if (typeof value !== "string" || !PRINTABLE.test(value)) {
      throw bad(op, `metadata value of`, name, "must be a printable ASCII string");
    }
    total += name.length + value.length;
    out[name] = value;
  }
  if (total > MAX_METADATA_BYTES) {
    throw new StoreError(
      "InvalidInput",
      `Cannot ${op}: metadata is ${total} bytes, the limit is ${MAX_METADATA_BYTES}`,
    );
  }
  return out;
}

/**
 * Validates a content type (printable ASCII, at most 256 characters).
 */
export function checkContentType(
  contentType: string | undefined,
  op = "write blob",
): string | undefined {
  if (contentType === undefined) return undefined;
  if (typeof contentType !== "string" || !PRINTABLE.test(contentType) || contentType.length > 256) {
    throw new StoreError(
      "InvalidInput",
      `Cannot ${op}: content type must be printable ASCII of at most 256 characters`,
    );
  }
  return contentType;
}

/**
 * Orders keys by UTF-8 bytes (= code points), the order `list` returns.
 * JavaScript's `<` compares UTF-16 units, which differs above U+FFFF.
 *
 * `["b", "a/b", "a"].sort(compareKeys)` is `["a", "a/b", "b"]`.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800–0xDFFF) encode code points above every BMP unit.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
}

/**
 * The key a content-addressed blob is stored under.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { casKey, sha256 } from "@cooljapan/oxistore/blob";
 * strictEqual(casKey(sha256("")).slice(0, 14), "cas/sha256/e3/");
 * ```
 */
export function casKey(digest: Digest | string): string {
  const hex = Digest.from(digest).hex;
  return `${CAS_PREFIX}${hex.slice(0, 2)}/${hex}`;
}
