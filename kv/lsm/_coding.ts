// Byte-level helpers shared by the WAL, table and manifest formats:
// a growable writer, LEB128 varints (up to 2^53) and fixed-width integers.

/** An append-only byte buffer that grows by doubling. */
export class ByteWriter {
  buf: Uint8Array;
  len = 0;
  constructor(capacity = 4096) {
    this.buf = new Uint8Array(capacity);
  }
  ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  varint(n: number): void {
    if (this.len + 8 > this.buf.length) this.ensure(8);
    const buf = this.buf;
    if (n < 0x80) {
      buf[this.len++] = n;
      return;
    }
    if (n < 0x80000000) {
      while (n >= 0x80) {
        buf[this.len++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
    } else {
      while (n >= 0x80) {
        buf[this.len++] = (n % 0x80) | 0x80;
        n = Math.floor(n / 0x80);
      }
    }
    buf[this.len++] = n;
  }
  u32(n: number): void {
    this.ensure(4);
    putU32(this.buf, this.len, n);
    this.len += 4;
  }
  u64(n: number): void {
    this.u32(n % 0x100000000);
    this.u32(Math.floor(n / 0x100000000));
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    if (b.length < 24) {
      const buf = this.buf;
      let o = this.len;
      for (let i = 0; i < b.length; i++) buf[o++] = b[i]!;
    } else this.buf.set(b, this.len);
    this.len += b.length;
  }
  /** A view of the written bytes (valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
  reset(): void {
    this.len = 0;
  }
}

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

/** Reads 8 little-endian bytes as a number (exact below 2^53). */
export function getU64(buf: Uint8Array, at: number): number {
  return getU32(buf, at) + getU32(buf, at + 4) * 0x100000000;
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
