// `deno task faults [--exhaustive] [--seconds N] [--engine btree|lsm|blob|dataset|dir]`: the
// crash-point and I/O-error runs of tests/faults outside the test runner.
// Without flags it runs what CI runs. `--exhaustive` cuts the power at every
// call in both cut modes and injects every error code at every call; with
// `--seconds N` it repeats with new tear seeds until the time is up (the blob
// store and the datasets run once after the engines, in what time is left:
// give them `--engine blob` for the whole of it).
import { parseArgs } from "node:util";
import { btreeTarget, lsmTarget } from "./_targets.ts";
import { type Budget, CI, crashPoints, faultRuns, summary } from "./_suite.ts";
import { blobTarget, datasetTarget } from "./_blob_targets.ts";
import { dirDatasetTarget } from "./_dir_dataset_target.ts";
import { openersTarget } from "./_openers_target.ts";
import {
  BLOB_CI,
  type StoreBudget,
  storeCrashPoints,
  storeFaultRuns,
  storeSummary,
  type StoreTarget,
} from "./_blob_harness.ts";

async function storeRun<S, M>(t: StoreTarget<S, M>, b: StoreBudget, faults: boolean) {
  const crash = await storeCrashPoints(t, b);
  const f = faults ? await storeFaultRuns(t, b) : undefined;
  return storeSummary({ ...crash, ...f, crashRuns: crash.crashRuns });
}
const blobRun = (base: string, b: StoreBudget, faults: boolean) =>
  storeRun(blobTarget(base), b, faults);
const datasetRun = (base: string, b: StoreBudget, faults: boolean) =>
  storeRun(datasetTarget(base), b, faults);
const dirRun = (base: string, b: StoreBudget, faults: boolean) =>
  storeRun(dirDatasetTarget(base), b, faults);

const { values } = parseArgs({
  args: Deno.args,
  options: {
    exhaustive: { type: "boolean", default: false },
    seconds: { type: "string" },
    engine: { type: "string" },
  },
});
const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
if (seconds !== undefined && !(seconds > 0)) throw new Error("--seconds wants a positive number");
const makers = [btreeTarget, lsmTarget].filter((m) =>
  values.engine === undefined || m.name.toLowerCase().startsWith(values.engine)
);
const started = performance.now();
const left = () =>
  seconds === undefined ? Infinity : seconds - (performance.now() - started) / 1000;
const budget = (): Budget =>
  values.exhaustive
    ? { crashSample: Infinity, bothModes: true, allCodes: true, dirMixes: 8, seconds: left() }
    : { ...CI, seconds: left() };

let failed = false;
for (let pass = 1; makers.length > 0 && (pass === 1 || left() > 0); pass++) {
  for (const [make, syncWrites] of makers.flatMap((m) => [[m, true], [m, false]] as const)) {
    const base = Deno.makeTempDirSync({ prefix: "oxistore-faults-" });
    const target = make(base, syncWrites);
    try {
      const crash = await crashPoints(target, budget(), pass);
      const faults = pass === 1 && syncWrites ? await faultRuns(target, budget()) : undefined;
      console.log(`pass ${pass} ${summary({ ...crash, ...faults, crashRuns: crash.crashRuns })}`);
    } catch (err) {
      failed = true;
      console.error(`pass ${pass} ${target.name}: ${(err as Error).stack ?? err}`);
    } finally {
      Deno.removeSync(base, { recursive: true });
    }
    if (left() <= 0) break;
  }
  if (seconds === undefined || failed) break;
}
// Several openers of one LSM directory (--engine lsm).
if (values.engine === undefined || "lsm".startsWith(values.engine)) {
  for (let pass = 1; !failed && (pass === 1 || left() > 0); pass++) {
    const base = Deno.makeTempDirSync({ prefix: "oxistore-faults-" });
    const target = openersTarget(base);
    try {
      const crash = await crashPoints(target, budget(), pass);
      console.log(`pass ${pass} ${summary(crash)}`);
    } catch (err) {
      failed = true;
      console.error(`pass ${pass} ${target.name}: ${(err as Error).stack ?? err}`);
    } finally {
      Deno.removeSync(base, { recursive: true });
    }
    if (seconds === undefined) break;
  }
}
// The local blob store, a dataset on it and one in a directory (--engine blob / dataset / dir).
for (const [name, run] of [["blob", blobRun], ["dataset", datasetRun], ["dir", dirRun]] as const) {
  if (values.engine !== undefined && !name.startsWith(values.engine)) continue;
  const b: StoreBudget = values.exhaustive
    ? { crashSample: Infinity, allModes: true, allCodes: true, dirMixes: 8, seconds: left() }
    : { ...BLOB_CI, seconds: left() };
  if (!values.exhaustive && name === "dataset") b.crashSample = 60;
  const base = Deno.makeTempDirSync({ prefix: "oxistore-faults-" });
  try {
    console.log(await run(base, b, name !== "dataset"));
  } catch (err) {
    failed = true;
    console.error(`${name}: ${(err as Error).stack ?? err}`);
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
}
if (failed) Deno.exit(1);
