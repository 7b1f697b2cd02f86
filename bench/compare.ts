/**
 * One run that measures every available oxistore engine and the stores a
 * Deno user would otherwise pick (Deno KV, SQLite via `node:sqlite`, lmdb,
 * classic-level) on the same workloads, and writes the table and chart the
 * README shows.
 *
 * ```sh
 * deno run -A bench/compare.ts [--quick] [--runs 3] [--engines btree,lsm,denokv]
 *   [--anchors deno-kv,sqlite,lmdb,classic-level] [--out bench/results] [--cap-s 15] [--no-write]
 * deno run -A bench/compare.ts --report-only   # redraw compare.md/.svg from compare.json
 * deno run -A bench/compare.ts --scale [--scale-keys 10000000] [--cap-s 150]
 * ```
 *
 * With `--runs N` the whole comparison runs N times, the subjects interleaved
 * (each round starts one subject later), and every cell is the median with
 * the lowest–highest beside it. `--scale` measures loads, reads and scans as
 * the store grows to 10M keys with a 64 MiB cache (bench/_scale.ts).
 *
 * Each engine or anchor runs in its own child process, one after another:
 * a crash, a hang (killed after a deadline) or a leak in one cannot skew or
 * stop the others, and `/proc/self/io` counts only that subject's writes.
 * An engine that is not built yet (`StoreError` kind `Unsupported`) is
 * skipped with a note.
 *
 * @module
 */
import { StoreError, type StoreKind } from "../mod.ts";
import { ANCHORS } from "./_anchors.ts";
import { emit, runInChild } from "./_child.ts";
import { combineRuns } from "./_median.ts";
import { twoWriters, visibility } from "./_multiprocess.ts";
import { scalePlan } from "./_scale.ts";
import { scaleChild, scaleMain } from "./_scale_run.ts";
import {
  type FsyncRates,
  markdownReport,
  type ReportMeta,
  type SubjectResult,
  svgChart,
  textTable,
} from "./_report.ts";
import {
  type Counts,
  engineFactory,
  fmtNumber,
  fsyncRate,
  FULL,
  makeInputs,
  type Measurement,
  QUICK,
  runSubject,
  type SubjectFactory,
} from "./_workloads.ts";

const ENGINE_KINDS: readonly StoreKind[] = ["btree", "lsm", "denokv"];
const BASELINE = "deno-kv";
/** What `--scale` measures unless `--engines` / `--anchors` say otherwise. */
const SCALE_ENGINES: readonly StoreKind[] = ["btree", "lsm"];
const SCALE_ANCHORS = ["lmdb", "classic-level", "sqlite", "deno-kv"];

/** Parsed command line. */
interface Args {
  quick: boolean;
  engines: StoreKind[];
  anchors: string[];
  out: string;
  capSeconds: number;
  write: boolean;
  /** Whole comparisons to run; each cell is their median. */
  runs: number;
  /** The scale mode, and its key count. */
  scale: boolean;
  scaleKeys: number;
  /** Whether --engines / --anchors were given (the scale mode has its own defaults). */
  pickedEngines: boolean;
  pickedAnchors: boolean;
  /** Measure rows 10 and 11 (several processes) for the subjects that have them. */
  multiprocess: boolean;
  /** Redraw the report from the raw results of the last run (compare.json). */
  reportOnly?: boolean;
  tmp?: string;
  child?: string;
}

