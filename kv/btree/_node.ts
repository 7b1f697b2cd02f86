// The in-memory nodes of a commit being built, their sizes, how they are cut
// into page-sized pieces, and their encoding into node pages.
import { PAGE_SIZE } from "./_format.ts";
import { BRANCH, cmpAt, HDR, INLINE, LEAF, Ovf, OVF_BYTES, type Page } from "./_page.ts";

/** A committed child: page number and the hash its bytes must have. */
export class Ref {
  constructor(readonly page: number, readonly crc: number) {}
}

/** A leaf value: inline bytes, an overflow reference, or entry n of `src` (copied raw). */
export type LeafVal = Uint8Array | Ovf | number;

/**
 * A leaf being edited. Entries copied from a page stay numbers (their index
 * in `src`) until touched, so editing one entry of a leaf does not decode the
 * others, and untouched runs are copied back byte for byte.
 */
export class DLeaf {
  constructor(
    public keys: (Uint8Array | number)[],
    public vals: LeafVal[],
    public src: Page | undefined = undefined,
  ) {}

  /** Key `i` as bytes (a view into `src` for untouched entries). */
  key(i: number): Uint8Array {
    const k = this.keys[i]!;
    return typeof k === "number" ? this.src!.keyView(k) : k;
  }

  /** First index whose key is >= `key`. */
  lowerBound(key: Uint8Array): number {
    const { keys, src } = this;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid]!;
      let below: boolean;
      if (typeof k === "number") {
        const b = src!.bytes;
        const o = src!.offs[k]!;
        below = cmpAt(key, b, o + 2, b[o]! | (b[o + 1]! << 8)) > 0;
      } else below = cmp(k, key) < 0;
      if (below) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** True when entry `i` exists and holds exactly `key`. */
  has(i: number, key: Uint8Array): boolean {
    if (i >= this.keys.length) return false;
    const k = this.keys[i]!;
    if (typeof k !== "number") return cmp(k, key) === 0;
    const b = this.src!.bytes;
    const o = this.src!.offs[k]!;
    return cmpAt(key, b, o + 2, b[o]! | (b[o + 1]! << 8)) === 0;
  }

  /** Value `i` decoded (for code that must look inside it). */
  value(i: number): Uint8Array | Ovf {
    const v = this.vals[i]!;
    return typeof v === "number" ? this.src!.valueRef(v) : v;
  }

  /** Replaces every raw source reference by its decoded value. */
  resolve(): void {
    if (this.src === undefined) return;
    for (let i = 0; i < this.vals.length; i++) {
      this.vals[i] = this.value(i);
      this.keys[i] = this.key(i);
    }
    this.src = undefined;
  }
}

/** Bytes of entry n's value part in `src` (kind byte included). */
function srcValBytes(src: Page, n: number): number {
  const k = src.kindOff(n);
  return src.bytes[k] === INLINE
    ? 3 + (src.bytes[k + 1]! | (src.bytes[k + 2]! << 8))
    : 1 + OVF_BYTES;
}

/**
 * A branch being edited: child i holds keys >= key i (and < key i + 1); key
 * 0 is unused. Like {@link DLeaf}, separators and children copied from a
 * page stay numbers (their index in `src`) until touched, so descending
 * through a wide branch neither decodes nor re-encodes its other entries.
 */
export class DBranch {
  constructor(
    public keys: (Uint8Array | number)[],
    public kids: (Kid | number)[],
    public src: Page | undefined = undefined,
  ) {}

  /** Separator `i` as bytes (a view into `src` for untouched entries). */
  key(i: number): Uint8Array {
    const k = this.keys[i]!;
    if (typeof k !== "number") return k;
    return i === 0 || k === 0 ? EMPTY : this.src!.sepView(k);
  }

  /** Child `i` (a reference for an untouched one). */
  kid(i: number): Kid {
    const k = this.kids[i]!;
    return typeof k === "number" ? new Ref(this.src!.childPage(k), this.src!.childCrc(k)) : k;
  }

  /** Bytes of separator `i`. */
  keyLength(i: number): number {
    if (i === 0) return 0;
    const k = this.keys[i]!;
    return typeof k === "number" ? this.src!.sepLength(k) : k.length;
  }

