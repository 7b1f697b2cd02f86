/**
 * How core lays user keys out in an engine's raw keyspace: one tag byte for
 * the default tree, another plus a length-prefixed name for named trees.
 * Engines may keep private keys below {@link RAW_USER_LO}.
 *
 * @module
 */
import { StoreError } from "./error.ts";

/** First raw key byte core uses; engines may use smaller keys for themselves. */
export const RAW_USER_LO = 0x10;
/** First raw key byte past every key core writes. */
export const RAW_USER_HI = 0x12;

const DEFAULT_TAG = 0x10;
const NAMED_TAG = 0x11;

/** The raw prefix of the default tree (`undefined`) or a named tree. */
export function treePrefix(name?: string): Uint8Array {
  if (name === undefined) return new Uint8Array([DEFAULT_TAG]);
  if (typeof name !== "string" || name.length === 0) {
    throw new StoreError("InvalidInput", `Invalid tree name: expected a non-empty string`);
  }
  const bytes = new TextEncoder().encode(name);
  if (bytes.length > 255) {
    throw new StoreError(
      "InvalidInput",
      `Invalid tree name: ${bytes.length} bytes, the limit is 255`,
    );
  }
  const out = new Uint8Array(bytes.length + 2);
  out[0] = NAMED_TAG;
  out[1] = bytes.length;
  out.set(bytes, 2);
  return out;
}

/** `prefix ‖ key` in a fresh array. */
export function joinKey(prefix: Uint8Array, key: Uint8Array): Uint8Array {
  const p = prefix.length;
  const out = new Uint8Array(p + key.length);
  // A byte loop beats TypedArray#set's call overhead for the short keys of
  // point reads, the hottest path in the library.
  for (let i = 0; i < p; i++) out[i] = prefix[i]!;
  if (key.length <= 64) { for (let i = 0; i < key.length; i++) out[p + i] = key[i]!; }
  else out.set(key, p);
  return out;
}
