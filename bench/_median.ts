/**
 * Folds several runs of bench/compare.ts into one: per subject and workload
 * the median value and the spread (lowest–highest), because one run on a
 * shared disk moves by tens of percent; and which peer leads each row.
 *
 * @module
 */
import type { SubjectResult } from "./_report.ts";
import { type Measurement, WORKLOAD_INFO, type WorkloadId, WORKLOADS } from "./_workloads.ts";

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One workload's measurements over the runs → the median run's figures, with the spread. */
function combineMeasurements(ms: Measurement[], runs: number): Measurement {
  const good = ms.filter((m) => !m.error && Number.isFinite(m.value));
  if (good.length === 0) return ms[0]!; // every run failed: show the first error
  const mid = median(good.map((m) => m.value));
  // ops and seconds come from the run closest to the median, so a note still fits its number
  const closest = good.reduce((a, b) => Math.abs(b.value - mid) < Math.abs(a.value - mid) ? b : a);
  const values = good.map((m) => m.value);
  const notes = [...new Set(ms.flatMap((m) => m.note ? [m.note] : []))];
  const failures = ms.length - good.length;
  if (failures > 0) {
    notes.push(`${failures} of ${runs} runs failed: ${ms.find((m) => m.error)?.error}`);
  }
  if (good.length < runs && failures === 0) {
    notes.push(`measured in ${good.length} of ${runs} runs`);
  }
  const out: Measurement = {
    workload: closest.workload,
    value: mid,
    ops: closest.ops,
    seconds: closest.seconds,
    spread: { min: Math.min(...values), max: Math.max(...values), runs: good.length },
  };
  if (notes.length > 0) out.note = notes.join("; ");
  if (closest.detail) out.detail = closest.detail;
  return out;
}

/**
 * The runs of a whole comparison (each a list of subject results) as one list:
 * every subject in first-seen order, each number the median over the runs.
 */
export function combineRuns(runs: readonly SubjectResult[][]): SubjectResult[] {
  const ids: string[] = [];
  for (const run of runs) for (const r of run) if (!ids.includes(r.id)) ids.push(r.id);
  return ids.map((id) => {
    const mine = runs.flatMap((run) => run.filter((r) => r.id === id));
    const first = mine[0]!;
    const measurements: SubjectResult["measurements"] = {};
    for (const w of WORKLOADS) {
      const ms = mine.flatMap((r) => r.measurements[w] ? [r.measurements[w]!] : []);
      if (ms.length > 0) measurements[w] = combineMeasurements(ms, runs.length);
    }
    const ok = mine.filter((r) => r.status === "ok");
    const reasons = [...new Set(mine.flatMap((r) => r.reason ? [r.reason] : []))];
    const out: SubjectResult = {
      ...first,
      status: ok.length > 0 ? "ok" : first.status,
      measurements,
    };
    if (reasons.length > 0) out.reason = reasons.join("; ");
    else delete out.reason;
    return out;
  });
}

/** The peer (an anchor, not an oxistore engine) with the best value on `workload`, if any. */
export function leadingPeer(
  results: readonly SubjectResult[],
  workload: WorkloadId,
): SubjectResult | undefined {
  const better = WORKLOAD_INFO[workload].higherIsBetter
    ? (a: number, b: number) => a > b
    : (a: number, b: number) => a < b;
  let best: SubjectResult | undefined;
  for (const r of results) {
    if (!r.peer || r.status === "skipped") continue;
    const m = r.measurements[workload];
    if (!m || m.error || !(m.value > 0)) continue;
    if (!best || better(m.value, best.measurements[workload]!.value)) best = r;
  }
  return best;
}
