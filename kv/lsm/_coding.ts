// Byte-level helpers shared by the WAL, table and manifest formats: the
// growable writer (core's), a reader of LEB128 varints (up to 2^53) and
// fixed-width integers.

export { ByteWriter } from "../../core/byte_writer.ts";

/** Writes `n` as 4 little-endian bytes. */
export function putU32(buf: Uint8Array, at: number, n: number): void {
  buf[at] = n & 0xff;
  buf[at + 1] = (n >>> 8) & 0xff;
  buf[at + 2] = (n >>> 16) & 0xff;
  buf[at + 3] = (n >>> 24) & 0xff;
}

/** Reads 4 little-endian bytes as an unsigned number. */
export function getU32(buf: Uint8Array, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}

/** A cursor over bytes that throws `RangeError` past the end. */
export class ByteReader {
  pos: number;
  constructor(readonly buf: Uint8Array, pos = 0) {
    this.pos = pos;
  }
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  byte(): number {
    if (this.pos >= this.buf.length) throw new RangeError("read past end");
    return this.buf[this.pos++]!;
  }
  varint(): number {
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
    }
    throw new RangeError("varint too long");
  }
  u32(): number {
    if (this.pos + 4 > this.buf.length) throw new RangeError("read past end");
    const n = getU32(this.buf, this.pos);
    this.pos += 4;
    return n;
  }
  bytes(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.buf.length) throw new RangeError("read past end");
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
