// `deno task faults [--exhaustive] [--seconds N] [--engine btree|lsm]`: the
// crash-point and I/O-error runs of tests/faults outside the test runner.
// Without flags it runs what CI runs. `--exhaustive` cuts the power at every
// call in both cut modes and injects every error code at every call; with
// `--seconds N` it repeats with new tear seeds until the time is up.
import { parseArgs } from "node:util";
import { btreeTarget, lsmTarget } from "./_targets.ts";
import { type Budget, CI, crashPoints, faultRuns, summary } from "./_suite.ts";

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
for (let pass = 1; pass === 1 || left() > 0; pass++) {
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
if (failed) Deno.exit(1);
