// One commit's changes: nodes on the changed paths are copied out of their
// pages into mutable in-memory nodes, edited, then rebalanced and written to
// fresh pages bottom-up (copy-on-write; the old pages are freed by this commit).
import { hash32, INLINE_MAX, PAGE_SIZE } from "./_format.ts";
import { BRANCH, cmpAt, HDR, INLINE, LEAF, Ovf, OVF_BYTES, Page } from "./_page.ts";
import type { Pager } from "./_pager.ts";
import type { FreeSpace } from "./_freespace.ts";
import type { PageCache } from "./_cache.ts";

/** What the writer needs from the engine. */
export interface TreeIO {
  readonly path: string;
  readonly pager: Pager;
  readonly space: FreeSpace;
  readonly cache: PageCache;
  load(no: number, crc: number): Page;
  readOverflow(v: Ovf): Uint8Array;
}

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

/** `keys[0]` is unused: child i holds keys >= keys[i] (and < keys[i + 1]). */
export class DBranch {
  constructor(public keys: Uint8Array[], public kids: Kid[]) {}
}

export type DNode = DLeaf | DBranch;
export type Kid = Ref | DNode;
interface Piece {
  key: Uint8Array;
  ref: Ref;
}

/** Values at most this long stay inline even beside a long key. */
const SMALL_VALUE = 64;
const MIN_FILL = PAGE_SIZE / 4;
const CAP = PAGE_SIZE - HDR;
const EMPTY = new Uint8Array(0);
/** Free pages a coalesced write may span to join two runs. */
const MAX_GAP = 4;

