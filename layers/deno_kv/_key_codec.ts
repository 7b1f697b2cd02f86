// Private: Deno KV tuple keys <-> bytes that sort as Deno KV orders keys, through the tuple
// codec the typed layer shares (layers/_tuple_codec.ts), with Deno KV's rules: any typed array
// or DataView is stored as its bytes, a lone surrogate becomes U+FFFD, and refusals are the
// TypeErrors Deno KV gives. The bytes are the bytes Deno KV stores (checked against
// Deno.openKv in the tests).
import { StoreError } from "../../core/error.ts";
import {
  decodeTuple,
  encodeTuple,
  TUPLE_STRING,
  TupleDecodeError,
  type TuplePolicy,
} from "../_tuple_codec.ts";
import type { KvKey } from "./types.ts";
import { carveCopy } from "../../core/_slab.ts";

/** Deno KV's limits on encoded keys: writes take 2048 bytes, reads one more (range ends). */
export const MAX_WRITE_KEY_BYTES = 2048;
export const MAX_READ_KEY_BYTES = 2049;

const PART_TYPES = "expected string, number, bigint, ArrayBufferView, boolean";

const DENO_KV_RULES: TuplePolicy = {
  otherPart(part) {
    if (!ArrayBuffer.isView(part)) throw new TypeError(PART_TYPES);
    return new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
  },
  loneSurrogate() {
    // Deno KV stores it as TextEncoder does: U+FFFD.
  },
  bigintTooLarge() {
    throw new RangeError("BigInt key part is too large");
  },
};

/** Encodes a key; `TypeError`s as Deno KV gives for a non-array or a bad part. */
export function encodeKey(key: unknown): Uint8Array {
  if (!Array.isArray(key)) {
    throw new TypeError(`serde_v8 error: invalid type; expected: array, got: ${typeName(key)}`);
  }
  return encodeTuple(key, DENO_KV_RULES, carveCopy);
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  return typeof v === "object" ? "Object" : typeof v;
}

/** Encodes a key to write: not empty, at most 2048 bytes. */
export function encodeWriteKey(key: unknown): Uint8Array {
  const bytes = encodeKey(key);
  if ((key as unknown[]).length === 0) throw new TypeError("key cannot be empty");
  if (bytes.length > MAX_WRITE_KEY_BYTES) {
    throw new TypeError(`Key too large for write (max ${MAX_WRITE_KEY_BYTES} bytes)`);
  }
  return bytes;
}

/** The key part `Kv.commitVersionstamp()` stands for: the commit's versionstamp, as text. */
export const COMMIT_VERSIONSTAMP: unique symbol = Symbol("Deno.KvCommitVersionstamp");
/** Bytes of a versionstamp part: the string type byte, 20 hex characters, the terminator. */
const STAMP_PART_BYTES = 22;

/**
 * Encodes the key of a `set`: as {@link encodeWriteKey}, except that a last part
 * {@link COMMIT_VERSIONSTAMP} is left for the commit to fill in (`stamped`).
 */
export function encodeSetKey(key: unknown): { key: Uint8Array; stamped: boolean } {
  if (!Array.isArray(key) || key.length === 0 || key[key.length - 1] !== COMMIT_VERSIONSTAMP) {
    return { key: encodeWriteKey(key), stamped: false };
  }
  // Deno counts the parts before the versionstamp: a key of only that part is "empty".
  const bytes = encodeWriteKey(key.slice(0, -1));
  if (bytes.length + STAMP_PART_BYTES > MAX_WRITE_KEY_BYTES) {
    throw new TypeError(`Key too large for write (max ${MAX_WRITE_KEY_BYTES} bytes)`);
  }
  return { key: bytes, stamped: true };
}

/** A stamped key completed with the commit's versionstamp text. */
export function stampKey(prefix: Uint8Array, versionstamp: string): Uint8Array {
  const out = new Uint8Array(prefix.length + STAMP_PART_BYTES);
  out.set(prefix);
  out[prefix.length] = TUPLE_STRING;
  for (let i = 0; i < versionstamp.length; i++) {
    out[prefix.length + 1 + i] = versionstamp.charCodeAt(i);
  }
  return out;
}

/** Encodes a key to read: at most 2049 bytes. */
export function encodeReadKey(key: unknown): Uint8Array {
  const bytes = encodeKey(key);
  if (bytes.length > MAX_READ_KEY_BYTES) {
    throw new TypeError(`Key too large for read (max ${MAX_READ_KEY_BYTES} bytes)`);
  }
  return bytes;
}

/** Decodes an entry key; bytes that are no encoded key are `StoreError` kind `Corruption`. */
export function decodeKey(b: Uint8Array): KvKey {
  try {
    return decodeTuple(b);
  } catch (err) {
    if (!(err instanceof TupleDecodeError)) throw err;
    throw new StoreError("Corruption", `Cannot read a Deno KV entry: ${err.message}`, {
      cause: err.cause ?? err,
    });
  }
}
