// The write buffer of a B-tree store: commits since the last checkpoint,
// sorted in memory (their records are in the commit log). Reads look here
// first; a checkpoint merges the buffer into the tree in key order, so a leaf
// that many commits touch is rewritten once per checkpoint, not per commit.
import type { RawEntry, RawOp } from "../../core/engine.ts";
import { compareBytes } from "../../core/bytes.ts";
import { Memtable, TOMBSTONE } from "../../core/_memtable.ts";
import { HEAD_BYTES } from "./_page.ts";

export { TOMBSTONE };

/** Commits waiting for the next checkpoint, by key, with versions for open snapshots. */
export class WriteBuffer {
  readonly #table = new Memtable();

  /** Approximate bytes held. */
  get bytes(): number {
    return this.#table.bytes;
  }

  /** Distinct keys held. */
  get size(): number {
    return this.#table.count;
  }

  /** Adds a commit's ops as version `seq`; `keepOld` keeps earlier versions for snapshots. */
  add(ops: readonly RawOp[], seq: number, keepOld: boolean): void {
    for (const op of ops) this.#table.put(op.key, op.value ?? TOMBSTONE, seq, keepOld);
  }

  /**
   * The version of `key` visible at `seq`: a caller-owned copy, null when
   * deleted there, undefined when the buffer does not know the key.
   */
  get(key: Uint8Array, seq: number): Uint8Array | null | undefined {
    const v = this.#table.get(key, seq);
    if (v === undefined) return undefined;
    return v === TOMBSTONE ? null : v.slice();
  }

  /** The newest version of every key, in key order, as ops (a delete has no value). */
  ops(): RawOp[] {
    const out: RawOp[] = [];
    for (const [key, value] of this.#table.entries(undefined, undefined, false, Infinity)) {
      out.push({ key, value: value === TOMBSTONE ? undefined : value });
    }
    return out;
  }

  /** Entries in `[lo, hi)` visible at `seq`, tombstones included. */
  entries(
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
    reverse: boolean,
    seq: number,
  ): Iterator<[Uint8Array, Uint8Array]> {
    return this.#table.entries(lo, hi, reverse, seq);
  }
}

/**
 * The tree's entries with the buffer's laid over them: a buffered key
 * replaces the tree's, a buffered delete hides it. Values are caller-owned.
 */
export function* overlay(
  buffered: Iterator<[Uint8Array, Uint8Array]>,
  tree: Iterable<RawEntry>,
  reverse: boolean,
  keysOnly: boolean,
): Generator<RawEntry> {
  const t = tree[Symbol.iterator]();
  let b = buffered.next();
  let n = t.next();
  while (!b.done || !n.done) {
    let c: number;
    if (b.done) c = 1;
    else if (n.done) c = -1;
    else c = compareBytes(b.value[0], n.value[0]) * (reverse ? -1 : 1);
    if (c <= 0) {
      const [key, value] = b.value!;
      if (value !== TOMBSTONE) {
        yield [key.slice(), keysOnly ? value.slice(0, HEAD_BYTES) : value.slice()];
      }
      b = buffered.next();
      if (c === 0) n = t.next();
    } else {
      yield n.value!;
      n = t.next();
    }
  }
}