function usage(message: string): never {
  console.error(
    `${message}\nusage: deno run -A bench/compare.ts [--quick] [--runs N] ` +
      `[--engines btree,lsm,denokv] [--anchors deno-kv,sqlite,lmdb,classic-level|none] ` +
      `[--out bench/results] [--cap-s N] [--tmp DIR] [--no-write] [--report-only] ` +
      `[--no-multiprocess] ` +
      `[--scale [--scale-keys N]]`,
  );
  Deno.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    quick: false,
    engines: [...ENGINE_KINDS],
    anchors: ANCHORS.map((a) => a.id),
    out: new URL("./results", import.meta.url).pathname,
    capSeconds: 0,
    write: true,
    runs: 1,
    scale: false,
    scaleKeys: 10_000_000,
    pickedEngines: false,
    pickedAnchors: false,
    multiprocess: true,
  };
  const list = (v: string) => v === "none" ? [] : v.split(",").map((s) => s.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes("=") ? a.split("=", 2) as [string, string] : [a, undefined];
    const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
    switch (flag) {
      case "--quick":
        args.quick = true;
        break;
      case "--no-write":
        args.write = false;
        break;
      case "--no-multiprocess":
        args.multiprocess = false;
        break;
      case "--report-only":
        args.reportOnly = true;
        break;
      case "--engines": {
        const kinds = list(value());
        for (const k of kinds) {
          if (!(ENGINE_KINDS as readonly string[]).includes(k)) usage(`unknown engine ${k}`);
        }
        args.engines = kinds as StoreKind[];
        args.pickedEngines = true;
        break;
      }
      case "--anchors": {
        const ids = list(value());
        for (const id of ids) {
          if (!ANCHORS.some((a) => a.id === id)) usage(`unknown anchor ${id}`);
        }
        args.anchors = ids;
        args.pickedAnchors = true;
        break;
      }
      case "--out":
        args.out = value();
        break;
      case "--tmp":
        args.tmp = value();
        break;
      case "--cap-s":
        args.capSeconds = Number(value());
        if (!(args.capSeconds > 0)) usage("--cap-s needs a positive number");
        break;
      case "--child":
        args.child = value();
        break;
      case "--runs":
        args.runs = Number(value());
        if (!Number.isInteger(args.runs) || args.runs < 1) {
          usage("--runs needs a whole number >= 1");
        }
        break;
      case "--scale":
        args.scale = true;
        break;
      case "--scale-keys":
        args.scale = true;
        args.scaleKeys = Number(value());
        if (!Number.isInteger(args.scaleKeys) || args.scaleKeys < 1000) {
          usage("--scale-keys needs a whole number >= 1000");
        }
        break;
      default:
        usage(`unknown argument ${a}`);
    }
  }
  if (args.scale && args.runs > 1) usage("--scale runs once (it is long); drop --runs");
  if (args.scale && args.quick) usage("--scale and --quick do not mix; use --scale-keys N");
  if (args.capSeconds === 0) args.capSeconds = args.scale ? 150 : args.quick ? 10 : 15;
  if (args.scale) {
    if (!args.pickedEngines) args.engines = [...SCALE_ENGINES];
    if (!args.pickedAnchors) args.anchors = [...SCALE_ANCHORS];
  }
  return args;
}

/** The subjects to run, in report order; `peer` marks the anchors. */
function subjects(args: Args): { factory: SubjectFactory; peer: boolean }[] {
  const anchors = args.scale
    ? args.anchors.map((id) => ANCHORS.find((a) => a.id === id)!)
    : ANCHORS.filter((a) => args.anchors.includes(a.id));
  return [
    ...args.engines.map((kind) => ({ factory: engineFactory(kind), peer: false })),
    ...anchors.map((factory) => ({ factory, peer: true })),
  ];
}

