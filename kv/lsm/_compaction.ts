// Leveled compaction: which tables to merge next. Level 0 compacts when it
// holds `l0Trigger` tables; level n >= 1 when it outgrows
// `levelBaseBytes * levelRatio^(n-1)`, one table at a time, round-robin.
import { compareBytes } from "../../core/bytes.ts";
import { levelBytes, overlaps, type Table } from "./_version.ts";

/** Levels the tree may use. */
export const MAX_LEVELS = 7;

/** The shape knobs compaction reads. */
export interface LevelShape {
  l0Trigger: number;
  levelBaseBytes: number;
  levelRatio: number;
}

/** One unit of compaction work. */
export interface CompactionJob {
  level: number;
  /** Tables of `level` (level 0: newest first). */
  inputs: Table[];
  /** Overlapping tables of `level + 1`. */
  next: Table[];
  outLevel: number;
  /** No deeper level holds these keys: tombstones and expired values can go. */
  bottom: boolean;
  /** Inputs are disjoint and meet nothing below: move them without rewriting. */
  trivial: boolean;
}

/** The byte target of level `n >= 1`. */
export function levelTarget(shape: LevelShape, n: number): number {
  return shape.levelBaseBytes * Math.pow(shape.levelRatio, n - 1);
}

function range(tables: Table[]): [Uint8Array, Uint8Array] {
  let lo = tables[0]!.meta.smallest, hi = tables[0]!.meta.largest;
  for (const t of tables) {
    if (compareBytes(t.meta.smallest, lo) < 0) lo = t.meta.smallest;
    if (compareBytes(t.meta.largest, hi) > 0) hi = t.meta.largest;
  }
  return [lo, hi];
}

function disjoint(tables: Table[]): boolean {
  const s = [...tables].sort((a, b) => compareBytes(a.meta.smallest, b.meta.smallest));
  for (let i = 1; i < s.length; i++) {
    if (compareBytes(s[i - 1]!.meta.largest, s[i]!.meta.smallest) >= 0) return false;
  }
  return true;
}

/** Builds the job that merges `inputs` of `level` into the level below. */
export function planJob(levels: Table[][], level: number, inputs: Table[]): CompactionJob {
  const [lo, hi] = range(inputs);
  const outLevel = level + 1;
  const next = (levels[outLevel] ?? []).filter((t) => overlaps(t.meta, lo, hi));
  // Dead entries may go only if no deeper level holds any key of the merged
  // tables: the `next` tables can reach beyond the inputs' key range.
  const [mlo, mhi] = range([...inputs, ...next]);
  let bottom = true;
  for (let l = outLevel + 1; l < levels.length; l++) {
    if (levels[l]!.some((t) => overlaps(t.meta, mlo, mhi))) bottom = false;
  }
  const trivial = next.length === 0 && disjoint(inputs);
  return { level, inputs, next, outLevel, bottom, trivial };
}

/** The most urgent job, or undefined when every level is within its target. */
export function pickCompaction(
  levels: Table[][],
  shape: LevelShape,
  pointers: (Uint8Array | undefined)[],
): CompactionJob | undefined {
  let bestScore = 1;
  let bestLevel = -1;
  const l0 = levels[0]?.length ?? 0;
  if (l0 >= shape.l0Trigger) {
    bestScore = l0 / shape.l0Trigger;
    bestLevel = 0;
  }
  for (let n = 1; n < MAX_LEVELS - 1 && n < levels.length; n++) {
    const score = levelBytes(levels[n]!) / levelTarget(shape, n);
    if (score > bestScore) {
      bestScore = score;
      bestLevel = n;
    }
  }
  if (bestLevel < 0) return undefined;
  if (bestLevel === 0) return planJob(levels, 0, [...levels[0]!]);
  const level = levels[bestLevel]!;
  const after = pointers[bestLevel];
  let pick = level[0]!;
  if (after !== undefined) {
    const t = level.find((t) => compareBytes(t.meta.smallest, after) > 0);
    if (t) pick = t;
  }
  pointers[bestLevel] = pick.meta.largest;
  return planJob(levels, bestLevel, [pick]);
}
