// Power cuts and kills at every call of a workload with several openers of
// one LSM directory (a read-only handle and two writers in this process):
// every commit either writer acknowledged survives whole, nothing is half
// applied, and the directory opens. It reaches the syncs a lone opener never
// makes: the first log a writer starts when attaching, and the frozen log's
// fdatasync and the new log's directory fsync at a shared log switch.
import { openersTarget } from "./_openers_target.ts";
import { CI, crashPoints, summary } from "./_suite.ts";

const base = Deno.makeTempDirSync({ prefix: "oxistore-faults-" });
const target = openersTarget(base);
Deno.test(`faults: ${target.name} survives a power cut or kill at every call`, async () => {
  try {
    // A rejection nobody handles (a background sync failing at a cut) fails the test.
    const tally = await crashPoints(target, CI);
    console.log(summary(tally));
    if (tally.calls < 100) throw new Error(`workload too small: ${tally.calls} calls`);
    if (tally.crashRuns < Math.min(tally.calls, CI.crashSample)) {
      throw new Error(`visited ${tally.crashRuns} of ${tally.calls} points`);
    }
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});
