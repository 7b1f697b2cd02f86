// The in-memory sorted write buffer: a two-level B+tree (an array of small
// sorted leaves). Each key keeps a chain of versions tagged with commit
// sequence numbers while snapshots are open, so a snapshot reads the version
// it pinned. An empty value (length 0) is a tombstone: real stored values
// always carry core's TTL header, so they are never empty.
import { compareBytes } from "./bytes.ts";

/** One version of a key. */
export interface MemEntry {
  value: Uint8Array;
  seq: number;
  prev: MemEntry | undefined;
}

const LEAF_MAX = 96;
/** The tombstone every layer of the engine uses. */
export const TOMBSTONE: Uint8Array = new Uint8Array(0);

export class Leaf {
  keys: Uint8Array[] = [];
  /** The first 6 bytes of each key as a number: most compares end here, without a cache miss. */
  pre: number[] = [];
  ents: MemEntry[] = [];
}

/** The first 6 key bytes, big-endian, zero-padded; orders like the bytes when unequal. */
function prefixOf(k: Uint8Array): number {
  const n = k.length;
  return (n > 0 ? k[0]! * 0x10000000000 : 0) + (n > 1 ? k[1]! * 0x100000000 : 0) +
    (n > 2 ? k[2]! * 0x1000000 : 0) + (n > 3 ? k[3]! * 0x10000 : 0) +
    (n > 4 ? k[4]! * 0x100 : 0) + (n > 5 ? k[5]! : 0);
}

function cmp(aPre: number, a: Uint8Array, bPre: number, b: Uint8Array): number {
  if (aPre !== bPre) return aPre < bPre ? -1 : 1;
  return compareBytes(a, b);
}

