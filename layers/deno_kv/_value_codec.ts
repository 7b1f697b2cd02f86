// Private: Deno KV values <-> bytes. Three shapes, as Deno KV has: V8-serialized values, raw
// Uint8Arrays and KvU64s (so sum/min/max read them without a deserializer).
import { isKvU64, KvU64 } from "./kv_u64.ts";
import { deserializeV8, serializeV8 } from "./_v8_format.ts";

const V8 = 0;
const BYTES = 1;
const U64 = 2;

/** oxistore's value limit less room for the record header: 64 MiB, not Deno KV's 64 KiB. */
export const MAX_VALUE_BYTES = 64 * 1024 * 1024 - 64;

/**
 * The encoded value after `room` free bytes (a record header goes there: see `RECORD_ROOM`);
 * `TypeError` for what cannot be cloned or is too large.
 */
export function encodeValue(value: unknown, room = 0): Uint8Array {
  let out: Uint8Array;
  if (value instanceof Uint8Array && value.constructor === Uint8Array) {
    out = new Uint8Array(room + value.length + 1);
    out[room] = BYTES;
    out.set(value, room + 1);
  } else if (isKvU64(value)) {
    out = new Uint8Array(room + 9);
    out[room] = U64;
    new DataView(out.buffer).setBigUint64(room + 1, value.value, true);
  } else {
    try {
      out = serializeV8(value, room + 1);
    } catch (err) {
      // Deno KV reports an uncloneable value as a TypeError with V8's message.
      throw new TypeError((err as Error).message ?? String(err), { cause: err });
    }
    out[room] = V8;
  }
  if (out.length - room - 1 > MAX_VALUE_BYTES) {
    throw new TypeError(`Value too large (max ${MAX_VALUE_BYTES} bytes)`);
  }
  return out;
}

/** The value of bytes made by {@link encodeValue}, from `at` (a record's value offset) on. */
export function decodeValue(bytes: Uint8Array, at = 0): unknown {
  switch (bytes[at]) {
    case BYTES:
      return bytes.slice(at + 1);
    case U64:
      return new KvU64(
        new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(at + 1, true),
      );
    case V8:
      return deserializeV8(bytes, at + 1);
  }
  throw new RangeError(`Cannot decode a Deno KV value: unknown value tag ${bytes[at]}`);
}

/** The KvU64 of an encoded value, or undefined when it holds something else. */
export function u64Of(bytes: Uint8Array): bigint | undefined {
  if (bytes[0] !== U64) return undefined;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(1, true);
}

/** An encoded KvU64. */
export function encodeU64(n: bigint): Uint8Array {
  return encodeValue(new KvU64(n));
}
