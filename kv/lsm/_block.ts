// Data and index blocks. Entries are prefix-compressed against the previous
// key: `varint shared ‖ varint unshared ‖ varint vlen ‖ key suffix ‖ value`;
// every RESTART-th entry stores its whole key and its offset is listed in the
// trailer `u32 restart offsets… ‖ u32 restart count`, for binary search.
// On disk a block is `payload ‖ u8 codec ‖ u32 xxh32(payload ‖ codec)`; a
// compressed payload is `varint raw length ‖ compressed bytes`.
import { deflateSync, inflateSync } from "fflate";
import { ByteReader, ByteWriter, getU32 } from "./_coding.ts";
import { xxhash32 as checksum } from "../../core/xxhash32.ts";
import {
  lz4CompressBlock as lz4Compress,
  lz4DecompressBlock as lz4Decompress,
} from "../../core/lz4.ts";

const RESTART = 16;

/** Block codecs: the byte stored after each block's payload. */
export const CODEC_NONE = 0;
/** LZ4 block format. */
export const CODEC_LZ4 = 1;
/** Raw deflate (fflate). */
export const CODEC_DEFLATE = 2;

/** Which compression new blocks use. */
export type BlockCompression = "lz4" | "deflate" | "none";

/** Builds one block. */
export class BlockBuilder {
  readonly w: ByteWriter = new ByteWriter(8192);
  #restarts: number[] = [0];
  #count = 0;
  #last = new Uint8Array(4096);
  #lastLen = 0;

  get count(): number {
    return this.#count;
  }

  /** Bytes the finished block will take (before compression). */
  get estimate(): number {
    return this.w.len + this.#restarts.length * 4 + 4;
  }

  add(key: Uint8Array, value: Uint8Array): void {
    this.addRaw(key, key.length, value, 0, value.length);
  }