function searchKeys(leaf: Leaf, pre: number, key: Uint8Array): number {
  const keys = leaf.keys, pres = leaf.pre;
  let lo = 0, hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(pres[mid]!, keys[mid]!, pre, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The version visible at `seq`, if any. */
export function visible(e: MemEntry | undefined, seq: number): MemEntry | undefined {
  while (e !== undefined && e.seq > seq) e = e.prev;
  return e;
}

/** A sorted, multi-version write buffer. */
export class Memtable {
  leaves: Leaf[] = [new Leaf()];
  /** Approximate memory held, in bytes. */
  bytes = 0;
  /** Distinct keys. */
  count = 0;
  /** Bumped whenever positions shift, so iterators re-seek. */
  shape = 0;

  /** Prefix of each leaf's first key, parallel to the leaves. */
  #firstPre: number[] = [0];

  #leafFor(pre: number, key: Uint8Array): number {
    const leaves = this.leaves, fp = this.#firstPre;
    let lo = 0, hi = leaves.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (cmp(fp[mid]!, leaves[mid]!.keys[0]!, pre, key) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Writes a version; `keepOld` keeps the previous one for open snapshots. */
  put(key: Uint8Array, value: Uint8Array, seq: number, keepOld: boolean): void {
    const pre = prefixOf(key);
    const li = this.#leafFor(pre, key);
    const leaf = this.leaves[li]!;
    const i = searchKeys(leaf, pre, key);
    if (i < leaf.keys.length && leaf.pre[i] === pre && compareBytes(leaf.keys[i]!, key) === 0) {
      const cur = leaf.ents[i]!;
      if (keepOld && cur.seq !== seq) {
        leaf.ents[i] = { value, seq, prev: cur };
        this.bytes += value.length + 24;
      } else {
        this.bytes += value.length - cur.value.length;
        cur.value = value;
        cur.seq = seq;
      }
      return;
    }
    if (i === leaf.keys.length) {
      leaf.keys.push(key);
      leaf.pre.push(pre);
      leaf.ents.push({ value, seq, prev: undefined });
    } else {
      leaf.keys.splice(i, 0, key);
      leaf.pre.splice(i, 0, pre);
      leaf.ents.splice(i, 0, { value, seq, prev: undefined });
    }
    if (i === 0) this.#firstPre[li] = pre;
    this.bytes += key.length + value.length + 64;
    this.count++;
    this.shape++;
    if (leaf.keys.length > LEAF_MAX) {
      const right = new Leaf();
      const half = leaf.keys.length >>> 1;
      right.keys = leaf.keys.splice(half);
      right.pre = leaf.pre.splice(half);
      right.ents = leaf.ents.splice(half);
      this.leaves.splice(li + 1, 0, right);
      this.#firstPre.splice(li + 1, 0, right.pre[0]!);
    }
  }

  /** The version of `key` visible at `seq`; undefined when the table has none. */
  get(key: Uint8Array, seq: number): Uint8Array | undefined {
    const pre = prefixOf(key);
    const leaf = this.leaves[this.#leafFor(pre, key)]!;
    const i = searchKeys(leaf, pre, key);
    if (i >= leaf.keys.length || leaf.pre[i] !== pre || compareBytes(leaf.keys[i]!, key) !== 0) {
      return undefined;
    }
    return visible(leaf.ents[i], seq)?.value;
  }

  /** Position of the first key >= `key` (or > when `after`). */
  seekPos(key: Uint8Array, after: boolean): [number, number] {
    const pre = prefixOf(key);
    const li = this.#leafFor(pre, key);
    const leaf = this.leaves[li]!;
    let i = searchKeys(leaf, pre, key);
    if (after && i < leaf.keys.length && compareBytes(leaf.keys[i]!, key) === 0) i++;
    return [li, i];
  }

  /**
   * Entries in `[lo, hi)` as they were at `seq` (tombstones included),
   * ascending or descending. Safe against inserts between steps.
   */
  *entries(
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
    reverse: boolean,
    seq: number,
  ): Generator<[Uint8Array, Uint8Array]> {
    if (reverse) {
      yield* this.#reverse(lo, hi, seq);
      return;
    }
    let [li, i] = lo === undefined ? [0, 0] : this.seekPos(lo, false);
    let shape = this.shape;
    let last: Uint8Array | undefined;
    while (true) {
      if (shape !== this.shape) {
        // An insert moved positions: find our place again, after `last`.
        shape = this.shape;
        [li, i] = last === undefined
          ? (lo === undefined ? [0, 0] : this.seekPos(lo, false))
          : this.seekPos(last, true);
      }
      const leaf = this.leaves[li];
      if (!leaf) return;
      if (i >= leaf.keys.length) {
        li++;
        i = 0;
        continue;
      }
      const key = leaf.keys[i]!;
      if (hi !== undefined && compareBytes(key, hi) >= 0) return;
      const e = visible(leaf.ents[i], seq);
      i++;
      if (e === undefined) continue;
      last = key;
      yield [key, e.value];
    }
  }

  *#reverse(
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
    seq: number,
  ): Generator<[Uint8Array, Uint8Array]> {
    // Collect one leaf at a time (keys before the cursor), newest shape each time.
    let bound = hi;
    while (true) {
      const batch: [Uint8Array, Uint8Array][] = [];
      let li: number, i: number;
      if (bound === undefined) {
        li = this.leaves.length - 1;
        i = this.leaves[li]!.keys.length;
      } else {
        [li, i] = this.seekPos(bound, false);
      }
      // step back to the previous position
      while (i === 0 && li > 0) {
        li--;
        i = this.leaves[li]!.keys.length;
      }
      const leaf = this.leaves[li]!;
      for (let j = i - 1; j >= 0; j--) {
        const key = leaf.keys[j]!;
        if (lo !== undefined && compareBytes(key, lo) < 0) break;
        const e = visible(leaf.ents[j], seq);
        if (e !== undefined) batch.push([key, e.value]);
      }
      if (i === 0) return;
      const first = leaf.keys[0]!;
      for (const b of batch) yield b;
      if (li === 0 || (lo !== undefined && compareBytes(first, lo) <= 0)) return;
      bound = first;
    }
  }
}
