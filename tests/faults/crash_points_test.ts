// Power cuts and process kills at every call of the workload, on each
// engine: the store opens, holds every acknowledged commit whole and nothing
// half-applied, its invariants hold, and what a reopen after a kill shows
// survives a power cut. The `syncWrites: false` variants (acknowledged by
// `flush()`) visit a seeded sample of their calls here and every one in
// `deno task faults --exhaustive`.
import { btreeTarget, lsmTarget } from "./_targets.ts";
import { CI, crashPoints, summary } from "./_suite.ts";

const RELAXED_SAMPLE = 120;

for (const make of [btreeTarget, lsmTarget]) {
  for (const syncWrites of [true, false]) {
    const base = Deno.makeTempDirSync({ prefix: "oxistore-faults-" });
    const target = make(base, syncWrites);
    const budget = syncWrites ? CI : { ...CI, crashSample: RELAXED_SAMPLE };
    Deno.test(`faults: ${target.name} survives a power cut or kill at every call`, async () => {
      try {
        const tally = await crashPoints(target, budget);
        console.log(summary(tally));
        if (tally.calls < 100) throw new Error(`workload too small: ${tally.calls} calls`);
        if (tally.crashRuns < Math.min(tally.calls, budget.crashSample)) {
          throw new Error(`visited ${tally.crashRuns} of ${tally.calls} points`);
        }
      } finally {
        Deno.removeSync(base, { recursive: true });
      }
    });
  }
}
