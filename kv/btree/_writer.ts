// One commit's changes: nodes on the changed paths are copied out of their
// pages into mutable in-memory nodes, edited, then rebalanced and written to
// fresh pages bottom-up (copy-on-write; the old pages are freed by this commit).
import { hash32, INLINE_MAX, PAGE_SIZE } from "./_format.ts";
import { BRANCH, HDR, LEAF, Ovf, Page } from "./_page.ts";
import type { Pager } from "./_pager.ts";
import type { FreeSpace } from "./_freespace.ts";
import type { PageCache } from "./_cache.ts";
import {
  cut,
  DBranch,
  DLeaf,
  type DNode,
  EMPTY,
  encodeBranch,
  encodeLeaf,
  type Kid,
  leafBytes,
  leafEntrySize,
  nodeSize,
  Ref,
  sepLength,
} from "./_node.ts";

export { DBranch, DLeaf, type DNode, type Kid, Ref };

/** What the writer needs from the engine. */
export interface TreeIO {
  readonly path: string;
  readonly pager: Pager;
  readonly space: FreeSpace;
  readonly cache: PageCache;
  load(no: number, crc: number): Page;
  readOverflow(v: Ovf): Uint8Array;
}

interface Piece {
  key: Uint8Array;
  ref: Ref;
}

/** Values at most this long stay inline even beside a long key. */
const SMALL_VALUE = 64;
const MIN_FILL = PAGE_SIZE / 4;
/** Largest pair of leaves spread over two pages (each then at most 90% full). */
const SPREAD_MAX = 2 * 0.9 * PAGE_SIZE;

/** The changes of one commit. */
export class Writer {
  readonly io: TreeIO;
  readonly txn: number;
  root: Kid | undefined;
  /** Pages this commit frees (reusable once no view and no durable header can reach them). */
  readonly freed: number[] = [];
  /** Page runs allocated by this commit (returned on abort). */
  readonly #allocated: [number, number][] = [];
  changed = false;
  /** Bytes of overflow values this commit wrote. */
  overflowBytes = 0;

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
    const idx: number[] = new Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    return p.type === LEAF ? new DLeaf(idx, idx.slice(), p) : new DBranch(idx, idx.slice(), p);
  }

  #leafFor(key: Uint8Array): DLeaf {
    let node = this.mat(this.root!);
    this.root = node;
    while (node instanceof DBranch) {
      const i = node.childIndex(key);
      const kid = this.mat(node.kid(i));
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
      node = node.kid(node.childIndex(key));
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
    this.overflowBytes += value.length;
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
    let root = this.root;
    if (root instanceof DBranch) this.#rebalance(root);
    for (;;) {
      if (root === undefined || root instanceof Ref) return root;
      if (root instanceof DBranch && root.kids.length === 1) {
        root = root.kid(0);
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
      if (kid instanceof DLeaf && i + 1 < node.kids.length && this.#spread(node, kid, i)) {
        i++;
        continue;
      }
      if (typeof kid === "number" || kid instanceof Ref || nodeSize(kid, MIN_FILL) >= MIN_FILL) {
        i++;
        continue;
      }
      const l = i + 1 < node.kids.length ? i : i - 1;
      const r = l + 1;
      const left = this.mat(node.kid(l));
      const right = this.mat(node.kid(r));
      if (left instanceof DLeaf && right instanceof DLeaf) {
        left.resolve();
        right.resolve();
        left.keys = left.keys.concat(right.keys);
        left.vals = left.vals.concat(right.vals);
      } else if (left instanceof DBranch && right instanceof DBranch) {
        left.resolve();
        right.resolve();
        right.keys[0] = node.key(r);
        left.keys = left.keys.concat(right.keys);
        left.kids = left.kids.concat(right.kids);
      }
      node.kids.splice(r, 1);
      node.keys.splice(r, 1);
      node.kids[l] = left;
      i = l;
    }
  }

  /**
   * Joins an overflowing leaf with its right neighbour when the two fit in
   * two pages at most 90% full: serializing then cuts two well-filled leaves
   * instead of splitting one into two half-empty ones (random inserts would
   * otherwise leave leaves about 69% full). The last child never spreads, so
   * sequential loads still fill pages on the right edge without rewrites.
   */
  #spread(node: DBranch, leaf: DLeaf, i: number): boolean {
    const size = leafBytes(leaf);
    if (size <= PAGE_SIZE) return false;
    const next = node.kid(i + 1);
    if (next instanceof DBranch) return false;
    // Only a neighbour that fits is copied (an untouched one costs a rewrite).
    const nextSize = next instanceof Ref
      ? this.io.load(next.page, next.crc).length
      : leafBytes(next);
    if (size + nextSize > SPREAD_MAX) return false;
    const right = this.mat(next) as DLeaf;
    leaf.resolve();
    right.resolve();
    leaf.keys = leaf.keys.concat(right.keys);
    leaf.vals = leaf.vals.concat(right.vals);
    node.kids.splice(i + 1, 1);
    node.keys.splice(i + 1, 1);
    return true;
  }

  #serialize(node: DNode, rightmost: boolean): Piece[] {
    const out: Piece[] = [];
    if (node instanceof DLeaf) {
      const total = leafBytes(node);
      if (total <= PAGE_SIZE) {
        // Most leaves fit one page: no per-entry sizes needed.
        const ref = this.#write(encodeLeaf(node, 0, node.keys.length, total, this.txn));
        return [{ key: node.key(0), ref }];
      }
      const sizes = node.keys.map((_, i) => leafEntrySize(node, i));
      for (const [a, b] of cut(sizes, rightmost, 1)) {
        let length = HDR;
        for (let i = a; i < b; i++) length += sizes[i]!;
        out.push({ key: node.key(a), ref: this.#write(encodeLeaf(node, a, b, length, this.txn)) });
      }
      return out;
    }
    // Untouched entries stay entry numbers of the source page (copied raw).
    const src = node.src;
    const keys: (Uint8Array | number)[] = [];
    const kids: (Ref | number)[] = [];
    const last = node.kids.length - 1;
    node.kids.forEach((kid, i) => {
      if (typeof kid === "number" || kid instanceof Ref) {
        keys.push(node.keys[i]!);
        kids.push(kid);
        return;
      }
      this.#serialize(kid, rightmost && i === last).forEach((p, j) => {
        keys.push(j === 0 ? node.keys[i]! : p.key);
        kids.push(p.ref);
      });
    });
    const sizes = keys.map((k, i) => 12 + (i === 0 ? 0 : sepLength(k, src)));
    for (const [a, b] of cut(sizes, rightmost, 2)) {
      const k = keys[a]!;
      const key = typeof k === "number" ? (k === 0 ? EMPTY : src!.sepView(k)) : k;
      out.push({ key, ref: this.#write(encodeBranch(keys, kids, a, b, this.txn, src)) });
    }
    return out;
  }

  #write(node: [Uint8Array, number]): Ref {
    const [buf, length] = node;
    const crc = hash32(buf.subarray(0, length));
    const no = this.#alloc(buf.length / PAGE_SIZE);
    this.io.pager.write(no, buf);
    this.io.cache.set(new Page(no, buf, crc, this.io.path, false));
    return new Ref(no, crc);
  }
}
