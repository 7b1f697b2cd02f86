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
import { ByteWriter } from "../../core/byte_writer.ts";
import { fromHex } from "../../core/encoding.ts";
import { TypedKvError } from "./typed_kv_error.ts";

/** One element of a tuple key (the element types Deno KV keys have). */
export type KeyPart = string | number | bigint | boolean | Uint8Array;
/** A tuple key. */
export type TupleKey = readonly KeyPart[];

const BYTES = 0x01;
const STRING = 0x02;
const INT_ZERO = 0x14;
const NEG_BIG = 0x0b;
const POS_BIG = 0x1d;
const DOUBLE = 0x21;
const FALSE = 0x26;
const TRUE = 0x27;

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

class Writer extends ByteWriter {
  /** Bytes with 0x00 escaped as 00 FF, then a 00 terminator. */
  escaped(b: Uint8Array): void {
    this.ensure(b.length * 2 + 1);
    for (const x of b) {
      this.buf[this.len++] = x;
      if (x === 0) this.buf[this.len++] = 0xff;
    }
    this.buf[this.len++] = 0;
  }
}

function bigintBytes(n: bigint): Uint8Array {
  const hex = n.toString(16);
  return fromHex(hex.length % 2 ? "0" + hex : hex);
}

function writeBigint(w: Writer, n: bigint): void {
  if (n === 0n) return w.byte(INT_ZERO);
  const neg = n < 0n;
  const mag = bigintBytes(neg ? -n : n);
  if (mag.length > 255) {
    throw new TypedKvError(
      "InvalidInput",
      `Cannot encode key: bigint of ${mag.length} bytes is too large (at most 255)`,
    );
  }
  if (neg) { for (let i = 0; i < mag.length; i++) mag[i] = ~mag[i]! & 0xff; }
  if (mag.length <= 8) w.byte(neg ? INT_ZERO - mag.length : INT_ZERO + mag.length);
  else {
    w.byte(neg ? NEG_BIG : POS_BIG);
    w.byte(neg ? mag.length ^ 0xff : mag.length);
  }
  w.ensure(mag.length);
  w.buf.set(mag, w.len);
  w.len += mag.length;
}

const f64 = new DataView(new ArrayBuffer(8));

function writeNumber(w: Writer, x: number): void {
  f64.setFloat64(0, Number.isNaN(x) ? NaN : x); // one canonical NaN
  w.byte(DOUBLE);
  w.ensure(8);
  const neg = (f64.getUint8(0) & 0x80) !== 0;
  for (let i = 0; i < 8; i++) {
    const b = f64.getUint8(i);
    w.buf[w.len++] = neg ? ~b & 0xff : i === 0 ? b ^ 0x80 : b;
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return typeof v;
}

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
  const w = new Writer(64);
  for (const part of key as KeyPart[]) {
    if (part instanceof Uint8Array) {
      w.byte(BYTES);
      w.escaped(part);
    } else if (typeof part === "string") {
      if (!part.isWellFormed()) {
        throw new TypedKvError("InvalidInput", "Cannot encode key: string has a lone surrogate");
      }
      w.byte(STRING);
      w.escaped(enc.encode(part));
    } else if (typeof part === "bigint") writeBigint(w, part);
    else if (typeof part === "number") writeNumber(w, part);
    else if (typeof part === "boolean") w.byte(part ? TRUE : FALSE);
    else {
      throw new TypedKvError(
        "InvalidInput",
        `Cannot encode key: element of type ${
          describe(part)
        } (allowed: string, number, bigint, boolean, Uint8Array)`,
      );
    }
  }
  return w.copy();
}

function corrupt(detail: string): TypedKvError {
  return new TypedKvError("Corruption", `Cannot decode key: ${detail}`);
}

function readEscaped(b: Uint8Array, at: number): [Uint8Array, number] {
  const out: number[] = [];
  let i = at;
  for (;;) {
    if (i >= b.length) throw corrupt("unterminated bytes or string");
    const x = b[i++]!;
    if (x !== 0) out.push(x);
    else if (b[i] === 0xff) {
      out.push(0);
      i++;
    } else return [new Uint8Array(out), i];
  }
}

function readMagnitude(b: Uint8Array, at: number, n: number, neg: boolean): bigint {
  if (at + n > b.length) throw corrupt("truncated integer");
  let v = 0n;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(neg ? ~b[at + i]! & 0xff : b[at + i]!);
  return neg ? -v : v;
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
  const out: KeyPart[] = [];
  let i = 0;
  while (i < bytes.length) {
    const code = bytes[i++]!;
    if (code === BYTES || code === STRING) {
      const [body, next] = readEscaped(bytes, i);
      i = next;
      if (code === BYTES) out.push(body);
      else {
        try {
          out.push(dec.decode(body));
        } catch (err) {
          throw new TypedKvError("Corruption", "Cannot decode key: bad UTF-8 string", {
            cause: err,
          });
        }
      }
    } else if (code >= NEG_BIG && code <= POS_BIG) {
      if (code === INT_ZERO) out.push(0n);
      else if (code === POS_BIG || code === NEG_BIG) {
        if (i >= bytes.length) throw corrupt("truncated integer length");
        const n = code === POS_BIG ? bytes[i]! : bytes[i]! ^ 0xff;
        out.push(readMagnitude(bytes, i + 1, n, code === NEG_BIG));
        i += 1 + n;
      } else {
        const n = Math.abs(code - INT_ZERO);
        out.push(readMagnitude(bytes, i, n, code < INT_ZERO));
        i += n;
      }
    } else if (code === DOUBLE) {
      if (i + 8 > bytes.length) throw corrupt("truncated number");
      const neg = (bytes[i]! & 0x80) === 0;
      for (let j = 0; j < 8; j++) {
        const b = bytes[i + j]!;
        f64.setUint8(j, neg ? ~b & 0xff : j === 0 ? b ^ 0x80 : b);
      }
      out.push(f64.getFloat64(0));
      i += 8;
    } else if (code === FALSE || code === TRUE) out.push(code === TRUE);
    else throw corrupt(`unknown type code 0x${code.toString(16)} at byte ${i - 1}`);
  }
  return out;
}