function cmp(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function childIndex(keys: Uint8Array[], key: Uint8Array): number {
  let lo = 1;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(key, keys[mid]!) >= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function leafEntrySize(leaf: DLeaf, i: number): number {
  const k = leaf.keys[i]!;
  const v = leaf.vals[i]!;
  let klen: number;
  if (typeof k === "number") {
    const b = leaf.src!.bytes;
    const o = leaf.src!.offs[k]!;
    klen = b[o]! | (b[o + 1]! << 8);
  } else klen = k.length;
  if (typeof v === "number") return 4 + klen + srcValBytes(leaf.src!, v);
  return 2 + 2 + klen + 1 + (v instanceof Ovf ? OVF_BYTES : 2 + v.length);
}

function nodeSize(n: DNode, limit: number): number {
  let s = HDR;
  if (n instanceof DLeaf) {
    for (let i = 0; i < n.keys.length && s < limit; i++) s += leafEntrySize(n, i);
  } else {
    for (let i = 0; i < n.keys.length && s < limit; i++) {
      s += 12 + (i === 0 ? 0 : n.keys[i]!.length);
    }
  }
  return s;
}

/** Splits entry sizes into groups that fit a page (even halves, or full pages on the right edge). */
function cut(sizes: number[], rightmost: boolean, min: number): [number, number][] {
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

/** The changes of one commit. */
export class Writer {
  readonly io: TreeIO;
  readonly txn: number;
  root: Kid | undefined;
  /** Pages this commit frees (reusable once no view can reach them). */
  readonly freed: number[] = [];
  /** Page runs allocated by this commit (returned on abort). */
  readonly #allocated: [number, number][] = [];
  /** Node pages written at the end of the commit, coalesced into runs. */
  readonly #writes: { no: number; buf: Uint8Array }[] = [];
  changed = false;

  constructor(io: TreeIO, root: Ref | undefined, txn: number) {
    this.io = io;
    this.root = root;
    this.txn = txn;
  }

  /** A mutable copy of a committed node; its pages are freed by this commit. */
  mat(kid: Kid): DNode {
    if (!(kid instanceof Ref)) return kid;
    const p = this.io.load(kid.page, kid.crc);
    for (let i = 0; i < p.npages; i++) this.freed.push(p.no + i);
    const n = p.count;
    const keys: Uint8Array[] = new Array(n);
    if (p.type === LEAF) {
      const idx: number[] = new Array(n);
      for (let i = 0; i < n; i++) idx[i] = i;
      return new DLeaf(idx, idx.slice(), p);
    }
    const kids: Kid[] = new Array(n);
    for (let i = 0; i < n; i++) {
      keys[i] = i === 0 ? EMPTY : p.sepView(i);
      kids[i] = new Ref(p.childPage(i), p.childCrc(i));
    }
    return new DBranch(keys, kids);
  }

  #leafFor(key: Uint8Array): DLeaf {
    let node = this.mat(this.root!);
    this.root = node;
    while (node instanceof DBranch) {
      const i = childIndex(node.keys, key);
      const kid = this.mat(node.kids[i]!);
      node.kids[i] = kid;
      node = kid;
    }
    return node;
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.changed = true;
    const v = key.length + value.length <= INLINE_MAX || value.length <= SMALL_VALUE
      ? value
      : this.#writeOverflow(value);
    if (this.root === undefined) {
      this.root = new DLeaf([key], [v]);
      return;
    }
    const leaf = this.#leafFor(key);
    const i = leaf.lowerBound(key);
    if (leaf.has(i, key)) {
      this.#drop(leaf.value(i));
      leaf.vals[i] = v;
    } else {
      leaf.keys.splice(i, 0, key);
      leaf.vals.splice(i, 0, v);
    }
  }

  delete(key: Uint8Array): void {
    if (this.root === undefined || !this.#has(key)) return;
    this.changed = true;
    const leaf = this.#leafFor(key);
    const i = leaf.lowerBound(key);
    this.#drop(leaf.value(i));
    leaf.keys.splice(i, 1);
    leaf.vals.splice(i, 1);
  }

  #has(key: Uint8Array): boolean {
    let node: Kid = this.root!;
    for (;;) {
      if (node instanceof Ref) {
        let p = this.io.load(node.page, node.crc);
        while (p.type === BRANCH) {
          const i = p.child(key);
          p = this.io.load(p.childPage(i), p.childCrc(i));
        }
        return p.find(key) >= 0;
      }
      if (node instanceof DLeaf) return node.has(node.lowerBound(key), key);
      node = node.kids[childIndex(node.keys, key)]!;
    }
  }

  /** Frees an overwritten value's overflow pages. */
  #drop(v: Uint8Array | Ovf): void {
    if (!(v instanceof Ovf)) return;
    if (v.txn === this.txn) this.io.space.markFree(v.page, v.npages);
    else for (let i = 0; i < v.npages; i++) this.freed.push(v.page + i);
  }

  #alloc(npages: number): number {
    const p = this.io.space.alloc(npages);
    this.#allocated.push([p, npages]);
    return p;
  }

  #writeOverflow(value: Uint8Array): Ovf {
    const n = Math.ceil(value.length / PAGE_SIZE);
    const buf = new Uint8Array(n * PAGE_SIZE);
    buf.set(value);
    const crc = hash32(buf.subarray(0, value.length));
    const page = this.#alloc(n);
    this.io.pager.write(page, buf);
    return new Ovf(value.length, page, crc, this.txn, value.slice(0, 9));
  }

  /** Copies an overflow value below `boundary` (compaction). */
  moveOverflow(v: Ovf): Ovf {
    const moved = this.#writeOverflow(this.io.readOverflow(v));
    for (let i = 0; i < v.npages; i++) this.freed.push(v.page + i);
    return moved;
  }

  /** Returns the runs this commit allocated to the free set. */
  abort(): void {
    for (const [p, n] of this.#allocated) {
      this.io.space.markFree(p, n);
      this.io.cache.delete(p);
    }
  }

  /** Rebalances and writes every changed node; returns the new root (undefined = empty). */
  commit(): Ref | undefined {
    const root = this.#build();
    this.#flush();
    return root;
  }

  #build(): Ref | undefined {
    let root = this.root;
    if (root instanceof DBranch) this.#rebalance(root);
    for (;;) {
      if (root === undefined || root instanceof Ref) return root;
      if (root instanceof DBranch && root.kids.length === 1) {
        root = root.kids[0]!;
        continue;
      }
      if (root instanceof DLeaf && root.keys.length === 0) return undefined;
      const pieces = this.#serialize(root, true);
      if (pieces.length === 1) return pieces[0]!.ref;
      root = new DBranch(pieces.map((p, i) => i === 0 ? EMPTY : p.key), pieces.map((p) => p.ref));
    }
  }

  /** Merges small changed children into a neighbour, bottom-up. */
  #rebalance(node: DBranch): void {
    for (const kid of node.kids) if (kid instanceof DBranch) this.#rebalance(kid);
    let i = 0;
    while (i < node.kids.length && node.kids.length > 1) {
      const kid = node.kids[i]!;
      if (kid instanceof Ref || nodeSize(kid, MIN_FILL) >= MIN_FILL) {
        i++;
        continue;
      }
      const l = i + 1 < node.kids.length ? i : i - 1;
      const r = l + 1;
      const left = this.mat(node.kids[l]!);
      const right = this.mat(node.kids[r]!);
      if (left instanceof DLeaf && right instanceof DLeaf) {
        left.resolve();
        right.resolve();
        left.keys = left.keys.concat(right.keys);
        left.vals = left.vals.concat(right.vals);
      } else if (left instanceof DBranch && right instanceof DBranch) {
        right.keys[0] = node.keys[r]!;
        left.keys = left.keys.concat(right.keys);
        left.kids = left.kids.concat(right.kids);
      }
      node.kids.splice(r, 1);
      node.keys.splice(r, 1);
      node.kids[l] = left;
      i = l;
    }
  }

  #serialize(node: DNode, rightmost: boolean): Piece[] {
    const out: Piece[] = [];
    if (node instanceof DLeaf) {
      const keys = node.keys;
      const sizes = keys.map((_, i) => leafEntrySize(node, i));
      for (const [a, b] of cut(sizes, rightmost, 1)) {
        out.push({ key: node.key(a), ref: this.#write(encodeLeaf(node, sizes, a, b, this.txn)) });
      }
      return out;
    }
    const keys: Uint8Array[] = [];
    const kids: Ref[] = [];
    const last = node.kids.length - 1;
    node.kids.forEach((kid, i) => {
      if (kid instanceof Ref) {
        keys.push(node.keys[i]!);
        kids.push(kid);
        return;
      }
      this.#serialize(kid, rightmost && i === last).forEach((p, j) => {
        keys.push(j === 0 ? node.keys[i]! : p.key);
        kids.push(p.ref);
      });
    });
    const sizes = keys.map((k) => 12 + k.length);
    for (const [a, b] of cut(sizes, rightmost, 2)) {
      out.push({ key: keys[a]!, ref: this.#write(encodeBranch(keys, kids, a, b, this.txn)) });
    }
    return out;
  }

  #write(node: [Uint8Array, number]): Ref {
    const [buf, length] = node;
    const crc = hash32(buf.subarray(0, length));
    const no = this.#alloc(buf.length / PAGE_SIZE);
    this.#writes.push({ no, buf });
    this.io.cache.set(new Page(no, buf, crc, this.io.path, false));
    return new Ref(no, crc);
  }

  /**
   * Writes the commit's nodes in page order, one write per run. Small gaps of
   * reusable pages (no view can reach them) are filled with zeros to join runs.
   */
  #flush(): void {
    const ws = this.#writes;
    const pager = this.io.pager;
    if (!pager.coalesce) {
      for (const w of ws) pager.write(w.no, w.buf);
      return;
    }
    ws.sort((a, b) => a.no - b.no);
    const space = this.io.space;
    let i = 0;
    while (i < ws.length) {
      const first = ws[i]!;
      let end = first.no + first.buf.length / PAGE_SIZE;
      let j = i + 1;
      for (; j < ws.length; j++) {
        const w = ws[j]!;
        if (w.no - end > MAX_GAP) break;
        let ok = true;
        for (let p = end; p < w.no && ok; p++) ok = space.isFree(p);
        if (!ok) break;
        end = w.no + w.buf.length / PAGE_SIZE;
      }
      if (j === i + 1) pager.write(first.no, first.buf);
      else {
        const run = new Uint8Array((end - first.no) * PAGE_SIZE);
        for (let k = i; k < j; k++) run.set(ws[k]!.buf, (ws[k]!.no - first.no) * PAGE_SIZE);
        pager.write(first.no, run);
      }
      i = j;
    }
  }
}