  /** Adds `key[0..klen)` → `vbuf[voff..voff+vlen)` without making views. */
  addRaw(key: Uint8Array, klen: number, vbuf: Uint8Array, voff: number, vlen: number): void {
    const w = this.w;
    const last = this.#last;
    let shared = 0;
    if (this.#count % RESTART === 0) {
      if (this.#count > 0) this.#restarts.push(w.len);
    } else {
      const n = this.#lastLen < klen ? this.#lastLen : klen;
      while (shared < n && last[shared] === key[shared]) shared++;
    }
    w.varint(shared);
    w.varint(klen - shared);
    w.varint(vlen);
    w.ensure(klen - shared + vlen);
    const buf = w.buf;
    let o = w.len;
    for (let i = shared; i < klen; i++) buf[o++] = key[i]!;
    if (vlen > 512) {
      buf.set(vbuf.subarray(voff, voff + vlen), o);
      o += vlen;
    } else for (let i = 0; i < vlen; i++) buf[o++] = vbuf[voff + i]!;
    w.len = o;
    for (let i = shared; i < klen; i++) last[i] = key[i]!;
    this.#lastLen = klen;
    this.#count++;
  }

  /** A copy of the last key added. */
  lastKey(): Uint8Array {
    return this.#last.slice(0, this.#lastLen);
  }

  /** The finished block (a view, valid until reset). */
  finish(): Uint8Array {
    const w = this.w;
    for (const r of this.#restarts) w.u32(r);
    w.u32(this.#restarts.length);
    return w.view();
  }

  reset(): void {
    this.w.reset();
    this.#restarts = [0];
    this.#count = 0;
    this.#lastLen = 0;
  }
}

/**
 * Appends the on-disk form of a block to `w` (compressed when that saves at
 * least an eighth); returns the stored length.
 */
export function encodeBlockInto(
  w: ByteWriter,
  raw: Uint8Array,
  compression: BlockCompression,
): number {
  const start = w.len;
  let codec = CODEC_NONE;
  if (compression !== "none" && raw.length >= 64) {
    const packed = compression === "lz4" ? lz4Compress(raw) : deflateSync(raw, { level: 6 });
    if (packed.length + 5 < raw.length - (raw.length >>> 3)) {
      w.varint(raw.length);
      w.bytes(packed);
      codec = compression === "lz4" ? CODEC_LZ4 : CODEC_DEFLATE;
    }
  }
  if (codec === CODEC_NONE) w.bytes(raw);
  w.byte(codec);
  w.u32(checksum(w.buf, start, w.len));
  return w.len - start;
}

/** The on-disk form of a block, as a fresh array. */
export function encodeBlock(raw: Uint8Array, compression: BlockCompression): Uint8Array {
  const w = new ByteWriter(raw.length + 16);
  encodeBlockInto(w, raw, compression);
  return w.view();
}

/** Checks and decompresses a stored block; throws (a plain Error) when damaged. */
export function decodeBlock(stored: Uint8Array): Uint8Array {
  if (stored.length < 5) throw new Error("block too short");
  const n = stored.length - 5;
  const want = getU32(stored, n + 1);
  if (checksum(stored, 0, n + 1) !== want) throw new Error("block checksum mismatch");
  const codec = stored[n]!;
  const payload = stored.subarray(0, n);
  if (codec === CODEC_NONE) return payload;
  const r = new ByteReader(payload);
  const rawLen = r.varint();
  const body = payload.subarray(r.pos);
  if (codec === CODEC_LZ4) return lz4Decompress(body, rawLen);
  if (codec === CODEC_DEFLATE) {
    const out = inflateSync(body, { out: new Uint8Array(rawLen) });
    if (out.length !== rawLen) throw new Error("deflate size mismatch");
    return out;
  }
  throw new Error(`unknown block codec ${codec}`);
}

function cmpAt(buf: Uint8Array, off: number, len: number, key: Uint8Array): number {
  const n = len < key.length ? len : key.length;
  for (let i = 0; i < n; i++) {
    const d = buf[off + i]! - key[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return len === key.length ? 0 : len < key.length ? -1 : 1;
}

/** A cursor over a decoded block. `key` is a scratch buffer of `klen` bytes. */
export class BlockCursor {
  b: Uint8Array;
  readonly #end: number;
  readonly #nRestarts: number;
  key: Uint8Array;
  klen = 0;
  vOff = 0;
  vLen = 0;
  /** Offset of the next entry. */
  next = 0;

  constructor(block: Uint8Array, scratch?: Uint8Array) {
    this.b = block;
    if (block.length < 4) throw new Error("block too short");
    this.#nRestarts = getU32(block, block.length - 4);
    this.#end = block.length - 4 - 4 * this.#nRestarts;
    if (this.#end < 0 || this.#nRestarts === 0) throw new Error("bad block trailer");
    this.key = scratch ?? new Uint8Array(4096);
  }

  /** Decodes the entry at `next`; false at the end of the block. */
  step(): boolean {
    let p = this.next;
    if (p >= this.#end) return false;
    const b = this.b;
    let shared = 0, unshared = 0, vlen = 0, shift = 1, x: number;
    do {
      x = b[p++]!;
      shared += (x & 0x7f) * shift;
      shift *= 128;
    } while (x >= 0x80);
    shift = 1;
    do {
      x = b[p++]!;
      unshared += (x & 0x7f) * shift;
      shift *= 128;
    } while (x >= 0x80);
    shift = 1;
    do {
      x = b[p++]!;
      vlen += (x & 0x7f) * shift;
      shift *= 128;
    } while (x >= 0x80);
    const klen = shared + unshared;
    if (shared > this.klen || p + unshared + vlen > this.#end || klen > 4096) {
      throw new Error("malformed block entry");
    }
    const key = this.key;
    for (let i = 0; i < unshared; i++) key[shared + i] = b[p + i]!;
    this.klen = klen;
    this.vOff = p + unshared;
    this.vLen = vlen;
    this.next = this.vOff + vlen;
    return true;
  }

  #restart(i: number): number {
    return getU32(this.b, this.#end + 4 * i);
  }

  /** Compares the whole key stored at restart `i` with `key`. */
  #cmpRestart(i: number, key: Uint8Array): number {
    const b = this.b;
    let p = this.#restart(i);
    if (b[p] !== 0) throw new Error("malformed restart entry");
    p++;
    let unshared = 0, shift = 1, x: number;
    do {
      x = b[p++]!;
      unshared += (x & 0x7f) * shift;
      shift *= 128;
    } while (x >= 0x80);
    do x = b[p++]!; while (x >= 0x80);
    if (p + unshared > this.#end) throw new Error("malformed restart entry");
    return cmpAt(b, p, unshared, key);
  }

  /** Moves to the first entry >= `key`; false when there is none. */
  seek(key: Uint8Array): boolean {
    let lo = 0, hi = this.#nRestarts - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.#cmpRestart(mid, key) <= 0) lo = mid;
      else hi = mid - 1;
    }
    this.next = this.#restart(lo);
    this.klen = 0;
    while (this.step()) {
      if (cmpAt(this.key, 0, this.klen, key) >= 0) return true;
    }
    return false;
  }

  /** Compares the current key with `key`. */
  compare(key: Uint8Array): number {
    return cmpAt(this.key, 0, this.klen, key);
  }

  currentKey(): Uint8Array {
    return this.key.slice(0, this.klen);
  }

  currentValue(): Uint8Array {
    return this.b.subarray(this.vOff, this.vOff + this.vLen);
  }

  /** From the start. */
  rewind(): void {
    this.next = 0;
    this.klen = 0;
  }
}
