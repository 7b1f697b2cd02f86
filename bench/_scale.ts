/**
 * The `--scale` workloads of bench/compare.ts: how throughput holds up when
 * the store grows far past its cache (10M keys of 16 bytes with 100-byte
 * values, 1.16 GB of payload, against a 64 MiB cache). One subject, in the
 * child process: a sequential load, then a random-key load into a fresh
 * store, with random reads and 50-key scans each time the store reaches a
 * milestone (200k, 2M and 10M keys by default).
 *
 * Keys and values are made batch by batch outside the clock (10M of them do
 * not fit in memory up front); the random key `i` is a function of `i`
 * alone, so reads can pick any key already loaded. Every phase stops at a
 * time cap and reports the rate of what it did, marked partial.
 *
 * @module
 */
import { StoreError } from "../mod.ts";
import { type Pair, seqKey, type Subject, type SubjectFactory } from "./_workloads.ts";

/** What the scale run measures at each milestone. */
export type ScaleWorkload = "seqLoad" | "randLoad" | "getHit" | "getHitSync" | "scanShort";

/** One number: a workload's rate as the store grew to (or stood at) `keys`. */
export interface ScalePoint {
  workload: ScaleWorkload;
  /** The milestone this point belongs to. */
  milestone: number;
  /** Keys in the store when the point was taken (below `milestone` when a cap hit). */
  keys: number;
  /** Keys, reads or scans per second. */
  value: number;
  ops: number;
  seconds: number;
  /** Set when a time cap cut the phase short. */
  note?: string;
}

/** The scale run's sizes and caps. */
export interface ScalePlan {
  /** Store sizes at which rates are reported, ascending; the last is the full size. */
  milestones: number[];
  batchSize: number;
  /** Random reads at each milestone. */
  reads: number;
  /** 50-key scans at each milestone. */
  scans: number;
  scanLength: number;
  /** Cap on each load phase (sequential, random), ms of wall time. */
  loadCapMs: number;
  /** Cap on each read or scan measurement, ms. */
  readCapMs: number;
  cacheSizeBytes: number;
}

/** The plan for `keys` keys: milestones at 1/50, 1/5 and all of them (200k, 2M, 10M). */
export function scalePlan(keys: number, loadCapMs: number): ScalePlan {
  const milestones = [...new Set([Math.round(keys / 50), Math.round(keys / 5), keys])]
    .filter((n) => n > 0);
  return {
    milestones,
    batchSize: 1_000,
    reads: 100_000,
    scans: 5_000,
    scanLength: 50,
    loadCapMs,
    readCapMs: 10_000,
    cacheSizeBytes: 64 * 2 ** 20,
  };
}

/** murmur3's 32-bit finalizer: a bijection on u32 that mixes every bit. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * Random-looking key `i` (distinct for distinct `i` below 2^30: its last word
 * is a bijection of `4i + 3`). First byte odd, so never among the sequential keys.
 */
export function scaleRandKey(i: number): Uint8Array {
  const key = new Uint8Array(16);
  const view = new DataView(key.buffer);
  for (let j = 0; j < 4; j++) view.setUint32(4 * j, mix32((4 * i + j + 0x9e3779b9) >>> 0));
  key[0] = key[0]! | 1;
  return key;
}

/** A fresh 100-byte value for key `i` (stores may keep the array, so never reused). */
function scaleValue(i: number): Uint8Array {
  const value = new Uint8Array(100);
  const view = new DataView(value.buffer);
  let x = mix32(i ^ 0x5bd1e995);
  for (let off = 0; off < 100; off += 4) {
    x = mix32(x + off);
    view.setUint32(off, x);
  }
  return value;
}

