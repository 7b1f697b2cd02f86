// Reading a replica back: which snapshot and which commits make the state at
// a moment, fetched and checked whole before anything is applied.
import { readBackup } from "../core/backup_format.ts";
import type { RawEntry } from "../core/engine.ts";
import { StoreError } from "../core/error.ts";
import type { ReplicatedCommit } from "../core/_replication.ts";
import {
  type Generation,
  listGenerations,
  type ReplicaTarget,
  type SegmentRef,
  segmentsAfter,
  type SnapshotRef,
  where,
} from "./_layout.ts";
import { decodeSegment } from "./_segment.ts";

/** The pieces that rebuild the state at a moment. */
export interface RestorePlan {
  generation: Generation;
  snapshot: SnapshotRef;
  segments: SegmentRef[];
  /** Commits stamped after this are not applied. */
  atMs: number;
}

/**
 * The newest generation with a snapshot at or before `atMs` (Infinity: the
 * newest state), its newest such snapshot, and the segments after it.
 * `NotFound` when the replica holds nothing that old (or nothing at all).
 */
export async function planRestore(t: ReplicaTarget, atMs: number): Promise<RestorePlan> {
  const gens = await listGenerations(t);
  for (let i = gens.length - 1; i >= 0; i--) {
    const g = gens[i]!;
    const snapshot = g.snapshots.filter((s) => s.timeMs <= atMs).at(-1);
    if (!snapshot) continue;
    const segments = segmentsAfter(g, snapshot.seq, where(t))
      .filter((s) => s.firstTime <= atMs);
    return { generation: g, snapshot, segments, atMs };
  }
  const when = Number.isFinite(atMs) ? ` at or before ${new Date(atMs).toISOString()}` : "";
  throw new StoreError(
    "NotFound",
    gens.length === 0
      ? `Cannot restore ${where(t)}: the target holds no replica under this prefix`
      : `Cannot restore ${where(t)}: no snapshot${when} (older than the replica's retention)`,
  );
}

/** Reads a snapshot whole, verifying every checksum. */
export async function fetchSnapshot(t: ReplicaTarget, s: SnapshotRef): Promise<RawEntry[]> {
  return await Array.fromAsync(readBackup({ store: t.store, key: s.key }));
}

/**
 * Reads segments whole and returns their commits after `afterSeq`, up to the
 * plan's moment, checked to follow on one by one.
 */
export async function fetchCommits(
  t: ReplicaTarget,
  segments: SegmentRef[],
  afterSeq: number,
  atMs = Infinity,
): Promise<ReplicatedCommit[]> {
  const out: ReplicatedCommit[] = [];
  let next = afterSeq + 1;
  for (const s of segments) {
    for (const c of decodeSegment(await t.store.get(s.key), s.key)) {
      if (c.seq < next) continue;
      if (c.seq !== next) {
        throw new StoreError(
          "Corruption",
          `Cannot read ${where(t)}: segment ${s.key} skips from commit ${next} to ${c.seq}`,
        );
      }
      if (c.timeMs > atMs) return out;
      out.push(c);
      next++;
    }
  }
  return out;
}