function header(buf: Uint8Array, type: number, count: number, length: number, txn: number) {
  const dv = new DataView(buf.buffer);
  buf[0] = type;
  dv.setUint16(2, count, true);
  dv.setUint32(4, length, true);
  dv.setFloat64(8, txn, true);
  return dv;
}

function alloc(length: number): Uint8Array {
  return new Uint8Array(Math.ceil(length / PAGE_SIZE) * PAGE_SIZE);
}

function encodeLeaf(
  leaf: DLeaf,
  sizes: number[],
  a: number,
  b: number,
  txn: number,
): [Uint8Array, number] {
  const { keys, vals, src } = leaf;
  let length = HDR;
  for (let i = a; i < b; i++) length += sizes[i]!;
  const buf = alloc(length);
  const dv = header(buf, LEAF, b - a, length, txn);
  let o = HDR + 2 * (b - a);
  for (let i = a; i < b; i++) {
    const v = vals[i]!;
    if (typeof v === "number" && keys[i] === v) {
      // Untouched entries: copy the run of consecutive source entries in one go.
      const sp = src!;
      const start = sp.offs[v]!;
      let end = start + sizes[i]! - 2;
      let j = i;
      while (j + 1 < b) {
        const nv = vals[j + 1]!;
        if (nv !== (vals[j] as number) + 1 || keys[j + 1] !== nv || sp.offs[nv]! !== end) break;
        j++;
        end += sizes[j]! - 2;
      }
      buf.set(sp.bytes.subarray(start, end), o);
      for (let x = i; x <= j; x++) {
        dv.setUint16(HDR + 2 * (x - a), o + sp.offs[vals[x] as number]! - start, true);
      }
      o += end - start;
      i = j;
      continue;
    }
    const k = leaf.key(i);
    dv.setUint16(HDR + 2 * (i - a), o, true);
    dv.setUint16(o, k.length, true);
    buf.set(k, o + 2);
    o += 2 + k.length;
    if (typeof v === "number") {
      const from = src!.kindOff(v);
      const n = srcValBytes(src!, v);
      buf.set(src!.bytes.subarray(from, from + n), o);
      o += n;
    } else if (v instanceof Ovf) {
      buf[o] = 1;
      dv.setUint32(o + 1, v.len, true);
      dv.setUint32(o + 5, v.page, true);
      dv.setUint32(o + 9, v.crc, true);
      dv.setFloat64(o + 13, v.txn, true);
      buf.set(v.head.subarray(0, 9), o + 21);
      o += 1 + OVF_BYTES;
    } else {
      buf[o] = INLINE;
      dv.setUint16(o + 1, v.length, true);
      buf.set(v, o + 3);
      o += 3 + v.length;
    }
  }
  return [buf, length];
}

function encodeBranch(
  keys: Uint8Array[],
  kids: Ref[],
  a: number,
  b: number,
  txn: number,
): [Uint8Array, number] {
  let length = HDR;
  for (let i = a; i < b; i++) length += 12 + (i === a ? 0 : keys[i]!.length);
  const buf = alloc(length);
  const dv = header(buf, BRANCH, b - a, length, txn);
  let o = HDR + 2 * (b - a);
  for (let i = a; i < b; i++) {
    const k = i === a ? EMPTY : keys[i]!;
    const kid = kids[i]!;
    dv.setUint16(HDR + 2 * (i - a), o, true);
    dv.setUint32(o, kid.page, true);
    dv.setUint32(o + 4, kid.crc, true);
    dv.setUint16(o + 8, k.length, true);
    buf.set(k, o + 10);
    o += 10 + k.length;
  }
  return [buf, length];
}
