// The local blob store, a dataset on it and a dataset in a local directory
// (its file calls put on the simulated disk through columnar's `localDisk`),
// on the simulated disk: a power
// cut or kill at every call of the workload (the store opens; every
// acknowledged put, copy, rename and delete holds with its exact bytes and
// metadata; the step in flight shows its before or after, whole; listing
// agrees with reads), and EIO/ENOSPC at every call in turn (the step fails
// with Io or CapacityExceeded naming the store; none resolves after a failed
// fsync; reads stay whole; a reopen after the fault holds every acknowledged
// step). Power cuts are `drop` or `scatter` (unsynced renames and unlinks of
// a directory land in any order), with extra scatter cuts where a directory
// fsync is in flight.
import { blobTarget, datasetTarget } from "./_blob_targets.ts";
import { dirDatasetTarget } from "./_dir_dataset_target.ts";
import {
  BLOB_CI,
  type StoreBudget,
  storeCrashPoints,
  storeFaultRuns,
  storeSummary,
  type StoreTarget,
} from "./_blob_harness.ts";

const DATASET_SAMPLE = 60;

function suite<S, M>(
  what: string,
  make: (base: string) => StoreTarget<S, M>,
  budget: StoreBudget,
  faults: boolean,
): void {
  Deno.test(`faults: ${what} survives a power cut or kill at every call`, async () => {
    const base = Deno.makeTempDirSync({ prefix: "oxistore-faults-" });
    try {
      const tally = await storeCrashPoints(make(base), budget);
      console.log(storeSummary(tally));
      if (tally.calls < 100) throw new Error(`workload too small: ${tally.calls} calls`);
      if (tally.crashRuns < Math.min(tally.calls, budget.crashSample)) {
        throw new Error(`visited ${tally.crashRuns} of ${tally.calls} points`);
      }
    } finally {
      Deno.removeSync(base, { recursive: true });
    }
  });
  if (!faults) return;
  Deno.test(`faults: ${what} fails cleanly on an I/O error at every call`, async () => {
    const base = Deno.makeTempDirSync({ prefix: "oxistore-faults-" });
    try {
      const tally = await storeFaultRuns(make(base), budget);
      console.log(storeSummary(tally));
      if (tally.faultRuns !== tally.calls) {
        throw new Error(`faulted ${tally.faultRuns} of ${tally.calls} calls`);
      }
      if (tally.faultsSurfaced < tally.faultRuns / 2) {
        throw new Error(`only ${tally.faultsSurfaced} of ${tally.faultRuns} faults surfaced`);
      }
    } finally {
      Deno.removeSync(base, { recursive: true });
    }
  });
}

suite("local blob store", blobTarget, BLOB_CI, true);
suite("dataset on local blobs", datasetTarget, { ...BLOB_CI, crashSample: DATASET_SAMPLE }, false);
suite("dataset in a local directory", dirDatasetTarget, BLOB_CI, true);
