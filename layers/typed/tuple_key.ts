/**
 * Order-preserving tuple keys: {@link encodeKey} / {@link decodeKey}.
 *
 * The encoding is FoundationDB's tuple layer, the same family Deno KV uses,
 * so byte order of encoded keys equals Deno KV's order of the tuples
 * (`Uint8Array < string < bigint < number < boolean`, element by element,
 * shorter tuple first). Each element is a type code and a body:
 * bytes `0x01` and strings `0x02` (UTF-8) escape `0x00` as `00 FF` and end
 * with `00`; bigints `0x0b`..`0x1d` (sign and length in the code, big-endian
 * magnitude, one's complement when negative); numbers `0x21` and 8 bytes of
 * IEEE-754 big-endian with the sign bit flipped (all bits flipped when
 * negative, so -0 sorts before 0 and NaN after +Infinity); booleans `0x26` /
 * `0x27`. Tuples concatenate their elements, so a tuple's encoding is a byte
 * prefix of the encoding of every longer tuple that starts with it.
 *
 * @module
 */
import { decodeTuple, encodeTuple, TupleDecodeError, type TuplePolicy } from "../_tuple_codec.ts";
import { TypedKvError } from "./typed_kv_error.ts";

/** One element of a tuple key (the element types Deno KV keys have). */
export type KeyPart = string | number | bigint | boolean | Uint8Array;
/** A tuple key. */
export type TupleKey = readonly KeyPart[];

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return typeof v;
}

/** The typed layer's rules: the five element types exactly, well-formed strings. */
const TYPED_RULES: TuplePolicy = {
  otherPart(part) {
    throw new TypedKvError(
      "InvalidInput",
      `Cannot encode key: element of type ${
        describe(part)
      } (allowed: string, number, bigint, boolean, Uint8Array)`,
    );
  },
  loneSurrogate() {
    throw new TypedKvError("InvalidInput", "Cannot encode key: string has a lone surrogate");
  },
  bigintTooLarge(bytes) {
    throw new TypedKvError(
      "InvalidInput",
      `Cannot encode key: bigint of ${bytes} bytes is too large (at most 255)`,
    );
  },
};

/**
 * Encodes a tuple key into bytes whose unsigned byte order is Deno KV's
 * order of the tuples.
 *
 * @param key a tuple of strings, numbers, bigints, booleans and Uint8Arrays
 * @returns the encoded key
 * @throws TypedKvError `InvalidInput` for another element type, a string that
 *   is not well-formed UTF-16, or a bigint over 255 bytes
 *
 * @example
 * ```ts
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * import { encodeKey } from "@cooljapan/oxistore/typed";
 * import { compareBytes } from "@cooljapan/oxistore";
 * strictEqual(compareBytes(encodeKey(["user", 2]), encodeKey(["user", 10])), -1);
 * deepStrictEqual(encodeKey(["a"]), new Uint8Array([2, 97, 0]));
 * ```
 */
export function encodeKey(key: TupleKey): Uint8Array {
  if (!Array.isArray(key)) {
    throw new TypedKvError(
      "InvalidInput",
      `Cannot encode key: expected a tuple (array), got ${describe(key)}`,
    );
  }
  return encodeTuple(key, TYPED_RULES);
}

/**
 * Decodes bytes made by {@link encodeKey} back into the tuple.
 *
 * @param bytes an encoded key
 * @returns the tuple
 * @throws TypedKvError `Corruption` for bytes that are not an encoded tuple
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { decodeKey, encodeKey } from "@cooljapan/oxistore/typed";
 * deepStrictEqual(decodeKey(encodeKey(["order", 42n, true])), ["order", 42n, true]);
 * ```
 */
export function decodeKey(bytes: Uint8Array): KeyPart[] {
  try {
    return decodeTuple(bytes);
  } catch (err) {
    if (!(err instanceof TupleDecodeError)) throw err;
    throw new TypedKvError("Corruption", err.message, { cause: err.cause ?? err });
  }
}
