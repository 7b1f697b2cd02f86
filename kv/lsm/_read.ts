// The read path over a pinned view (memtables newest first, then the
// version's tables): point lookups and scans. Tombstones (empty values) hide
// older versions and are never returned.
import { compareBytes } from "../../core/bytes.ts";
import type { RawEntry, RawScanOptions } from "../../core/engine.ts";
import { bloomHash } from "./_bloom.ts";
import {
  atOrPast,
  copyKey,
  type Cursor,
  LevelCursor,
  MemCursor,
  MergeCursor,
  TableCursor,
} from "./_cursor.ts";
import type { Memtable } from "../../core/_memtable.ts";
import { findTable, levelEntries, mergeSources, overlaps, type Version } from "./_version.ts";

/** What a read sees: versions up to `seq` in `mems`, then the tables of `version`. */
export interface View {
  seq: number;
  mems: Memtable[];
  version: Version;
}

export function getIn(view: View, key: Uint8Array): Uint8Array | undefined {
  for (const m of view.mems) {
    const v = m.get(key, view.seq);
    if (v !== undefined) return v.length === 0 ? undefined : v.slice();
  }
  const levels = view.version.levels;
  const hash = bloomHash(key);
  const l0 = levels[0];
  if (l0) {
    for (const t of l0) {
      if (!overlaps(t.meta, key, key)) continue;
      const v = t.reader.get(key, hash);
      if (v !== undefined) return v.length === 0 ? undefined : v.slice();
    }
  }
  for (let l = 1; l < levels.length; l++) {
    const level = levels[l]!;
    const i = findTable(level, key);
    const t = level[i];
    if (t === undefined || compareBytes(t.meta.smallest, key) > 0) continue;
    const v = t.reader.get(key, hash);
    if (v !== undefined) return v.length === 0 ? undefined : v.slice();
  }
  return undefined;
}

function sources(
  view: View,
  lo: Uint8Array | undefined,
  hi: Uint8Array | undefined,
  reverse: boolean,
): Iterator<[Uint8Array, Uint8Array]>[] {
  const sources: Iterator<[Uint8Array, Uint8Array]>[] = [];
  for (const m of view.mems) sources.push(m.entries(lo, hi, reverse, view.seq));
  const levels = view.version.levels;
  for (const t of levels[0] ?? []) {
    if (
      overlaps(t.meta, lo, undefined) &&
      (hi === undefined || compareBytes(t.meta.smallest, hi) < 0)
    ) {
      sources.push(t.reader.entries(lo, hi, reverse));
    }
  }
  for (let l = 1; l < levels.length; l++) {
    if (levels[l]!.length) sources.push(levelEntries(levels[l]!, lo, hi, reverse));
  }
  return sources;
}

function cursors(view: View, lo: Uint8Array | undefined, hi: Uint8Array | undefined): Cursor[] {
  const kids: Cursor[] = [];
  for (const m of view.mems) kids.push(new MemCursor(m, lo, view.seq));
  const levels = view.version.levels;
  for (const t of levels[0] ?? []) {
    if (
      overlaps(t.meta, lo, undefined) &&
      (hi === undefined || compareBytes(t.meta.smallest, hi) < 0)
    ) kids.push(new TableCursor(t.reader, lo));
  }
  for (let l = 1; l < levels.length; l++) {
    if (levels[l]!.length) kids.push(new LevelCursor(levels[l]!, lo));
  }
  return kids;
}

export function* scanView(
  view: View,
  lo: Uint8Array | undefined,
  hi: Uint8Array | undefined,
  opts: RawScanOptions | undefined,
): Generator<RawEntry> {
  const reverse = opts?.reverse === true;
  const keysOnly = opts?.keysOnly === true;
  if (!reverse) {
    const c = new MergeCursor(cursors(view, lo, hi));
    for (; c.valid && !atOrPast(c, hi); c.next()) {
      if (c.vlen === 0) continue;
      const end = c.voff + (keysOnly && c.vlen > 9 ? 9 : c.vlen);
      yield [copyKey(c), c.vbuf.slice(c.voff, end)];
    }
    return;
  }
  for (const [k, v] of mergeSources(sources(view, lo, hi, reverse), reverse)) {
    if (v.length === 0) continue;
    yield [k.slice(), keysOnly ? v.slice(0, 9) : v.slice()];
  }
}
