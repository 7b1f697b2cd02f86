// A full consistency check of a B-tree store, for tests: keys ordered and
// inside their separators, every leaf at the same depth, every page either
// reachable exactly once, reusable, or waiting to be (never two of these).
import type { KvStore } from "../../core/kv.ts";
import { compareBytes } from "../../core/bytes.ts";
import type { BTreeEngine } from "./_engine.ts";
import { BRANCH, Ovf } from "./_page.ts";
import { engineOf } from "./_registry.ts";

/** What the check saw. */
export interface TreeStats {
  height: number;
  keys: number;
  nodePages: number;
  overflowPages: number;
  freePages: number;
  pendingPages: number;
  pageCount: number;
}

/** Throws an Error describing the first violated invariant. */
export function checkInvariants(target: KvStore | BTreeEngine): TreeStats {
  const eng = "currentRoot" in target ? target : engineOf(target);
  if (eng === undefined) throw new Error("checkInvariants: not a B-tree store");
  const space = eng.space;
  const pageCount = space.pageCount;
  const owner = new Uint8Array(pageCount); // 1 tree, 2 reusable, 3 pending
  const claim = (p: number, kind: number, what: string) => {
    if (p <= 0 || p >= pageCount) throw new Error(`${what}: page ${p} outside 1..${pageCount - 1}`);
    if (owner[p] !== 0) throw new Error(`${what}: page ${p} already claimed (${owner[p]})`);
    owner[p] = kind;
  };
  const stats: TreeStats = {
    height: 0,
    keys: 0,
    nodePages: 0,
    overflowPages: 0,
    freePages: 0,
    pendingPages: 0,
    pageCount,
  };
  let prev: Uint8Array | undefined;
  let leafDepth = -1;
  const visit = (
    page: number,
    crc: number,
    depth: number,
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
    isRoot: boolean,
  ): void => {
    const p = eng.load(page, crc);
    for (let i = 0; i < p.npages; i++) claim(page + i, 1, `node ${page}`);
    stats.nodePages += p.npages;
    if (p.type === BRANCH) {
      if (p.count < 2 && !isRoot) throw new Error(`branch ${page} has ${p.count} child`);
      if (isRoot && p.count < 2) throw new Error(`root branch ${page} has one child`);
      for (let i = 0; i < p.count; i++) {
        const clo = i === 0 ? lo : p.sepView(i);
        const chi = i + 1 < p.count ? p.sepView(i + 1) : hi;
        if (i > 0 && lo !== undefined && compareBytes(p.sepView(i), lo) < 0) {
          throw new Error(`branch ${page}: separator ${i} below its lower bound`);
        }
        visit(p.childPage(i), p.childCrc(i), depth + 1, clo, chi, false);
      }
      return;
    }
    if (leafDepth === -1) leafDepth = depth;
    else if (leafDepth !== depth) {
      throw new Error(`leaf ${page} at depth ${depth}, not ${leafDepth}`);
    }
    for (let i = 0; i < p.count; i++) {
      const k = p.keyView(i);
      if (prev !== undefined && compareBytes(prev, k) >= 0) {
        throw new Error(`leaf ${page}: key ${i} is not above the previous key`);
      }
      if (lo !== undefined && compareBytes(k, lo) < 0) throw new Error(`leaf ${page}: key < sep`);
      if (hi !== undefined && compareBytes(k, hi) >= 0) throw new Error(`leaf ${page}: key >= sep`);
      prev = k.slice();
      stats.keys++;
      const v = p.valueRef(i);
      if (v instanceof Ovf) {
        for (let j = 0; j < v.npages; j++) claim(v.page + j, 1, `value of leaf ${page}`);
        stats.overflowPages += v.npages;
        eng.readOverflow(v);
      }
    }
  };
  const log = eng.logExtent;
  if (log !== undefined) {
    for (let i = 0; i < log.npages; i++) claim(log.page + i, 4, "commit log");
  }
  const root = eng.currentRoot();
  if (root.page !== 0) visit(root.page, root.crc, 0, undefined, undefined, true);
  stats.height = leafDepth + 1;
  for (let p = 1; p < pageCount; p++) {
    if (space.isFree(p)) {
      claim(p, 2, "free space");
      stats.freePages++;
    }
  }
  for (const e of space.pending) {
    for (const p of e.pages) {
      claim(p, 3, `pending free of commit ${e.txn}`);
      stats.pendingPages++;
    }
  }
  if (stats.freePages !== space.count) {
    throw new Error(`free count ${space.count} but ${stats.freePages} pages are marked`);
  }
  for (let p = 1; p < pageCount; p++) {
    if (owner[p] === 0) throw new Error(`page ${p} is neither in the tree nor free (leaked)`);
  }
  return stats;
}
