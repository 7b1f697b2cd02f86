// Private: Deno KV tuple keys <-> bytes that sort as Deno KV orders keys.
// The layout is the FoundationDB tuple layer that Deno KV's own codec uses, so the bytes of a
// key here are the bytes Deno KV stores (checked against Deno.openKv in the tests).
import type { KvKey, KvKeyPart } from "./types.ts";

const BYTES = 0x01;
const STRING = 0x02;
const NEG_BIG = 0x0b;
const INT_ZERO = 0x14;
const POS_BIG = 0x1d;
const DOUBLE = 0x21;
const FALSE = 0x26;
const TRUE = 0x27;

/** Deno KV's limits on encoded keys: writes take 2048 bytes, reads one more (range ends). */
export const MAX_WRITE_KEY_BYTES = 2048;
export const MAX_READ_KEY_BYTES = 2049;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

class Out {
  buf = new Uint8Array(256);
  len = 0;
  room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  escaped(b: Uint8Array): void {
    this.room(b.length * 2 + 1);
    const buf = this.buf;
    let len = this.len;
    for (let i = 0; i < b.length; i++) {
      const x = b[i]!;
      buf[len++] = x;
      if (x === 0) buf[len++] = 0xff;
    }
    buf[len++] = 0;
    this.len = len;
  }
  asciiEscaped(s: string): boolean {
    this.room(s.length + 1);
    const buf = this.buf;
    let len = this.len;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0 || c >= 0x80) return false;
      buf[len++] = c;
    }
    buf[len++] = 0;
    this.len = len;
    return true;
  }
}

const scratch = new Out();

const PART_TYPES = "expected string, number, bigint, ArrayBufferView, boolean";

function writeBigInt(out: Out, n: bigint): void {
  if (n === 0n) {
    out.room(1);
    out.buf[out.len++] = INT_ZERO;
    return;
  }
  const neg = n < 0n;
  let mag = neg ? -n : n;
  const digits: number[] = [];
  while (mag > 0n) {
    digits.unshift(Number(mag & 0xffn));
    mag >>= 8n;
  }
  out.room(digits.length + 2);
  if (digits.length <= 8) {
    out.buf[out.len++] = neg ? INT_ZERO - digits.length : INT_ZERO + digits.length;
  } else {
    if (digits.length > 255) throw new RangeError("BigInt key part is too large");
    out.buf[out.len++] = neg ? NEG_BIG : POS_BIG;
    out.buf[out.len++] = neg ? digits.length ^ 0xff : digits.length;
  }
  for (const d of digits) out.buf[out.len++] = neg ? d ^ 0xff : d;
}

function writeDouble(out: Out, x: number): void {
  out.room(9);
  out.buf[out.len++] = DOUBLE;
  f64[0] = Number.isNaN(x) ? NaN : x;
  const negative = (f64Bytes[littleEndian ? 7 : 0]! & 0x80) !== 0;
  for (let i = 0; i < 8; i++) {
    const b = f64Bytes[littleEndian ? 7 - i : i]!;
    out.buf[out.len++] = negative ? b ^ 0xff : i === 0 ? b ^ 0x80 : b;
  }
}

function writePart(out: Out, part: unknown): void {
  switch (typeof part) {
    case "string":
      out.room(1);
      out.buf[out.len++] = STRING;
      // Most key strings are ASCII without NUL: copied straight; otherwise nothing was kept.
      if (!out.asciiEscaped(part)) out.escaped(utf8.encode(part));
      return;
    case "number":
      return writeDouble(out, part);
    case "bigint":
      return writeBigInt(out, part);
    case "boolean":
      out.room(1);
      out.buf[out.len++] = part ? TRUE : FALSE;
      return;
  }
  if (ArrayBuffer.isView(part)) {
    out.room(1);
    out.buf[out.len++] = BYTES;
    out.escaped(new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
    return;
  }
  throw new TypeError(PART_TYPES);
}

/** Encodes a key; `TypeError`s as Deno KV gives for a non-array or a bad part. */
export function encodeKey(key: unknown): Uint8Array {
  if (!Array.isArray(key)) {
    throw new TypeError(`serde_v8 error: invalid type; expected: array, got: ${typeName(key)}`);
  }
  // One scratch buffer for every call (encoding never awaits); the result is a copy.
  const out = scratch;
  out.len = 0;
  for (const part of key) writePart(out, part);
  if (out.buf.length > 64 * 1024) scratch.buf = new Uint8Array(256);
  return out.buf.slice(0, out.len);
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
  out[prefix.length] = STRING;
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

function readEscaped(b: Uint8Array, at: number): [Uint8Array, number] {
  const out: number[] = [];
  let i = at;
  for (;;) {
    if (i >= b.length) throw new RangeError("Cannot decode key: unterminated byte string");
    const x = b[i++]!;
    if (x !== 0) {
      out.push(x);
      continue;
    }
    if (b[i] === 0xff) {
      out.push(0);
      i++;
      continue;
    }
    return [Uint8Array.from(out), i];
  }
}

/** Decodes bytes made by {@link encodeKey}. */
export function decodeKey(b: Uint8Array): KvKey {
  const key: KvKeyPart[] = [];
  let i = 0;
  while (i < b.length) {
    const tag = b[i++]!;
    if (tag === BYTES) {
      const [bytes, next] = readEscaped(b, i);
      key.push(bytes);
      i = next;
    } else if (tag === STRING) {
      // ASCII without NUL (most key strings) decodes without copying bytes out first.
      let j = i;
      let ascii = "";
      while (j < b.length && b[j]! > 0 && b[j]! < 0x80) ascii += String.fromCharCode(b[j++]!);
      if (b[j] === 0 && b[j + 1] !== 0xff) {
        key.push(ascii);
        i = j + 1;
        continue;
      }
      const [bytes, next] = readEscaped(b, i);
      key.push(utf8Strict.decode(bytes));
      i = next;
    } else if (tag >= NEG_BIG && tag <= POS_BIG) {
      let len: number;
      const neg = tag < INT_ZERO;
      if (tag === NEG_BIG) len = b[i++]! ^ 0xff;
      else if (tag === POS_BIG) len = b[i++]!;
      else len = Math.abs(tag - INT_ZERO);
      let n = 0n;
      for (let k = 0; k < len; k++) n = (n << 8n) | BigInt(neg ? b[i + k]! ^ 0xff : b[i + k]!);
      i += len;
      key.push(neg ? -n : n);
    } else if (tag === DOUBLE) {
      const negative = (b[i]! & 0x80) === 0;
      for (let k = 0; k < 8; k++) {
        const x = b[i + k]!;
        f64Bytes[littleEndian ? 7 - k : k] = negative ? x ^ 0xff : k === 0 ? x ^ 0x80 : x;
      }
      key.push(f64[0]!);
      i += 8;
    } else if (tag === FALSE || tag === TRUE) {
      key.push(tag === TRUE);
    } else {
      throw new RangeError(`Cannot decode key: unknown type byte 0x${tag.toString(16)}`);
    }
  }
  return key;
}