/** Raw device limit: 4 KiB append+fdatasync and overwrite+fdatasync per second. */
function measureFsync(iterations: number, tmp: string | undefined): FsyncRates {
  const dir = Deno.makeTempDirSync({ prefix: "oxistore-fsync-", ...(tmp ? { dir: tmp } : {}) });
  try {
    return {
      appendPerSec: fsyncRate(`${dir}/append`, iterations, false),
      overwritePerSec: fsyncRate(`${dir}/overwrite`, iterations, true),
      iterations,
    };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** In the child: run one subject, one tagged JSON line per measurement. */
async function child(args: Args): Promise<void> {
  const factory = [...ENGINE_KINDS.map(engineFactory), ...ANCHORS].find((f) => f.id === args.child);
  if (!factory) usage(`unknown subject ${args.child}`);
  if (args.scale) {
    if (!args.tmp) usage("--child needs --tmp");
    return scaleChild(factory, scalePlan(args.scaleKeys, args.capSeconds * 1000), args.tmp);
  }
  const counts: Counts = args.quick ? QUICK : FULL;
  const log = (line: string) => console.error(line);
  const inputs = makeInputs(counts);
  try {
    const opts = { inputs, capMs: args.capSeconds * 1000, log };
    for await (const m of runSubject(factory, args.tmp ? { ...opts, tmpRoot: args.tmp } : opts)) {
      emit("measurement", m);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof StoreError && err.kind === "Unsupported") emit("skip", message);
    else emit("fail", `${err instanceof Error ? err.name : "Error"}: ${message}`);
  }
}

/** In the parent: run one subject in a child process and collect its lines. */
async function runChild(
  { factory, peer }: { factory: SubjectFactory; peer: boolean },
  args: Args,
): Promise<SubjectResult> {
  const result: SubjectResult = {
    id: factory.id,
    label: factory.label,
    setup: factory.setup,
    peer,
    status: "ok",
    measurements: {},
  };
  const childArgs = ["--child", factory.id, "--cap-s", String(args.capSeconds)];
  if (args.quick) childArgs.push("--quick");
  // Every workload stops at its cap; the deadline only catches a hang.
  const deadlineMs = (24 * args.capSeconds + 120) * 1000;
  const exit = await runInChild(
    new URL(import.meta.url).pathname,
    childArgs,
    { id: factory.id, deadlineMs, ...(args.tmp ? { tmpRoot: args.tmp } : {}) },
    (kind, body) => {
      if (kind === "measurement") {
        const m = body as Measurement;
        result.measurements[m.workload] = m;
      } else {
        result.status = kind === "skip" ? "skipped" : "failed";
        result.reason = String(body);
      }
    },
  );
  if (!exit.ok && result.status === "ok") {
    result.status = Object.keys(result.measurements).length > 0 ? "ok" : "failed";
    result.reason = exit.why!;
    if (result.status === "ok") {
      console.error(`  ${result.label}: ${exit.why}; keeping the measurements taken before`);
    }
  }
  if (result.status !== "ok") {
    console.error(`  ${factory.label}: ${result.status}: ${result.reason}`);
  } else if (args.multiprocess && MULTIPROCESS_SUBJECTS.includes(factory.id)) {
    await measureMultiprocess(factory.id, result, args);
  }
  return result;
}

/** The subjects rows 10 and 11 are measured for (bench/_multiprocess_child.ts opens them). */
const MULTIPROCESS_SUBJECTS = ["btree", "lsm", "sqlite"];

/**
 * Rows 10 and 11, in the parent (each spawns its own processes): two
 * writer processes' combined durable commits/s, and the median delay before
 * a reader process sees another's commit.
 */
async function measureMultiprocess(id: string, result: SubjectResult, args: Args): Promise<void> {
  const ms = args.quick ? 1000 : 4000;
  const stamps = args.quick ? 20 : 45;
  try {
    const rate = await twoWriters(id, ms, args.tmp);
    result.measurements.mpCommit2 = {
      workload: "mpCommit2",
      value: rate,
      ops: Math.round(rate * ms / 1000),
      seconds: ms / 1000,
    };
    const t0 = performance.now();
    const seen = await visibility(id, stamps, args.tmp);
    result.measurements.mpSeen = {
      workload: "mpSeen",
      value: seen,
      ops: stamps - 5,
      seconds: (performance.now() - t0) / 1000,
    };
    console.error(
      `  two writer processes: ${fmtNumber(rate)} commits/s; seen after ${seen.toFixed(2)} ms`,
    );
  } catch (err) {
    console.error(`  ${result.label}: the multi-process rows failed: ${err}`);
  }
}

/** The 1-minute load average, or "?" where /proc is missing. */
function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ")[0] ?? "?";
  } catch {
    return "?";
  }
}

function machine(): string {
  let cpu = "unknown CPU";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(Deno.readTextFileSync("/proc/cpuinfo"));
    if (m) cpu = m[1]!.trim();
  } catch { /* not Linux */ }
  return `${navigator.hardwareConcurrency} cores (${cpu}), ${Deno.build.os}/${Deno.build.arch}`;
}

