// Private to layers/: the one tuple-key codec of the library, shared by the typed layer and the
// Deno KV API. The layout is FoundationDB's tuple layer as Deno KV stores it, so the bytes are the
// bytes Deno KV writes and their unsigned order is Deno KV's order of the tuples. Each layer keeps
// its own rules for what it accepts (a `TuplePolicy`) and its own error classes; decoding is
// strict for both (every truncation and bad byte is a `TupleDecodeError`).
import { ByteWriter } from "../core/byte_writer.ts";

/** Type codes of the tuple elements. */
export const TUPLE_BYTES = 0x01;
export const TUPLE_STRING = 0x02;
const NEG_BIG = 0x0b;
const INT_ZERO = 0x14;
const POS_BIG = 0x1d;
const DOUBLE = 0x21;
const FALSE = 0x26;
const TRUE = 0x27;

/** An element as the decoder returns it. */
export type TuplePart = string | number | bigint | boolean | Uint8Array;

/** What a layer accepts beyond the five element types, and how it refuses. */
export interface TuplePolicy {
  /** The bytes to store for an element of another type (any typed array, say), or throws. */
  otherPart(part: unknown): Uint8Array;
  /** A string with a lone surrogate: throws, or returns to store it with U+FFFD in its place. */
  loneSurrogate(s: string): void;
  /** A bigint whose magnitude takes more than 255 bytes (the format's limit): throws. */
  bigintTooLarge(bytes: number): never;
}

/** Bytes that are not an encoded tuple; `detail` says what is wrong with them. */
export class TupleDecodeError extends Error {
  constructor(readonly detail: string, options?: { cause?: unknown }) {
    super(`Cannot decode key: ${detail}`, options);
    this.name = "TupleDecodeError";
  }
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });
const f64 = new DataView(new ArrayBuffer(8));

// One scratch buffer for every call: encoding never awaits and policies never re-enter it.
const scratch = new ByteWriter(256);

function writeEscaped(w: ByteWriter, b: Uint8Array): void {
  w.ensure(b.length * 2 + 1);
  const buf = w.buf;
  let len = w.len;
  for (let i = 0; i < b.length; i++) {
    const x = b[i]!;
    buf[len++] = x;
    if (x === 0) buf[len++] = 0xff;
  }
  buf[len++] = 0;
  w.len = len;
}

function writeString(w: ByteWriter, s: string, policy: TuplePolicy): void {
  // Most key strings are ASCII without NUL: copied straight, no UTF-8 encoder.
  w.ensure(s.length + 2);
  const buf = w.buf;
  const start = w.len;
  let len = start;
  buf[len++] = TUPLE_STRING;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c >= 0x80) {
      w.len = start + 1;
      if (!s.isWellFormed()) policy.loneSurrogate(s);
      return writeEscaped(w, utf8.encode(s));
    }
    buf[len++] = c;
  }
  buf[len++] = 0;
  w.len = len;
}

function writeBigint(w: ByteWriter, n: bigint, policy: TuplePolicy): void {
  if (n === 0n) return w.byte(INT_ZERO);
  const neg = n < 0n;
  let mag = neg ? -n : n;
  const digits: number[] = [];
  while (mag > 0n) {
    digits.push(Number(mag & 0xffn));
    mag >>= 8n;
  }
  if (digits.length > 255) policy.bigintTooLarge(digits.length);
  w.ensure(digits.length + 2);
  if (digits.length <= 8) {
    w.buf[w.len++] = neg ? INT_ZERO - digits.length : INT_ZERO + digits.length;
  } else {
    w.buf[w.len++] = neg ? NEG_BIG : POS_BIG;
    w.buf[w.len++] = neg ? digits.length ^ 0xff : digits.length;
  }
  for (let i = digits.length - 1; i >= 0; i--) {
    w.buf[w.len++] = neg ? digits[i]! ^ 0xff : digits[i]!;
  }
}

function writeNumber(w: ByteWriter, x: number): void {
  f64.setFloat64(0, Number.isNaN(x) ? NaN : x); // one canonical NaN
  w.ensure(9);
  const buf = w.buf;
  buf[w.len++] = DOUBLE;
  // Sign bit flipped; every bit flipped when negative: -0 sorts before 0, NaN after +Infinity.
  const neg = (f64.getUint8(0) & 0x80) !== 0;
  for (let i = 0; i < 8; i++) {
    const b = f64.getUint8(i);
    buf[w.len++] = neg ? b ^ 0xff : i === 0 ? b ^ 0x80 : b;
  }
}

