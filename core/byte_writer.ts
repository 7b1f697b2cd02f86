// The one growable byte buffer of the library: the LSM WAL, table and
// manifest formats, the typed layer's binary codec and its tuple keys all
// append through it. Fields are public so format code can write in place
// after `ensure`.

const f64Scratch = new DataView(new ArrayBuffer(8));

/** An append-only byte buffer that grows by doubling. */
export class ByteWriter {
  /** The buffer; bytes `[0, len)` are written. */
  buf: Uint8Array;
  /** Bytes written. */
  len = 0;

  constructor(capacity = 4096) {
    this.buf = new Uint8Array(Math.max(capacity, 1));
  }

  /** Makes room for `extra` more bytes. */
  ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** One byte. */
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  /** An unsigned LEB128 varint (exact up to 2^53). */
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

  /** 4 little-endian bytes. */
  u32(n: number): void {
    this.ensure(4);
    const buf = this.buf;
    const at = this.len;
    buf[at] = n & 0xff;
    buf[at + 1] = (n >>> 8) & 0xff;
    buf[at + 2] = (n >>> 16) & 0xff;
    buf[at + 3] = (n >>> 24) & 0xff;
    this.len += 4;
  }

  /** 8 little-endian bytes of a number below 2^53. */
  u64(n: number): void {
    this.u32(n % 0x100000000);
    this.u32(Math.floor(n / 0x100000000));
  }

  /** A float64, little-endian. */
  f64(x: number): void {
    f64Scratch.setFloat64(0, x, true);
    this.ensure(8);
    for (let i = 0; i < 8; i++) this.buf[this.len++] = f64Scratch.getUint8(i);
  }

  /** The bytes as they are (no length prefix). */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    // A loop beats `set` for the short keys and values most records hold.
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

  /** A copy of the written bytes. */
  copy(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  /** Forgets what was written and keeps the buffer. */
  reset(): void {
    this.len = 0;
  }
}
