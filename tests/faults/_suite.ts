// The crash-point and fault runs over one engine, sized for CI or for the
// long `deno task faults` run, with tallies for the report.
import { countCalls, crashPoint, faultCodes, faultPoint, points, type Target } from "./_harness.ts";
import type { CutMode } from "./sim_disk.ts";
import { rng } from "./sim_disk.ts";

/** How much to run. */
export interface Budget {
  /** Crash points to visit (all when the workload has fewer calls). */
  crashSample: number;
  /** Every cut mode at every point (else one, chosen by a seeded coin). */
  bothModes: boolean;
  /** Every error code at every call (else EIO/ENOSPC alternate on writes). */
  allCodes: boolean;
  /** Scatter cuts at each point where a directory fsync is in flight. */
  dirMixes: number;
  /** Stop starting new points after this many seconds (the long run's `--seconds`). */
  seconds: number;
}

/** The CI budget: every call of the workload once, one cut mode or error code each. */
export const CI: Budget = {
  crashSample: 1000,
  bothModes: false,
  allCodes: false,
  dirMixes: 4,
  seconds: Infinity,
};

/** What a run covered. */
export interface Tally {
  engine: string;
  calls: number;
  kinds: Record<string, number>;
  crashRuns: number;
  faultRuns: number;
  faultsSurfaced: number;
  refusedAfterSync: number;
}

/** Cuts the power at every (or a sample of) call(s) of the workload; throws at the first bad point. */
export async function crashPoints(t: Target, b: Budget, seed = 1): Promise<Tally> {
  const c = await countCalls(t);
  const tally = newTally(t, c);
  const coin = rng(seed);
  const end = performance.now() + b.seconds * 1000;
  for (const k of points(c.total, b.crashSample, seed)) {
    if (performance.now() > end) break;
    const all: CutMode[] = ["drop", "scatter", "kill"];
    const modes = b.bothModes ? all : [all[Math.floor(coin() * all.length)]!];
    // Cut before a directory fsync finished: its unsynced name changes (new
    // files, renames) each reach the disk or not, so try several mixes.
    if (c.calls[k - 1] === "dirsync") {
      for (let i = modes.includes("scatter") ? 1 : 0; i < b.dirMixes; i++) modes.push("scatter");
    }
    for (const [i, mode] of modes.entries()) {
      await crashPoint(t, k, mode, seed * 1000 + i);
      tally.crashRuns++;
    }
  }
  return tally;
}

/** Fails every call of the workload in turn; throws at the first bad point. */
export async function faultRuns(t: Target, b: Budget): Promise<Tally> {
  const c = await countCalls(t);
  const tally = newTally(t, c);
  const end = performance.now() + b.seconds * 1000;
  for (let k = 1; k <= c.total; k++) {
    if (performance.now() > end) break;
    const codes = faultCodes(c.calls[k - 1]!);
    for (const code of b.allCodes ? codes : [codes[k % codes.length]!]) {
      const r = await faultPoint(t, k, code);
      tally.faultRuns++;
      if (r.surfaced) tally.faultsSurfaced++;
      if (r.refusedAfterSync) tally.refusedAfterSync++;
    }
  }
  return tally;
}

function newTally(t: Target, c: { total: number; kinds: Record<string, number> }): Tally {
  return {
    engine: t.name,
    calls: c.total,
    kinds: c.kinds,
    crashRuns: 0,
    faultRuns: 0,
    faultsSurfaced: 0,
    refusedAfterSync: 0,
  };
}

/** One line for the test log and the report. */
export function summary(t: Tally): string {
  const kinds = Object.entries(t.kinds).map(([k, n]) => `${k} ${n}`).join(", ");
  const parts = [`${t.engine}: workload ${t.calls} calls (${kinds})`];
  if (t.crashRuns > 0) parts.push(`${t.crashRuns} power cuts or kills`);
  if (t.faultRuns > 0) {
    parts.push(
      `${t.faultRuns} injected faults (${t.faultsSurfaced} surfaced as errors, ` +
        `${t.refusedAfterSync} writes refused after a failed fsync)`,
    );
  }
  return parts.join("; ");
}
