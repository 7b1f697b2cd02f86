// Pruning: delete what no restore point inside the retention window needs.
// A restore to time t uses, in the newest generation that had a snapshot by
// t, the newest snapshot at or before t and every later segment. So, with
// horizon = now - retention:
// - in each generation, snapshots older than the newest one at or before the
//   horizon (the base) go, and so do segments that end at or before the base;
// - a whole generation goes once a newer generation had a snapshot by the
//   horizon (every t inside the window is served by that one or a later one).
import { type Generation, listGenerations, type ReplicaTarget } from "./_layout.ts";

/** Deletes every piece of the replica no restore point after `now - retentionMs` needs. */
export async function pruneReplica(
  t: ReplicaTarget,
  retentionMs: number,
  now = Date.now(),
): Promise<number> {
  const horizon = now - retentionMs;
  const gens = await listGenerations(t);
  const doomed: string[] = [];
  const firstSnapshot = (g: Generation) => g.snapshots[0]?.timeMs ?? Infinity;
  for (let i = 0; i < gens.length; i++) {
    const g = gens[i]!;
    const superseded = gens.slice(i + 1).some((n) => firstSnapshot(n) <= horizon);
    if (superseded) {
      doomed.push(...g.snapshots.map((s) => s.key), ...g.segments.map((s) => s.key));
      continue;
    }
    const base = g.snapshots.filter((s) => s.timeMs <= horizon).at(-1);
    if (!base) continue;
    for (const s of g.snapshots) if (s.seq < base.seq) doomed.push(s.key);
    for (const s of g.segments) if (s.last <= base.seq) doomed.push(s.key);
  }
  return doomed.length > 0 ? await t.store.deleteMany(doomed) : 0;
}
