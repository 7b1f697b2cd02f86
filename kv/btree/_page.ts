// A committed node as read from a page run: its bytes plus typed accessors.
// Pages are immutable; the tree copies a node before changing it.
import { corruption, hash32, MAX_NODE_BYTES, PAGE_SIZE } from "./_format.ts";

export const LEAF = 1;
export const BRANCH = 2;
/** Node header: type u8, pad u8, count u16, length u32, txn f64. */
export const HDR = 16;
/** Leaf value kinds. */
export const INLINE = 0;
export const OVERFLOW = 1;
/** Bytes after the kind byte of an overflow reference: len, page, crc, txn, 9-byte head. */
export const OVF_BYTES = 29;
/** Bytes of the TTL header a keys-only scan needs. */
export const HEAD_BYTES = 9;

/** Memcmp of `a` against `b[bo, bo + bl)`. */
export function cmpAt(a: Uint8Array, b: Uint8Array, bo: number, bl: number): number {
  const n = a.length < bl ? a.length : bl;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[bo + i]!;
    if (d !== 0) return d;
  }
  return a.length - bl;
}

/** Memcmp of `a` against `b[bo, bo + bl)`, both known equal before byte `from`. */
function cmpFrom(a: Uint8Array, b: Uint8Array, bo: number, bl: number, from: number): number {
  const n = a.length < bl ? a.length : bl;
  for (let i = from; i < n; i++) {
    const d = a[i]! - b[bo + i]!;
    if (d !== 0) return d;
  }
  return a.length - bl;
}

/** Bytes `cp..cp + 4` of the `len`-byte key at `b[at]` as a big-endian number, zero-padded. */
function paddedWord(b: Uint8Array, at: number, len: number, cp: number): number {
  if (len >= cp + 4) {
    const o = at + cp;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }
  let w = 0;
  for (let i = 0; i < 4; i++) w = w * 256 + (cp + i < len ? b[at + cp + i]! : 0);
  return w;
}

/** A value kept in overflow pages. */
export class Ovf {
  constructor(
    readonly len: number,
    readonly page: number,
    readonly crc: number,
    readonly txn: number,
    readonly head: Uint8Array,
  ) {}

  get npages(): number {
    return Math.ceil(this.len / PAGE_SIZE);
  }
}

/** A decoded, verified, immutable node. */
export class Page {
  readonly no: number;
  readonly crc: number;
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  readonly type: number;
  readonly count: number;
  readonly length: number;
  readonly npages: number;
  /** Entry offsets (little-endian u16 at byte 16; node buffers are 4096-aligned). */
  readonly offs: Uint16Array;
  /** Clock bit of the page cache. */
  ref = false;

  constructor(no: number, bytes: Uint8Array, crc: number, path: string, verify: boolean) {
    this.no = no;
    this.crc = crc;
    this.bytes = bytes;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.dv = dv;
    this.type = bytes[0]!;
    this.count = dv.getUint16(2, true);
    this.length = dv.getUint32(4, true);
    this.npages = Math.ceil(this.length / PAGE_SIZE);
    if (verify) this.#verify(path);
    this.offs = new Uint16Array(bytes.buffer, bytes.byteOffset + HDR, this.count);
  }

