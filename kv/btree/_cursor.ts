// Reads over committed pages: point lookups and ordered scans.
import type { RawEntry } from "../../core/engine.ts";
import { corruption } from "./_format.ts";
import { BRANCH, cmpAt, INLINE, type Ovf, type Page } from "./_page.ts";
import type { TreeIO } from "./_writer.ts";
import { copyOut } from "./_copy.ts";

/** The committed root a read starts from (page 0 = empty tree). */
export interface Root {
  page: number;
  crc: number;
}

/** A reader's view of the engine: page loads plus where the current root is. */
export interface ReadIO extends TreeIO {
  /** The current committed root (unpinned scans re-seek from it). */
  currentRoot(): Root;
}

const MAX_DEPTH = 64;

/** A copy of value `i` of a leaf (overflow pages read and verified). */
export function valueCopy(io: ReadIO, p: Page, i: number): Uint8Array {
  const k = p.kindOff(i);
  if (p.bytes[k] === INLINE) {
    return copyOut(p.bytes, k + 3, k + 3 + p.dv.getUint16(k + 1, true));
  }
  return io.readOverflow(p.valueRef(i) as Ovf);
}

/** The stored value of `key` under `root`, or undefined. */
export function lookup(io: ReadIO, root: Root, key: Uint8Array): Uint8Array | undefined {
  if (root.page === 0) return undefined;
  let p = io.load(root.page, root.crc);
  for (let depth = 0; p.type === BRANCH; depth++) {
    if (depth > MAX_DEPTH) throw corruption(io.path, "the tree is deeper than possible");
    const o = p.off(p.child(key));
    p = io.load(p.dv.getUint32(o, true), p.dv.getUint32(o + 4, true));
  }
  const i = p.find(key);
  return i < 0 ? undefined : valueCopy(io, p, i);
}

/**
 * Entries with lo <= key < hi. A pinned scan reads its root's pages only; an
 * unpinned one re-seeks from the current root after the last key it returned
 * whenever freed pages may have been reused since it last looked.
 */
export function* scanTree(
  io: ReadIO,
  pinnedRoot: Root | undefined,
  lo: Uint8Array | undefined,
  hi: Uint8Array | undefined,
  reverse: boolean,
  keysOnly: boolean,
): Generator<RawEntry> {
  const pages: Page[] = [];
  const idx: number[] = [];
  let gen = io.space.generation;
  let last: Uint8Array | undefined;

  const descend = (p: Page, from: Uint8Array | undefined, after: boolean): void => {
    for (let depth = 0;; depth++) {
      if (depth > MAX_DEPTH) throw corruption(io.path, "the tree is deeper than possible");
      let i: number;
      if (p.type === BRANCH) {
        i = from !== undefined ? p.child(from) : reverse ? p.count - 1 : 0;
      } else if (reverse) {
        i = from !== undefined ? p.lowerBound(from) - 1 : p.count - 1;
      } else {
        i = from !== undefined ? p.lowerBound(from, after) : 0;
      }
      pages.push(p);
      idx.push(i);
      if (p.type !== BRANCH) return;
      p = io.load(p.childPage(i), p.childCrc(i));
    }
  };

  const seek = (): void => {
    pages.length = 0;
    idx.length = 0;
    const root = pinnedRoot ?? io.currentRoot();
    if (root.page === 0) return;
    const from = last ?? (reverse ? hi : lo);
    descend(io.load(root.page, root.crc), from, last !== undefined);
  };

  seek();
  while (pages.length > 0) {
    const d = pages.length - 1;
    const leaf = pages[d]!;
    const i = idx[d]!;
    if (i >= 0 && i < leaf.count) {
      const o = leaf.off(i);
      const klen = leaf.dv.getUint16(o, true);
      if (reverse) {
        if (lo !== undefined && cmpAt(lo, leaf.bytes, o + 2, klen) > 0) return;
      } else if (hi !== undefined && cmpAt(hi, leaf.bytes, o + 2, klen) <= 0) return;
      const key = leaf.bytes.slice(o + 2, o + 2 + klen);
      const value = keysOnly ? leaf.headCopy(i) : valueCopy(io, leaf, i);
      last = key;
      idx[d] = reverse ? i - 1 : i + 1;
      yield [key, value];
      if (pinnedRoot === undefined && io.space.generation !== gen) {
        gen = io.space.generation;
        seek();
      }
      continue;
    }
    // Leaf done: climb to the next sibling subtree and go down its near edge.
    pages.pop();
    idx.pop();
    while (pages.length > 0) {
      const t = pages.length - 1;
      const b = pages[t]!;
      const j = idx[t]! + (reverse ? -1 : 1);
      idx[t] = j;
      if (j >= 0 && j < b.count) {
        descend(io.load(b.childPage(j), b.childCrc(j)), undefined, false);
        break;
      }
      pages.pop();
      idx.pop();
    }
  }
}
