// Versions: immutable lists of tables per level. Readers and snapshots pin a
// version; a table's file is deleted only when no live version holds it.
import { compareBytes } from "../../core/bytes.ts";
import type { TableReader } from "./_table_reader.ts";
import type { TableMeta } from "./_table_writer.ts";

/** An open table and how many versions hold it. */
export class Table {
  readonly meta: TableMeta;
  readonly reader: TableReader;
  refs = 0;
  constructor(meta: TableMeta, reader: TableReader) {
    this.meta = meta;
    this.reader = reader;
  }
}

/** Levels of tables: level 0 newest first (may overlap), deeper levels sorted, disjoint. */
export class Version {
  readonly levels: Table[][];
  /** The manifest edit this version is (other openers' pins compare with it). */
  readonly edit: number;
  refs = 0;
  constructor(levels: Table[][], edit = 0) {
    this.levels = levels;
    this.edit = edit;
    for (const level of levels) for (const t of level) t.refs++;
  }
}

/** True when the table's key range meets `[lo, hi]` (inclusive; undefined = open). */
export function overlaps(
  t: TableMeta,
  lo: Uint8Array | undefined,
  hi: Uint8Array | undefined,
): boolean {
  if (lo !== undefined && compareBytes(t.largest, lo) < 0) return false;
  if (hi !== undefined && compareBytes(t.smallest, hi) > 0) return false;
  return true;
}

/** In a sorted level, the index of the first table whose largest key is >= key. */
export function findTable(level: Table[], key: Uint8Array): number {
  let lo = 0, hi = level.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(level[mid]!.meta.largest, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Total bytes of a level. */
export function levelBytes(level: Table[]): number {
  let n = 0;
  for (const t of level) n += t.meta.size;
  return n;
}

/** Entries of a sorted level in `[lo, hi)`, table after table. */
export function* levelEntries(
  level: Table[],
  lo: Uint8Array | undefined,
  hi: Uint8Array | undefined,
  reverse: boolean,
): Generator<[Uint8Array, Uint8Array]> {
  if (!reverse) {
    for (let i = lo === undefined ? 0 : findTable(level, lo); i < level.length; i++) {
      const t = level[i]!;
      if (hi !== undefined && compareBytes(t.meta.smallest, hi) >= 0) return;
      yield* t.reader.entries(lo, hi, false);
    }
  } else {
    let i = hi === undefined ? level.length - 1 : Math.min(findTable(level, hi), level.length - 1);
    for (; i >= 0; i--) {
      const t = level[i]!;
      if (lo !== undefined && compareBytes(t.meta.largest, lo) < 0) return;
      yield* t.reader.entries(lo, hi, true);
    }
  }
}

/**
 * Merges sorted sources into one, newest source first: on equal keys the
 * lowest-index source wins and the others are skipped.
 */
export function* mergeSources(
  sources: Iterator<[Uint8Array, Uint8Array]>[],
  reverse: boolean,
): Generator<[Uint8Array, Uint8Array]> {
  const heads: ([Uint8Array, Uint8Array] | undefined)[] = sources.map((s) => {
    const r = s.next();
    return r.done ? undefined : r.value;
  });
  const dir = reverse ? -1 : 1;
  try {
    while (true) {
      let best = -1;
      let bestKey: Uint8Array | undefined;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h === undefined) continue;
        if (bestKey === undefined || compareBytes(h[0], bestKey) * dir < 0) {
          best = i;
          bestKey = h[0];
        }
      }
      if (best < 0) return;
      const out = heads[best]!;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h === undefined || (i !== best && compareBytes(h[0], bestKey!) !== 0)) continue;
        const r = sources[i]!.next();
        heads[i] = r.done ? undefined : r.value;
      }
      yield out;
    }
  } finally {
    for (const s of sources) s.return?.();
  }
}