/** Peak resident set size of this process so far (VmHWM), bytes; undefined off Linux. */
export function peakRssBytes(): number | undefined {
  try {
    const m = /^VmHWM:\s*(\d+) kB$/m.exec(Deno.readTextFileSync("/proc/self/status"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Awaits `r` only when it is a promise (lmdb's and SQLite's calls are synchronous). */
async function settle<T>(r: T | Promise<T>): Promise<T> {
  return r instanceof Promise ? await r : r;
}

/** What one scale run needs besides its factory. */
export interface ScaleRunOptions {
  plan: ScalePlan;
  /** The subject's own temp folder (removed by the caller). */
  dir: string;
  log: (line: string) => void;
}

/**
 * Loads keys `from..to-1` (made by `make`) in batches, timing only the
 * store's calls, until done or `budgetMs` of wall time (making inputs included) is spent.
 */
async function load(
  s: Subject,
  make: (i: number) => Pair,
  from: number,
  to: number,
  batchSize: number,
  budgetMs: number,
): Promise<{ done: number; seconds: number; wallMs: number }> {
  const start = performance.now();
  const deadline = start + budgetMs;
  let seconds = 0;
  let i = from;
  while (i < to && performance.now() < deadline) {
    const end = Math.min(to, i + batchSize);
    const pairs: Pair[] = [];
    for (let k = i; k < end; k++) pairs.push(make(k));
    const t0 = performance.now();
    await settle(s.batch(pairs));
    seconds += (performance.now() - t0) / 1000;
    i = end;
  }
  return { done: i - from, seconds, wallMs: performance.now() - start };
}

/** Random reads and 50-key scans over the first `keys` random keys. */
async function* probe(
  s: Subject,
  keys: number,
  milestone: number,
  plan: ScalePlan,
  partial: string | undefined,
): AsyncGenerator<ScalePoint> {
  // Which keys to read is fixed by the milestone, not by the subject.
  let x = mix32(milestone);
  const pick = () => (x = mix32(x + 1)) % keys;
  const readKeys = Array.from({ length: plan.reads }, () => scaleRandKey(pick()));
  let t0 = performance.now();
  let reads = 0;
  let missing = 0;
  while (reads < readKeys.length) {
    const v = await settle(s.get(readKeys[reads++]!));
    if (v === undefined) missing++;
    if ((reads & 63) === 0 && performance.now() - t0 > plan.readCapMs) break;
  }
  let seconds = (performance.now() - t0) / 1000;
  if (missing > 0) throw new Error(`${missing} of ${reads} loaded keys were not found`);
  yield point("getHit", milestone, keys, reads, seconds, plan.reads, partial);
  const getSync = s.getSync?.bind(s);
  if (getSync && syncReadsWork(getSync, readKeys[0]!)) {
    t0 = performance.now();
    reads = 0;
    while (reads < readKeys.length) {
      if (getSync(readKeys[reads++]!) === undefined) missing++;
      if ((reads & 63) === 0 && performance.now() - t0 > plan.readCapMs) break;
    }
    seconds = (performance.now() - t0) / 1000;
    if (missing > 0) throw new Error(`${missing} of ${reads} loaded keys were not found (getSync)`);
    yield point("getHitSync", milestone, keys, reads, seconds, plan.reads, partial);
  }
  const starts = Array.from({ length: plan.scans }, () => scaleRandKey(pick()));
  t0 = performance.now();
  let scans = 0;
  while (scans < starts.length) {
    await settle(s.scan(starts[scans++]!, plan.scanLength));
    if ((scans & 15) === 0 && performance.now() - t0 > plan.readCapMs) break;
  }
  seconds = (performance.now() - t0) / 1000;
  yield point("scanShort", milestone, keys, scans, seconds, plan.scans, partial);
}

/** False when the engine refuses synchronous reads (the Deno KV engine: `Unsupported`). */
function syncReadsWork(getSync: (k: Uint8Array) => unknown, key: Uint8Array): boolean {
  try {
    getSync(key);
    return true;
  } catch (err) {
    if (err instanceof StoreError && err.kind === "Unsupported") return false;
    throw err;
  }
}

function point(
  workload: ScaleWorkload,
  milestone: number,
  keys: number,
  ops: number,
  seconds: number,
  asked: number,
  partial: string | undefined,
): ScalePoint {
  const notes = [
    ...(partial ? [partial] : []),
    ...(ops < asked ? [`time cap: ${ops} of ${asked} ops`] : []),
  ];
  const p: ScalePoint = { workload, milestone, keys, value: ops / seconds, ops, seconds };
  if (notes.length > 0) p.note = notes.join("; ");
  return p;
}

/**
 * Runs the scale workloads on one subject, yielding each point as it is
 * taken: the sequential load (its own store, removed after), then the
 * random load with reads and scans at each milestone.
 */
export async function* runScale(
  factory: SubjectFactory,
  opts: ScaleRunOptions,
): AsyncGenerator<ScalePoint> {
  const { plan, dir, log } = opts;
  const open = { cacheSizeBytes: plan.cacheSizeBytes };
  const full = plan.milestones.at(-1)!;
  const loadPhase = async function* (
    workload: "seqLoad" | "randLoad",
    make: (i: number) => Pair,
    s: Subject,
    after?: (keys: number, milestone: number, partial?: string) => AsyncGenerator<ScalePoint>,
  ): AsyncGenerator<ScalePoint> {
    // The cap counts loading only: the reads and scans between milestones do not eat into it.
    let spentMs = 0;
    let keys = 0;
    for (const milestone of plan.milestones) {
      const budget = plan.loadCapMs - spentMs;
      const { done, seconds, wallMs } = await load(
        s,
        make,
        keys,
        milestone,
        plan.batchSize,
        budget,
      );
      spentMs += wallMs;
      keys += done;
      const partial = keys < milestone
        ? `time cap: stopped at ${keys.toLocaleString("en")} keys`
        : undefined;
      if (done > 0) {
        const p = point(workload, milestone, keys, done, seconds, done, partial);
        log(`  ${workload} to ${keys.toLocaleString("en")}: ${Math.round(p.value)} keys/s`);
        yield p;
      }
      if (after && keys > 0) yield* after(keys, milestone, partial);
      if (partial) return;
    }
  };
  const seqDir = `${dir}/seq`;
  await Deno.mkdir(seqDir, { recursive: true });
  let s = await factory.open(seqDir, open);
  try {
    yield* loadPhase("seqLoad", (i) => [seqKey(i), scaleValue(i)], s);
  } finally {
    await s.close();
    await Deno.remove(seqDir, { recursive: true }).catch(() => {});
  }
  const randDir = `${dir}/rand`;
  await Deno.mkdir(randDir, { recursive: true });
  s = await factory.open(randDir, open);
  try {
    yield* loadPhase(
      "randLoad",
      (i) => [scaleRandKey(i), scaleValue(i + full)],
      s,
      (keys, milestone, partial) => probe(s, keys, milestone, plan, partial),
    );
  } finally {
    await s.close();
  }
}