/** Appends one element; what `policy` refuses throws before anything is appended for it. */
function writePart(w: ByteWriter, part: unknown, policy: TuplePolicy): void {
  switch (typeof part) {
    case "string":
      return writeString(w, part, policy);
    case "number":
      return writeNumber(w, part);
    case "bigint":
      return writeBigint(w, part, policy);
    case "boolean":
      return w.byte(part ? TRUE : FALSE);
  }
  const bytes = part instanceof Uint8Array ? part : policy.otherPart(part);
  w.byte(TUPLE_BYTES);
  writeEscaped(w, bytes);
}

/**
 * The bytes of a tuple (the caller checked that `key` is an array), copied out of the scratch
 * buffer by `copy` (default: a new array of their own).
 */
export function encodeTuple(
  key: readonly unknown[],
  policy: TuplePolicy,
  copy: (written: Uint8Array) => Uint8Array = (b) => b.slice(),
): Uint8Array {
  const w = scratch;
  w.reset();
  try {
    for (let i = 0; i < key.length; i++) writePart(w, key[i], policy);
    return copy(w.view());
  } finally {
    // A huge key leaves no huge buffer behind.
    if (w.buf.length > 64 * 1024) scratch.buf = new Uint8Array(256);
  }
}

/** The body of an escaped element starting at `at`, and where the next element starts. */
function readEscaped(b: Uint8Array, at: number): [Uint8Array, number] {
  let zeros = 0;
  let i = at;
  for (;;) {
    if (i >= b.length) throw new TupleDecodeError("unterminated bytes or string");
    if (b[i] === 0) {
      if (b[i + 1] !== 0xff) break;
      zeros++;
      i++;
    }
    i++;
  }
  if (zeros === 0) return [b.slice(at, i), i + 1];
  const out = new Uint8Array(i - at - zeros);
  for (let j = at, o = 0; j < i; j++) {
    out[o++] = b[j]!;
    if (b[j] === 0) j++;
  }
  return [out, i + 1];
}

function readMagnitude(b: Uint8Array, at: number, n: number, neg: boolean): bigint {
  if (at + n > b.length) throw new TupleDecodeError("truncated integer");
  let v = 0n;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(neg ? b[at + i]! ^ 0xff : b[at + i]!);
  return neg ? -v : v;
}

/** The tuple `bytes` encode; `TupleDecodeError` when they are not an encoded tuple. */
export function decodeTuple(bytes: Uint8Array): TuplePart[] {
  const out: TuplePart[] = [];
  let i = 0;
  while (i < bytes.length) {
    const code = bytes[i++]!;
    if (code === TUPLE_STRING) {
      // ASCII without NUL (most key strings) decodes without copying bytes out first.
      let j = i;
      let ascii = "";
      while (j < bytes.length && bytes[j]! > 0 && bytes[j]! < 0x80) {
        ascii += String.fromCharCode(bytes[j++]!);
      }
      if (j < bytes.length && bytes[j] === 0 && bytes[j + 1] !== 0xff) {
        out.push(ascii);
        i = j + 1;
        continue;
      }
      const [body, next] = readEscaped(bytes, i);
      try {
        out.push(utf8Strict.decode(body));
      } catch (err) {
        throw new TupleDecodeError("bad UTF-8 string", { cause: err });
      }
      i = next;
    } else if (code === TUPLE_BYTES) {
      const [body, next] = readEscaped(bytes, i);
      out.push(body);
      i = next;
    } else if (code >= NEG_BIG && code <= POS_BIG) {
      if (code === INT_ZERO) out.push(0n);
      else if (code === POS_BIG || code === NEG_BIG) {
        if (i >= bytes.length) throw new TupleDecodeError("truncated integer length");
        const n = code === POS_BIG ? bytes[i]! : bytes[i]! ^ 0xff;
        out.push(readMagnitude(bytes, i + 1, n, code === NEG_BIG));
        i += 1 + n;
      } else {
        const n = Math.abs(code - INT_ZERO);
        out.push(readMagnitude(bytes, i, n, code < INT_ZERO));
        i += n;
      }
    } else if (code === DOUBLE) {
      if (i + 8 > bytes.length) throw new TupleDecodeError("truncated number");
      const neg = (bytes[i]! & 0x80) === 0;
      for (let j = 0; j < 8; j++) {
        const b = bytes[i + j]!;
        f64.setUint8(j, neg ? b ^ 0xff : j === 0 ? b ^ 0x80 : b);
      }
      out.push(f64.getFloat64(0));
      i += 8;
    } else if (code === FALSE || code === TRUE) out.push(code === TRUE);
    else {
      throw new TupleDecodeError(`unknown type code 0x${code.toString(16)} at byte ${i - 1}`);
    }
  }
  return out;
}
