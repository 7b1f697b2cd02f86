// EIO and ENOSPC at every call of the workload, and a failing fsync, on each
// engine: the failed operation is a StoreError of the right kind naming the
// store, reads give the acknowledged value or an error, writes stop after a
// failed fsync until a reopen, and a reopen once the error is gone holds
// every acknowledged commit.
import { btreeTarget, lsmTarget } from "./_targets.ts";
import { CI, faultRuns, summary } from "./_suite.ts";

for (const make of [btreeTarget, lsmTarget]) {
  const base = Deno.makeTempDirSync({ prefix: "oxistore-faults-" });
  const target = make(base);
  Deno.test(`faults: ${target.name} fails cleanly on an I/O error at every call`, async () => {
    try {
      const tally = await faultRuns(target, CI);
      console.log(summary(tally));
      if (tally.faultRuns !== tally.calls) {
        throw new Error(`faulted ${tally.faultRuns} of ${tally.calls} calls`);
      }
      // Most calls are on the commit path: their failure must reach the caller.
      if (tally.faultsSurfaced < tally.faultRuns / 2) {
        throw new Error(`only ${tally.faultsSurfaced} of ${tally.faultRuns} faults surfaced`);
      }
      if (tally.refusedAfterSync === 0) {
        throw new Error("no write was refused after a failed fsync");
      }
    } finally {
      Deno.removeSync(base, { recursive: true });
    }
  });
}
