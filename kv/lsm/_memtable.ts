// The in-memory sorted write buffer: a two-level B+tree (an array of small
// sorted leaves). Each key keeps a chain of versions tagged with commit
// sequence numbers while snapshots are open, so a snapshot reads the version
// it pinned. An empty value (length 0) is a tombstone: real stored values
// always carry core's TTL header, so they are never empty.
import { compareBytes } from "../../core/bytes.ts";

/** One version of a key. */
export interface MemEntry {
  value: Uint8Array;
  seq: number;
  prev: MemEntry | undefined;
}

const LEAF_MAX = 96;
/** The tombstone every layer of the engine uses. */
export const TOMBSTONE: Uint8Array = new Uint8Array(0);

class Leaf {
  keys: Uint8Array[] = [];
  ents: MemEntry[] = [];
}

function searchKeys(keys: Uint8Array[], key: Uint8Array): number {
  let lo = 0, hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The version visible at `seq`, if any. */
function visible(e: MemEntry | undefined, seq: number): MemEntry | undefined {
  while (e !== undefined && e.seq > seq) e = e.prev;
  return e;
}

/** A sorted, multi-version write buffer. */
export class Memtable {
  #leaves: Leaf[] = [new Leaf()];
  /** Approximate memory held, in bytes. */
  bytes = 0;
  /** Distinct keys. */
  count = 0;
  /** Bumped whenever positions shift, so iterators re-seek. */
  #shape = 0;

  #leafFor(key: Uint8Array): number {
    const leaves = this.#leaves;
    let lo = 0, hi = leaves.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (compareBytes(leaves[mid]!.keys[0]!, key) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Writes a version; `keepOld` keeps the previous one for open snapshots. */
  put(key: Uint8Array, value: Uint8Array, seq: number, keepOld: boolean): void {
    const li = this.#leafFor(key);
    const leaf = this.#leaves[li]!;
    const i = searchKeys(leaf.keys, key);
    if (i < leaf.keys.length && compareBytes(leaf.keys[i]!, key) === 0) {
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
    leaf.keys.splice(i, 0, key);
    leaf.ents.splice(i, 0, { value, seq, prev: undefined });
    this.bytes += key.length + value.length + 64;
    this.count++;
    this.#shape++;
    if (leaf.keys.length > LEAF_MAX) {
      const right = new Leaf();
      const half = leaf.keys.length >>> 1;
      right.keys = leaf.keys.splice(half);
      right.ents = leaf.ents.splice(half);
      this.#leaves.splice(li + 1, 0, right);
    }
  }

  /** The version of `key` visible at `seq`; undefined when the table has none. */
  get(key: Uint8Array, seq: number): Uint8Array | undefined {
    const leaf = this.#leaves[this.#leafFor(key)]!;
    const i = searchKeys(leaf.keys, key);
    if (i >= leaf.keys.length || compareBytes(leaf.keys[i]!, key) !== 0) return undefined;
    return visible(leaf.ents[i], seq)?.value;
  }

  /** Position of the first key >= `key` (or > when `after`). */
  #seek(key: Uint8Array, after: boolean): [number, number] {
    const li = this.#leafFor(key);
    const leaf = this.#leaves[li]!;
    let i = searchKeys(leaf.keys, key);
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
    let [li, i] = lo === undefined ? [0, 0] : this.#seek(lo, false);
    let shape = this.#shape;
    let last: Uint8Array | undefined;
    while (true) {
      if (shape !== this.#shape) {
        // An insert moved positions: find our place again, after `last`.
        shape = this.#shape;
        [li, i] = last === undefined
          ? (lo === undefined ? [0, 0] : this.#seek(lo, false))
          : this.#seek(last, true);
      }
      const leaf = this.#leaves[li];
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
        li = this.#leaves.length - 1;
        i = this.#leaves[li]!.keys.length;
      } else {
        [li, i] = this.#seek(bound, false);
      }
      // step back to the previous position
      while (i === 0 && li > 0) {
        li--;
        i = this.#leaves[li]!.keys.length;
      }
      const leaf = this.#leaves[li]!;
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