/** A whole run's results (medians when several runs): what compare.json keeps. */
interface RunRecord {
  meta: ReportMeta;
  fsync: FsyncRates | undefined;
  results: SubjectResult[];
  /** With `--runs N`: each run's own results, in the order they ran. */
  rounds?: SubjectResult[][];
}

/** Prints the table and writes compare.md, compare.svg and compare.json. */
async function report(run: RunRecord, args: Args): Promise<void> {
  const { meta, fsync, results } = run;
  console.log(`\n${textTable(results, meta.baselineId)}`);
  console.log(`load average (1 min): ${meta.load}`);
  if (fsync) {
    console.log(
      `raw fdatasync (${fsync.iterations}×): 4 KiB append ${fmtNumber(fsync.appendPerSec)}/s, ` +
        `4 KiB overwrite ${fmtNumber(fsync.overwritePerSec)}/s`,
    );
  }
  if (!args.write) return;
  await Deno.mkdir(args.out, { recursive: true });
  await Deno.writeTextFile(`${args.out}/compare.md`, markdownReport(results, fsync, meta));
  await Deno.writeTextFile(`${args.out}/compare.svg`, svgChart(results, meta));
  await Deno.writeTextFile(`${args.out}/compare.json`, JSON.stringify(run, null, 1) + "\n");
  console.log(`wrote compare.md, compare.svg and compare.json in ${args.out}`);
}

async function main(): Promise<void> {
  const args = parseArgs(Deno.args);
  if (args.child) return child(args);
  if (args.reportOnly) {
    const run = JSON.parse(await Deno.readTextFile(`${args.out}/compare.json`)) as RunRecord;
    return report(run, args);
  }
  const counts = args.quick ? QUICK : FULL;
  const command = ["deno run -A bench/compare.ts", ...Deno.args].join(" ");
  if (args.scale) {
    const plan = scalePlan(args.scaleKeys, args.capSeconds * 1000);
    return scaleMain(subjects(args), {
      script: new URL(import.meta.url).pathname,
      childArgs: ["--scale-keys", String(args.scaleKeys), "--cap-s", String(args.capSeconds)],
      ...(args.tmp ? { tmpRoot: args.tmp } : {}),
      out: args.out,
      write: args.write,
      meta: {
        command,
        date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        deno: `deno ${Deno.version.deno}`,
        machine: machine(),
        load: loadAverage,
        plan,
      },
    });
  }
  const meta: ReportMeta = {
    command,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    deno: `deno ${Deno.version.deno}`,
    machine: machine(),
    quick: args.quick,
    baselineId: BASELINE,
    load: loadAverage(),
    runs: args.runs,
  };
  console.error(`${command}\n${meta.date}, ${meta.deno}, ${meta.machine}`);
  let fsync: FsyncRates | undefined;
  try {
    fsync = measureFsync(counts.fsyncs, args.tmp);
    console.error(
      `raw fdatasync: 4 KiB append ${fmtNumber(fsync.appendPerSec)}/s, ` +
        `4 KiB overwrite ${fmtNumber(fsync.overwritePerSec)}/s`,
    );
  } catch (err) {
    console.error(`raw fdatasync measurement failed: ${err}`);
  }
  const list = subjects(args);
  const rounds: SubjectResult[][] = [];
  for (let round = 0; round < args.runs; round++) {
    // Each round starts one subject later, so no subject always runs first
    // (fresh page cache) or last (a disk still busy with the others' writes).
    const order = list.map((_, i) => list[(i + round) % list.length]!);
    const results: SubjectResult[] = [];
    for (const subject of order) {
      const run = args.runs > 1 ? ` (run ${round + 1} of ${args.runs})` : "";
      console.error(`\n${subject.factory.label}${run}:`);
      const t0 = performance.now();
      results.push(await runChild(subject, args));
      console.error(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
    // report order, whatever order they ran in
    rounds.push(list.map((sub) => results.find((r) => r.id === sub.factory.id)!));
  }
  meta.load = `${meta.load} at the start, ${loadAverage()} at the end`;
  const results = args.runs > 1 ? combineRuns(rounds) : rounds[0]!;
  await report({ meta, fsync, results, ...(args.runs > 1 ? { rounds } : {}) }, args);
}

if (import.meta.main) await main();
