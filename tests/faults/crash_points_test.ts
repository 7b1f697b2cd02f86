// Power cuts at every call of the workload, on each engine: the store opens,
// holds every acknowledged commit whole and nothing half-applied, and its
// invariants hold. (`deno task faults` runs both cut modes at every point.)
import { btreeTarget, lsmTarget } from "./_targets.ts";
import { CI, crashPoints, summary } from "./_suite.ts";

for (const make of [btreeTarget, lsmTarget]) {
  const base = Deno.makeTempDirSync({ prefix: "oxistore-faults-" });
  const target = make(base);
  Deno.test(`faults: ${target.name} survives a power cut at every call of the workload`, async () => {
    try {
      const tally = await crashPoints(target, CI);
      console.log(summary(tally));
      if (tally.calls < 100) throw new Error(`workload too small: ${tally.calls} calls`);
      if (tally.crashRuns !== Math.min(tally.calls, CI.crashSample)) {
        throw new Error(`visited ${tally.crashRuns} of ${tally.calls} points`);
      }
    } finally {
      Deno.removeSync(base, { recursive: true });
    }
  });
}