  /** The child whose subtree may hold `key`. */
  childIndex(key: Uint8Array): number {
    const { keys, src } = this;
    let lo = 1;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid]!;
      let c: number;
      if (typeof k === "number") {
        const b = src!.bytes;
        const o = src!.offs[k]!;
        c = cmpAt(key, b, o + 10, b[o + 8]! | (b[o + 9]! << 8));
      } else c = cmp(key, k);
      if (c >= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Replaces every source reference by its bytes or child reference. */
  resolve(): void {
    if (this.src === undefined) return;
    for (let i = 0; i < this.keys.length; i++) {
      this.keys[i] = this.key(i);
      this.kids[i] = this.kid(i);
    }
    this.src = undefined;
  }
}

export type DNode = DLeaf | DBranch;
export type Kid = Ref | DNode;

/** Usable bytes of a one-page node. */
export const CAP = PAGE_SIZE - HDR;
export const EMPTY: Uint8Array = new Uint8Array(0);

export function cmp(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function leafEntrySize(leaf: DLeaf, i: number): number {
  const k = leaf.keys[i]!;
  const v = leaf.vals[i]!;
  if (typeof k === "number" && k === v) return 2 + leaf.src!.entryBytes(k);
  let klen: number;
  if (typeof k === "number") {
    const b = leaf.src!.bytes;
    const o = leaf.src!.offs[k]!;
    klen = b[o]! | (b[o + 1]! << 8);
  } else klen = k.length;
  if (typeof v === "number") return 4 + klen + srcValBytes(leaf.src!, v);
  return 2 + 2 + klen + 1 + (v instanceof Ovf ? OVF_BYTES : 2 + v.length);
}

export function nodeSize(n: DNode, limit: number): number {
  let s = HDR;
  if (n instanceof DLeaf) {
    for (let i = 0; i < n.keys.length && s < limit; i++) s += leafEntrySize(n, i);
  } else {
    for (let i = 0; i < n.keys.length && s < limit; i++) s += 12 + n.keyLength(i);
  }
  return s;
}

/** Splits entry sizes into groups that fit a page (even halves, or full pages on the right edge). */
export function cut(sizes: number[], rightmost: boolean, min: number): [number, number][] {
  let total = 0;
  for (const s of sizes) total += s;
  const n = sizes.length;
  if (total <= CAP) return [[0, n]];
  const k = Math.ceil(total / CAP);
  const target = rightmost ? CAP : total / k;
  const groups: [number, number][] = [];
  let start = 0;
  let cur = 0;
  for (let i = 0; i < n; i++) {
    const s = sizes[i]!;
    if (i - start >= min && (cur + s > CAP || cur >= target)) {
      groups.push([start, i]);
      start = i;
      cur = 0;
    }
    cur += s;
  }
  groups.push([start, n]);
  const last = groups[groups.length - 1]!;
  if (groups.length > 1 && last[1] - last[0] < min) {
    groups.pop();
    groups[groups.length - 1]![1] = n;
  }
  return groups;
}

let viewOf: ArrayBufferLike | undefined;
let view: DataView = new DataView(new ArrayBuffer(0));

/**
 * Writes a node header; returns a DataView of the whole slab (offsets into it
 * start at `buf.byteOffset`): one view per slab, not one per node.
 */
function header(buf: Uint8Array, type: number, count: number, length: number, txn: number) {
  if (buf.buffer !== viewOf) {
    viewOf = buf.buffer;
    view = new DataView(buf.buffer);
  }
  const o = buf.byteOffset;
  buf[0] = type;
  view.setUint16(o + 2, count, true);
  view.setUint32(o + 4, length, true);
  view.setFloat64(o + 8, txn, true);
  return view;
}

const SLAB_PAGES = 16;
let slab = new Uint8Array(0);
let slabUsed = 0;

/**
 * A zeroed, page-aligned buffer for a node. One-page nodes are carved out of
 * 64 KiB slabs (one allocation per 16 nodes; the nodes of a commit are written
 * and later evicted together, so a slab rarely outlives its pages for long).
 */
function alloc(length: number): Uint8Array {
  const size = Math.ceil(length / PAGE_SIZE) * PAGE_SIZE;
  if (size !== PAGE_SIZE) return new Uint8Array(size);
  if (slabUsed === slab.length) {
    slab = new Uint8Array(SLAB_PAGES * PAGE_SIZE);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + PAGE_SIZE);
  slabUsed += PAGE_SIZE;
  return out;
}

/** Encoded bytes of a whole leaf: header, offsets and entries. */
export function leafBytes(leaf: DLeaf): number {
  const { keys, vals, src } = leaf;
  let total = HDR;
  for (let i = 0; i < keys.length; i++) {
    const v = vals[i]!;
    // Untouched entries (most of them): their encoded size straight from the source offsets.
    total += typeof v === "number" && keys[i] === v
      ? 2 + src!.entryBytes(v)
      : leafEntrySize(leaf, i);
  }
  return total;
}

/** Encodes entries `[a, b)` of a leaf into a node of `length` bytes. */
export function encodeLeaf(
  leaf: DLeaf,
  a: number,
  b: number,
  length: number,
  txn: number,
): [Uint8Array, number] {
  const { keys, vals, src } = leaf;
  const buf = alloc(length);
  const base = buf.byteOffset;
  const dv = header(buf, LEAF, b - a, length, txn);
  let o = HDR + 2 * (b - a);
  for (let i = a; i < b; i++) {
    const v = vals[i]!;
    if (typeof v === "number" && keys[i] === v) {
      // Untouched entries: copy the run of consecutive source entries in one go.
      const sp = src!;
      let j = i;
      while (j + 1 < b && vals[j + 1] === (vals[j] as number) + 1 && keys[j + 1] === vals[j + 1]) {
        j++;
      }
      const last = vals[j] as number;
      const start = sp.offs[v]!;
      const end = last + 1 < sp.count ? sp.offs[last + 1]! : sp.length;
      buf.set(sp.bytes.subarray(start, end), o);
      for (let x = i; x <= j; x++) {
        dv.setUint16(base + HDR + 2 * (x - a), o + sp.offs[vals[x] as number]! - start, true);
      }
      o += end - start;
      i = j;
      continue;
    }
    const k = leaf.key(i);
    dv.setUint16(base + HDR + 2 * (i - a), o, true);
    dv.setUint16(base + o, k.length, true);
    buf.set(k, o + 2);
    o += 2 + k.length;
    if (typeof v === "number") {
      const from = src!.kindOff(v);
      const n = srcValBytes(src!, v);
      buf.set(src!.bytes.subarray(from, from + n), o);
      o += n;
    } else if (v instanceof Ovf) {
      buf[o] = 1;
      dv.setUint32(base + o + 1, v.len, true);
      dv.setUint32(base + o + 5, v.page, true);
      dv.setUint32(base + o + 9, v.crc, true);
      dv.setFloat64(base + o + 13, v.txn, true);
      buf.set(v.head.subarray(0, 9), o + 21);
      o += 1 + OVF_BYTES;
    } else {
      buf[o] = INLINE;
      dv.setUint16(base + o + 1, v.length, true);
      buf.set(v, o + 3);
      o += 3 + v.length;
    }
  }
  return [buf, length];
}

/**
 * Encodes entries `[a, b)` of a branch. Entries given as numbers are entry
 * numbers of `src` (separator and child unchanged) and are copied raw, runs
 * of consecutive ones in one go; entry `a` always gets the empty separator.
 */
export function encodeBranch(
  keys: (Uint8Array | number)[],
  kids: (Ref | number)[],
  a: number,
  b: number,
  txn: number,
  src: Page | undefined,
): [Uint8Array, number] {
  let length = HDR;
  for (let i = a; i < b; i++) length += 12 + (i === a ? 0 : sepLength(keys[i]!, src));
  const buf = alloc(length);
  const base = buf.byteOffset;
  const dv = header(buf, BRANCH, b - a, length, txn);
  let o = HDR + 2 * (b - a);
  for (let i = a; i < b; i++) {
    const k = keys[i]!;
    const kid = kids[i]!;
    if (i > a && typeof k === "number" && kid === k) {
      // Untouched entries: copy the run of consecutive source entries at once.
      const sp = src!;
      let j = i;
      while (
        j + 1 < b && keys[j + 1] === (k as number) + (j + 1 - i) && kids[j + 1] === keys[j + 1]
      ) {
        j++;
      }
      const start = sp.offs[k]!;
      const end = sp.offs[k + j - i]! + sp.entryBytes(k + j - i);
      buf.set(sp.bytes.subarray(start, end), o);
      for (let x = i; x <= j; x++) {
        dv.setUint16(base + HDR + 2 * (x - a), o + sp.offs[keys[x] as number]! - start, true);
      }
      o += end - start;
      i = j;
      continue;
    }
    const key = i === a ? EMPTY : typeof k === "number" ? src!.sepView(k) : k;
    dv.setUint16(base + HDR + 2 * (i - a), o, true);
    if (typeof kid === "number") {
      dv.setUint32(base + o, src!.childPage(kid), true);
      dv.setUint32(base + o + 4, src!.childCrc(kid), true);
    } else {
      dv.setUint32(base + o, kid.page, true);
      dv.setUint32(base + o + 4, kid.crc, true);
    }
    dv.setUint16(base + o + 8, key.length, true);
    buf.set(key, o + 10);
    o += 10 + key.length;
  }
  return [buf, length];
}

/** Bytes of a separator given as bytes or as an entry number of `src`. */
export function sepLength(k: Uint8Array | number, src: Page | undefined): number {
  return typeof k === "number" ? src!.sepLength(k) : k.length;
}