  #verify(path: string): void {
    const { type, count, length, bytes, dv } = this;
    const bad = (why: string) => corruption(path, `page ${this.no} ${why}`);
    if (length < HDR || length > bytes.length || length > MAX_NODE_BYTES) {
      throw bad(`has an impossible length ${length}`);
    }
    if (hash32(bytes.subarray(0, length)) !== this.crc) throw bad("fails its checksum");
    if ((type !== LEAF && type !== BRANCH) || count < 1 || HDR + 2 * count > length) {
      throw bad(`has a bad node header (type ${type}, ${count} entries)`);
    }
    const lo = HDR + 2 * count;
    for (let i = 0; i < count; i++) {
      const o = dv.getUint16(HDR + 2 * i, true);
      let end: number;
      if (type === LEAF) {
        if (o < lo || o + 3 > length) throw bad(`entry ${i} is out of bounds`);
        const k = dv.getUint16(o, true);
        const kind = bytes[o + 2 + k];
        end = o + 3 + k + (kind === INLINE ? 2 : OVF_BYTES);
        if (end <= length && kind === INLINE) end += dv.getUint16(o + 3 + k, true);
        else if (kind !== OVERFLOW && kind !== INLINE) throw bad(`entry ${i} has kind ${kind}`);
      } else {
        if (o < lo || o + 10 > length) throw bad(`entry ${i} is out of bounds`);
        end = o + 10 + dv.getUint16(o + 8, true);
      }
      // Entries are written back to back: editing code copies them by offset.
      const next = i + 1 < count ? dv.getUint16(HDR + 2 * (i + 1), true) : length;
      if (end !== next) throw bad(`entry ${i} is out of place`);
    }
  }

  /** Encoded bytes of entry `i` (entries are contiguous and in order). */
  entryBytes(i: number): number {
    return (i + 1 < this.count ? this.offs[i + 1]! : this.length) - this.offs[i]!;
  }

  /** Byte offset of entry `i`. */
  off(i: number): number {
    return this.offs[i]!;
  }

  /**
   * Bytes that every key of a leaf (every separator after the first of a
   * branch) starts with: searches compare the rest, four bytes at a time.
   */
  #prefix = -1;

  #commonPrefix(): number {
    if (this.#prefix >= 0) return this.#prefix;
    const { bytes, offs, count } = this;
    const kh = this.type === LEAF ? 2 : 10;
    const first = this.type === LEAF ? 0 : 1;
    let cp = 0;
    if (count - 1 > first) {
      const a = offs[first]!, b = offs[count - 1]!;
      const n = Math.min(this.#len(a), this.#len(b));
      while (cp < n && bytes[a + kh + cp] === bytes[b + kh + cp]) cp++;
    }
    return this.#prefix = cp;
  }

  /** Length of the key (leaf) or separator (branch) of the entry at byte `o`. */
  #len(o: number): number {
    const at = this.type === LEAF ? o : o + 8;
    return this.bytes[at]! | (this.bytes[at + 1]! << 8);
  }

  /**
   * Where `key` falls against the shared prefix: -1 below every entry, 1
   * above, 0 when it starts with the prefix (then only the rest is compared).
   */
  #against(key: Uint8Array, cp: number, start: number): number {
    const b = this.bytes;
    const n = key.length < cp ? key.length : cp;
    for (let i = 0; i < n; i++) {
      const d = key[i]! - b[start + i]!;
      if (d !== 0) return d < 0 ? -1 : 1;
    }
    return key.length < cp ? -1 : 0;
  }

  /** Leaf: first index whose key is >= `key` (or > when `after`). */
  lowerBound(key: Uint8Array, after = false): number {
    const { offs, count } = this;
    if (count === 0) return 0;
    const cp = this.#commonPrefix();
    const side = this.#against(key, cp, offs[0]! + 2);
    if (side !== 0) return side < 0 ? 0 : count;
    const words = this.#words ?? this.#makeWords(cp, 2, 0);
    const word = paddedWord(key, 0, key.length, cp);
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const w = words[mid]!;
      let c: number;
      if (w !== word) c = word < w ? -1 : 1;
      else {
        const o = offs[mid]!;
        c = cmpFrom(key, this.bytes, o + 2, this.#len(o), cp);
      }
      if (c > 0 || (after && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The four key bytes after the shared prefix of every entry, zero-padded,
   * big-endian: a search compares these (one small contiguous array, not
   * scattered page bytes) and reads an entry's key only on a tie. Unequal
   * padded words order keys as their bytes do (a zero pad sorts a shorter
   * key first, as memcmp does); equal ones decide nothing.
   */
  #words: Uint32Array | undefined;

  #makeWords(cp: number, keyAt: number, first: number): Uint32Array {
    const { offs, count, bytes } = this;
    const words = new Uint32Array(count);
    for (let i = first; i < count; i++) {
      const o = offs[i]!;
      words[i] = paddedWord(bytes, o + keyAt, this.#len(o), cp);
    }
    return this.#words = words;
  }

  /** Leaf: the index holding exactly `key`, or -1. */
  find(key: Uint8Array): number {
    const i = this.lowerBound(key);
    if (i >= this.count) return -1;
    const o = this.off(i);
    return cmpAt(key, this.bytes, o + 2, this.dv.getUint16(o, true)) === 0 ? i : -1;
  }

  /** Branch: the child whose subtree may hold `key`. */
  child(key: Uint8Array): number {
    const { offs, count } = this;
    if (count < 2) return 0;
    const cp = this.#commonPrefix();
    const side = this.#against(key, cp, offs[1]! + 10);
    if (side !== 0) return side < 0 ? 0 : count - 1;
    const words = this.#words ?? this.#makeWords(cp, 10, 1);
    const word = paddedWord(key, 0, key.length, cp);
    let lo = 1;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const w = words[mid]!;
      let c: number;
      if (w !== word) c = word < w ? -1 : 1;
      else {
        const o = offs[mid]!;
        c = cmpFrom(key, this.bytes, o + 10, this.#len(o), cp);
      }
      if (c >= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Leaf key `i` as a view (do not hand out). */
  keyView(i: number): Uint8Array {
    const o = this.off(i);
    return this.bytes.subarray(o + 2, o + 2 + this.dv.getUint16(o, true));
  }

  /** Branch separator `i` (i >= 1) as a view. */
  sepView(i: number): Uint8Array {
    const o = this.off(i);
    return this.bytes.subarray(o + 10, o + 10 + this.dv.getUint16(o + 8, true));
  }

  /** Branch: bytes of separator `i`. */
  sepLength(i: number): number {
    const o = this.offs[i]!;
    return this.bytes[o + 8]! | (this.bytes[o + 9]! << 8);
  }

  /** Branch child `i`: page number. */
  childPage(i: number): number {
    return this.dv.getUint32(this.off(i), true);
  }

  /** Branch child `i`: expected hash. */
  childCrc(i: number): number {
    return this.dv.getUint32(this.off(i) + 4, true);
  }

  /** Leaf: offset of the kind byte of entry `i`. */
  kindOff(i: number): number {
    const o = this.off(i);
    return o + 2 + this.dv.getUint16(o, true);
  }

  /** Leaf: an inline value as a view, or the overflow reference. */
  valueRef(i: number): Uint8Array | Ovf {
    const k = this.kindOff(i);
    const { bytes, dv } = this;
    if (bytes[k] === INLINE) {
      const n = dv.getUint16(k + 1, true);
      return bytes.subarray(k + 3, k + 3 + n);
    }
    return new Ovf(
      dv.getUint32(k + 1, true),
      dv.getUint32(k + 5, true),
      dv.getUint32(k + 9, true),
      dv.getFloat64(k + 13, true),
      bytes.subarray(k + 21, k + 21 + HEAD_BYTES),
    );
  }

  /** Leaf: a copy of the first bytes of value `i` (keys-only scans; no overflow read). */
  headCopy(i: number): Uint8Array {
    const k = this.kindOff(i);
    const { bytes, dv } = this;
    if (bytes[k] === INLINE) {
      const n = Math.min(dv.getUint16(k + 1, true), HEAD_BYTES);
      return bytes.slice(k + 3, k + 3 + n);
    }
    return bytes.slice(k + 21, k + 21 + HEAD_BYTES);
  }

  /** Bytes this page costs in the cache. */
  get cost(): number {
    return this.bytes.length + 200;
  }
}
