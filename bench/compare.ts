/**
 * One run that measures every available oxistore engine and the stores a
 * Deno user would otherwise pick (Deno KV, SQLite via `node:sqlite`, lmdb) on
 * the same workloads, and writes the table and chart the README shows.
 *
 * ```sh
 * deno run -A bench/compare.ts [--quick] [--engines btree,lsm,denokv]
 *   [--anchors deno-kv,sqlite,lmdb] [--out bench/results] [--cap-s 15] [--no-write]
 * deno run -A bench/compare.ts --report-only   # redraw compare.md/.svg from compare.json
 * ```
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
/** Marks protocol lines a child writes to stdout. */
const TAG = "@@compare ";

/** Parsed command line. */
interface Args {
  quick: boolean;
  engines: StoreKind[];
  anchors: string[];
  out: string;
  capSeconds: number;
  write: boolean;
  /** Redraw the report from the raw results of the last run (compare.json). */
  reportOnly?: boolean;
  tmp?: string;
  child?: string;
}

function usage(message: string): never {
  console.error(
    `${message}\nusage: deno run -A bench/compare.ts [--quick] [--engines btree,lsm,denokv] ` +
      `[--anchors deno-kv,sqlite,lmdb|none] [--out bench/results] [--cap-s N] [--tmp DIR] ` +
      `[--no-write] [--report-only]`,
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
      case "--report-only":
        args.reportOnly = true;
        break;
      case "--engines": {
        const kinds = list(value());
        for (const k of kinds) {
          if (!(ENGINE_KINDS as readonly string[]).includes(k)) usage(`unknown engine ${k}`);
        }
        args.engines = kinds as StoreKind[];
        break;
      }
      case "--anchors": {
        const ids = list(value());
        for (const id of ids) {
          if (!ANCHORS.some((a) => a.id === id)) usage(`unknown anchor ${id}`);
        }
        args.anchors = ids;
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
      default:
        usage(`unknown argument ${a}`);
    }
  }
  if (args.capSeconds === 0) args.capSeconds = args.quick ? 10 : 15;
  return args;
}

function factories(args: Args): SubjectFactory[] {
  return [
    ...args.engines.map(engineFactory),
    ...ANCHORS.filter((a) => args.anchors.includes(a.id)),
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
  const counts: Counts = args.quick ? QUICK : FULL;
  const log = (line: string) => console.error(line);
  const inputs = makeInputs(counts);
  const emit = (kind: string, body: unknown) => console.log(TAG + JSON.stringify({ kind, body }));
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
async function runChild(factory: SubjectFactory, args: Args): Promise<SubjectResult> {
  const result: SubjectResult = {
    id: factory.id,
    label: factory.label,
    setup: factory.setup,
    status: "ok",
    measurements: {},
  };
  const config = new URL("../deno.json", import.meta.url).pathname;
  const childArgs = ["run", "-A", "--quiet", "--config", config, new URL(import.meta.url).pathname];
  childArgs.push("--child", factory.id, "--cap-s", String(args.capSeconds));
  if (args.quick) childArgs.push("--quick");
  // The child's stores live under a folder the parent owns and removes, so
  // even a child killed mid-run leaves nothing behind.
  const root = await Deno.makeTempDir({
    prefix: `oxistore-compare-${factory.id}-`,
    ...(args.tmp ? { dir: args.tmp } : {}),
  });
  childArgs.push("--tmp", root);
  try {
    await collect(childArgs, result, args);
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
  if (result.status !== "ok") {
    console.error(`  ${factory.label}: ${result.status}: ${result.reason}`);
  }
  return result;
}

/** Runs the child with `childArgs` and files what it reports into `result`. */
async function collect(childArgs: string[], result: SubjectResult, args: Args): Promise<void> {
  // Every workload stops at its cap; the deadline only catches a hang.
  const deadline = AbortSignal.timeout((24 * args.capSeconds + 120) * 1000);
  const proc = new Deno.Command(Deno.execPath(), {
    args: childArgs,
    stdout: "piped",
    stderr: "inherit",
    signal: deadline,
  }).spawn();
  let rest = "";
  const decoder = new TextDecoder();
  const handle = (line: string) => {
    if (!line.startsWith(TAG)) {
      if (line.trim()) console.error(line);
      return;
    }
    const { kind, body } = JSON.parse(line.slice(TAG.length));
    if (kind === "measurement") {
      const m = body as Measurement;
      result.measurements[m.workload] = m;
    } else {
      result.status = kind === "skip" ? "skipped" : "failed";
      result.reason = String(body);
    }
  };
  for await (const chunk of proc.stdout) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop()!;
    lines.forEach(handle);
  }
  if (rest) handle(rest);
  const status = await proc.status;
  if (!status.success && result.status === "ok") {
    result.status = Object.keys(result.measurements).length > 0 ? "ok" : "failed";
    const why = deadline.aborted
      ? "killed at the deadline"
      : `child exited with ${status.signal ?? `code ${status.code}`}`;
    result.reason = why;
    if (result.status === "ok") {
      console.error(`  ${result.label}: ${why}; keeping the measurements taken before`);
    }
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

/** A whole run's raw results: what compare.json keeps. */
interface RunRecord {
  meta: ReportMeta;
  fsync: FsyncRates | undefined;
  results: SubjectResult[];
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
  const meta: ReportMeta = {
    command,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    deno: `deno ${Deno.version.deno}`,
    machine: machine(),
    quick: args.quick,
    baselineId: BASELINE,
    load: loadAverage(),
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
  const results: SubjectResult[] = [];
  for (const factory of factories(args)) {
    console.error(`\n${factory.label}:`);
    const t0 = performance.now();
    results.push(await runChild(factory, args));
    console.error(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  meta.load = `${meta.load} at the start, ${loadAverage()} at the end`;
  await report({ meta, fsync, results }, args);
}

if (import.meta.main) await main();
