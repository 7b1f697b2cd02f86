/**
 * The workloads of bench/compare.ts, written once against a tiny
 * {@link Subject} interface that every oxistore engine and every anchor
 * (Deno KV, SQLite, lmdb) implements. Inputs are made before the clock
 * starts, so timings measure the store and not the key generator.
 *
 * @module
 */
import { type KvStore, openConfig, StoreError, type StoreKind } from "../mod.ts";

/** A key/value pair. */
export type Pair = [Uint8Array, Uint8Array];

/** A result that may or may not be a promise (lmdb and SQLite reads are sync). */
export type MaybeAsync<T> = T | Promise<T>;

/** What a store must do to be measured. Writes are durable when they resolve. */
export interface Subject {
  /** All pairs in one atomic, durable commit. */
  batch(pairs: Pair[]): MaybeAsync<void>;
  /** One durable single-key commit. */
  put(key: Uint8Array, value: Uint8Array): MaybeAsync<void>;
  /** The value of `key`, or undefined, through the store's asynchronous read where it has one. */
  get(key: Uint8Array): MaybeAsync<Uint8Array | undefined>;
  /** The value of `key` through the store's synchronous read, where it has one. */
  getSync?(key: Uint8Array): Uint8Array | undefined;
  /** Visits every entry in key order; returns how many. */
  scanAll(): MaybeAsync<number>;
  /** Visits up to `limit` entries from `lo` on; returns how many. */
  scan(lo: Uint8Array, limit: number): MaybeAsync<number>;
  /** A large value in its own durable commit (default: `put`). */
  putLarge?(key: Uint8Array, value: Uint8Array): MaybeAsync<void>;
  /** Reads back a value written by `putLarge`; returns its length. */
  getLargeLength?(key: Uint8Array): MaybeAsync<number>;
  /** Everything written so far is on disk. */
  flush(): MaybeAsync<void>;
  close(): MaybeAsync<void>;
}

/** How a subject is opened beyond its folder. */
export interface OpenOptions {
  /** The read cache to give the store (its own setting's equivalent), bytes. */
  cacheSizeBytes?: number;
}

/** How to make a subject: an oxistore engine or an anchor. */
export interface SubjectFactory {
  /** CLI id (`btree`, `lsm`, `denokv`, `deno-kv`, `sqlite`, `lmdb`, `classic-level`). */
  id: string;
  /** Column header. */
  label: string;
  /** How it is set up, for the report. */
  setup: string;
  /** Opens (or reopens) the store kept in `dir`. */
  open(dir: string, opts?: OpenOptions): Promise<Subject>;
}

/** Key and value sizes and how many of each operation. */
export interface Counts {
  seqLoad: number;
  randLoad: number;
  batchSize: number;
  commits: number;
  writers: number;
  gets: number;
  misses: number;
  shortScans: number;
  scanLength: number;
  large: number;
  largeSize: number;
  fsyncs: number;
}

/** The full run (the brief's numbers). */
export const FULL: Counts = {
  seqLoad: 200_000,
  randLoad: 200_000,
  batchSize: 1_000,
  commits: 2_000,
  writers: 16,
  gets: 200_000,
  misses: 20_000,
  shortScans: 10_000,
  scanLength: 50,
  large: 1_000,
  largeSize: 256 * 1024,
  fsyncs: 2_000,
};

/** About a tenth of the full run: a smoke test. */
export const QUICK: Counts = {
  ...FULL,
  seqLoad: 20_000,
  randLoad: 20_000,
  commits: 200,
  gets: 20_000,
  misses: 2_000,
  shortScans: 1_000,
  large: 100,
  fsyncs: 200,
};

/** Bytes per key. */
export const KEY_SIZE = 16;
/** Bytes per value. */
export const VALUE_SIZE = 100;

/** One number measured for one subject. */
export interface Measurement {
  workload: WorkloadId;
  /** Throughput (ops/s, rows/s, MB/s), a ratio, or milliseconds. */
  value: number;
  /** Operations actually done (less than asked when the time cap hit). */
  ops: number;
  seconds: number;
  /** Shown beside the table only when something is off (time cap, partial load). */
  note?: string;
  /** Supporting figures for the report's details section. */
  detail?: string;
  error?: string;
  /** With several runs: `value` is their median and this the lowest and highest value. */
  spread?: { min: number; max: number; runs: number };
}

/** Every reported number, in report order. */
export const WORKLOADS = [
  "seqLoad",
  "randLoad",
  "fsyncNow",
  "commit1",
  "commit16",
  "getHit",
  "getMiss",
  "getHitSync",
  "scanFull",
  "scanShort",
  "largeWrite",
  "largeRead",
  "sizeRatio",
  "writeAmp",
  "reopen",
  "mpCommit2",
  "mpSeen",
] as const;

/** A reported number's id. */
export type WorkloadId = typeof WORKLOADS[number];

/** How each number is shown and whether bigger is better. */
export const WORKLOAD_INFO: Record<
  WorkloadId,
  { title: string; short: string; unit: string; higherIsBetter: boolean; speed: boolean }
> = {
  seqLoad: {
    title: "1. bulk load, sequential keys (batches of 1,000)",
    short: "seq load",
    unit: "keys/s",
    higherIsBetter: true,
    speed: true,
  },
  randLoad: {
    title: "2. load, random keys (batches of 1,000)",
    short: "rand load",
    unit: "keys/s",
    higherIsBetter: true,
    speed: true,
  },
  commit1: {
    title: "3. durable single-key commits, 1 writer",
    short: "commit x1",
    unit: "commits/s",
    higherIsBetter: true,
    speed: true,
  },
  commit16: {
    title: "3b. durable single-key commits, 16 writers",
    short: "commit x16",
    unit: "commits/s",
    higherIsBetter: true,
    speed: true,
  },
  fsyncNow: {
    title: "(raw disk just before 3: 4 KiB append + fdatasync)",
    short: "fsync now",
    unit: "syncs/s",
    higherIsBetter: true,
    speed: false,
  },
  getHit: {
    title: "4. random point reads (present keys, async API)",
    short: "get hit",
    unit: "reads/s",
    higherIsBetter: true,
    speed: true,
  },
  getMiss: {
    title: "4b. random point reads (missing keys, async API)",
    short: "get miss",
    unit: "reads/s",
    higherIsBetter: true,
    speed: true,
  },
  getHitSync: {
    title: "4c. random point reads, synchronous API (present keys)",
    short: "getSync hit",
    unit: "reads/s",
    higherIsBetter: true,
    speed: true,
  },
  scanFull: {
    title: "5. full ordered scan",
    short: "full scan",
    unit: "rows/s",
    higherIsBetter: true,
    speed: true,
  },
  scanShort: {
    title: "6. short range scans (50 keys)",
    short: "scan 50",
    unit: "scans/s",
    higherIsBetter: true,
    speed: true,
  },
  largeWrite: {
    title: "7. 256 KiB values, each its own commit: write",
    short: "256K write",
    unit: "MB/s",
    higherIsBetter: true,
    speed: true,
  },
  largeRead: {
    title: "7. 256 KiB values: read back",
    short: "256K read",
    unit: "MB/s",
    higherIsBetter: true,
    speed: true,
  },
  sizeRatio: {
    title: "8. space after 1+2: bytes on disk / raw bytes",
    short: "space",
    unit: "x raw",
    higherIsBetter: false,
    speed: false,
  },
  writeAmp: {
    title: "8. write amp. of 2: device bytes (incl. WAL) / user bytes",
    short: "write amp",
    unit: "x user",
    higherIsBetter: false,
    speed: false,
  },
  reopen: {
    title: "9. reopen after 1+2 (open + first read)",
    short: "reopen",
    unit: "ms",
    higherIsBetter: false,
    speed: true,
  },
  mpCommit2: {
    title: "10. two writer processes, durable single-key commits (combined)",
    short: "2-proc commits",
    unit: "commits/s",
    higherIsBetter: true,
    speed: true,
  },
  mpSeen: {
    title: "11. another process's commit seen by a reader (median delay)",
    short: "seen after",
    unit: "ms",
    higherIsBetter: false,
    speed: false,
  },
};

/** A small, fast, seeded PRNG (mulberry32): the same inputs on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** `n` random bytes from `rand`. */
export function randomBytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const r = rand();
    out[i] = r & 0xff;
    if (i + 1 < n) out[i + 1] = (r >>> 8) & 0xff;
    if (i + 2 < n) out[i + 2] = (r >>> 16) & 0xff;
    if (i + 3 < n) out[i + 3] = r >>> 24;
  }
  return out;
}

/** Sequential key `i`: eight zero bytes then `i` big-endian, so they sort by `i`. */
export function seqKey(i: number): Uint8Array {
  const key = new Uint8Array(KEY_SIZE);
  new DataView(key.buffer).setBigUint64(8, BigInt(i));
  return key;
}

/** The keys and values every subject sees, made once per process. */
export interface Inputs {
  counts: Counts;
  seqPairs: Pair[];
  randPairs: Pair[];
  /** Workload 3 writes the first half, 3b the second. */
  commitPairs: Pair[];
  /** Present keys to read, in random order over workloads 1 and 2. */
  hitKeys: Uint8Array[];
  missKeys: Uint8Array[];
  scanStarts: Uint8Array[];
  largeKeys: Uint8Array[];
  largeValue: Uint8Array;
}

/** Makes the inputs for `counts` (deterministic: fixed seeds). */
export function makeInputs(counts: Counts): Inputs {
  const rv = prng(7);
  const value = () => randomBytes(rv, VALUE_SIZE);
  const seqPairs: Pair[] = [];
  for (let i = 0; i < counts.seqLoad; i++) seqPairs.push([seqKey(i), value()]);
  const rk = prng(11);
  const randPairs: Pair[] = [];
  for (let i = 0; i < counts.randLoad; i++) {
    const key = randomBytes(rk, KEY_SIZE);
    key[0] = key[0]! | 1; // never in the sequential keys' 0x00 prefix
    randPairs.push([key, value()]);
  }
  const rc = prng(13);
  const commitPairs: Pair[] = [];
  for (let i = 0; i < 2 * counts.commits; i++) { // 3 and 3b write different keys
    const key = randomBytes(rc, KEY_SIZE);
    key[0] = key[0]! | 1;
    commitPairs.push([key, value()]);
  }
  const pick = prng(17);
  const present = (): Uint8Array => {
    const i = pick() % (counts.seqLoad + counts.randLoad);
    return i < counts.seqLoad ? seqPairs[i]![0] : randPairs[i - counts.seqLoad]![0];
  };
  const hitKeys: Uint8Array[] = [];
  for (let i = 0; i < counts.gets; i++) hitKeys.push(present());
  const rm = prng(19);
  const missKeys: Uint8Array[] = [];
  for (let i = 0; i < counts.misses; i++) {
    // even first byte: disjoint from the random keys (odd) and, being
    // non-zero, from the sequential keys; spread over the whole key space.
    const key = randomBytes(rm, KEY_SIZE);
    key[0] = (key[0]! & 0xfe) || 2;
    missKeys.push(key);
  }
  const scanStarts: Uint8Array[] = [];
  for (let i = 0; i < counts.shortScans; i++) scanStarts.push(present());
  const largeKeys: Uint8Array[] = [];
  for (let i = 0; i < counts.large; i++) {
    const key = seqKey(i);
    key[0] = 0xfe; // after every other key
    largeKeys.push(key);
  }
  return {
    counts,
    seqPairs,
    randPairs,
    commitPairs,
    hitKeys,
    missKeys,
    scanStarts,
    largeKeys,
    largeValue: randomBytes(prng(23), counts.largeSize),
  };
}

/** The synchronous read the B-tree and LSM engines are getting (API.md, "Sync reads"). */
type SyncReads = { getSync?: (key: Uint8Array) => Uint8Array | undefined };

/** Adapts an oxistore {@link KvStore} to a {@link Subject}. */
export function kvStoreSubject(store: KvStore): Subject {
  // Feature-tested, so the harness runs before and after the engines grow it;
  // an engine that refuses (StoreError Unsupported) fails only that row.
  const sync = (store as KvStore & SyncReads).getSync;
  return {
    ...(typeof sync === "function" ? { getSync: (key: Uint8Array) => sync.call(store, key) } : {}),
    batch: (pairs) => store.batchWrite(pairs),
    put: (key, value) => store.put(key, value),
    get: (key) => store.get(key),
    async scanAll() {
      let n = 0;
      for await (const _ of store.range()) n++;
      return n;
    },
    async scan(lo, limit) {
      let n = 0;
      for await (const _ of store.range(lo, undefined, { limit })) n++;
      return n;
    },
    async getLargeLength(key) {
      return (await store.get(key))?.length ?? -1;
    },
    flush: () => store.flush(),
    close: () => store.close(),
  };
}

/** An oxistore engine through the public API, durable commits (`syncWrites: true`). */
export function engineFactory(kind: StoreKind): SubjectFactory {
  return {
    id: kind,
    label: `oxistore ${kind}`,
    setup: `openConfig(path, { kind: "${kind}", syncWrites: true })`,
    open: async (dir, opts) =>
      kvStoreSubject(
        await openConfig(`${dir}/store`, {
          kind,
          syncWrites: true,
          ...(opts?.cacheSizeBytes !== undefined ? { cacheSizeBytes: opts.cacheSizeBytes } : {}),
        }),
      ),
  };
}

/**
 * 4 KiB writes + `fdatasync` per second on a file at `path`: appended, or
 * overwritten in place. The device's own limit for one-at-a-time durable commits.
 */
export function fsyncRate(path: string, iterations: number, overwrite: boolean): number {
  const page = new Uint8Array(4096).fill(0x5a);
  using file = Deno.openSync(path, { create: true, write: true, read: true });
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    if (overwrite) file.seekSync(0, Deno.SeekMode.Start);
    let off = 0;
    while (off < page.length) off += file.writeSync(page.subarray(off));
    file.syncDataSync();
  }
  return iterations / ((performance.now() - t0) / 1000);
}

/** Bytes this process has caused to be written to the device so far, if known. */
export function deviceWriteBytes(): number | undefined {
  try {
    const m = /^write_bytes:\s*(\d+)$/m.exec(Deno.readTextFileSync("/proc/self/io"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes allocated on disk under `path` (file or directory, recursively). */
export async function diskBytes(path: string): Promise<number> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (err) {
    // A background flush or compaction may delete a file between readDir and lstat.
    if (err instanceof Deno.errors.NotFound) return 0;
    throw err;
  }
  if (info.isFile) return info.blocks !== null ? info.blocks * 512 : info.size;
  if (!info.isDirectory) return 0;
  let total = 0;
  for await (const entry of Deno.readDir(path)) total += await diskBytes(`${path}/${entry.name}`);
  return total;
}

/** Ops done and seconds taken by a loop that stopped at `n` or at the time cap. */
interface Timing {
  ops: number;
  seconds: number;
}

/** Runs `step(0..n-1)` in order, awaiting only real promises, until done or `capMs` passed. */
async function loop(
  n: number,
  capMs: number,
  step: (i: number) => MaybeAsync<unknown>,
): Promise<Timing> {
  const t0 = performance.now();
  let i = 0;
  while (i < n) {
    const r = step(i++);
    if (r instanceof Promise) await r;
    if ((i & 63) === 0 && performance.now() - t0 > capMs) break;
  }
  return { ops: i, seconds: (performance.now() - t0) / 1000 };
}

function capNote(t: Timing, n: number): string | undefined {
  return t.ops < n ? `time cap: ${t.ops} of ${n} ops` : undefined;
}

function measured(
  workload: WorkloadId,
  value: number,
  t: Timing,
  note?: string,
): Measurement {
  return note === undefined ? { workload, value, ...t } : { workload, value, ...t, note };
}

/** What one subject run needs besides its factory. */
export interface RunOptions {
  inputs: Inputs;
  /** Longest any one workload may run before it stops early, ms. */
  capMs: number;
  /** Parent folder for the subject's temp dir (default: the system's). */
  tmpRoot?: string;
  /** Progress lines. */
  log: (line: string) => void;
}

/**
 * Runs every workload on one subject in a fresh temp dir (removed at the end),
 * yielding each measurement as it is taken. A failing workload yields its
 * error and the run goes on with the next one.
 */
export async function* runSubject(
  factory: SubjectFactory,
  opts: RunOptions,
): AsyncGenerator<Measurement> {
  const { inputs, capMs, log } = opts;
  const c = inputs.counts;
  const dir = await Deno.makeTempDir({
    prefix: `oxistore-bench-${factory.id}-`,
    ...(opts.tmpRoot ? { dir: opts.tmpRoot } : {}),
  });
  let s: Subject | undefined;
  try {
    s = await factory.open(dir);
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
  const failed = (workload: WorkloadId, err: unknown): Measurement => {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    log(`  ${workload}: FAILED ${error}`);
    return { workload, value: NaN, ops: 0, seconds: 0, error };
  };
  const step = async function* (
    workload: WorkloadId,
    body: (s: Subject) => Promise<Measurement | Measurement[]>,
  ): AsyncGenerator<Measurement> {
    try {
      if (!s) throw new Error("store is not open (an earlier step failed)");
      const out = await body(s);
      for (const m of Array.isArray(out) ? out : [out]) {
        const info = WORKLOAD_INFO[m.workload];
        log(
          `  ${info.short.padEnd(11)} ${fmtNumber(m.value)} ${info.unit}` +
            (m.note ? `  (${m.note})` : ""),
        );
        yield m;
      }
    } catch (err) {
      yield failed(workload, err);
    }
  };
  // Workloads 1 and 2 make the data every later workload reads: give them
  // more room, so a slow store is still measured on the same data.
  const loadCapMs = 4 * capMs;
  try {
    let seqDone = 0;
    let randDone = 0;
    const batches = (pairs: Pair[]) => {
      const out: Pair[][] = [];
      for (let i = 0; i < pairs.length; i += c.batchSize) {
        out.push(pairs.slice(i, i + c.batchSize));
      }
      return out;
    };
    yield* step("seqLoad", async (s) => {
      const bs = batches(inputs.seqPairs);
      const t = await loop(bs.length, loadCapMs, (i) => s.batch(bs[i]!));
      seqDone = Math.min(t.ops * c.batchSize, c.seqLoad);
      return measured("seqLoad", seqDone / t.seconds, t, capNote(t, bs.length));
    });
    let wamp: Measurement | undefined;
    yield* step("randLoad", async (s) => {
      const bs = batches(inputs.randPairs);
      const before = deviceWriteBytes();
      const t = await loop(bs.length, loadCapMs, (i) => s.batch(bs[i]!));
      await s.flush();
      const after = deviceWriteBytes();
      randDone = Math.min(t.ops * c.batchSize, c.randLoad);
      if (before !== undefined && after !== undefined) {
        const user = randDone * (KEY_SIZE + VALUE_SIZE);
        wamp = {
          ...measured("writeAmp", (after - before) / user, t),
          detail: `${fmtBytes(after - before)} written for ${fmtBytes(user)} of keys and values`,
        };
      }
      return measured("randLoad", randDone / t.seconds, t, capNote(t, bs.length));
    });
    yield* step("sizeRatio", async (s) => {
      await s.flush();
      const raw = (seqDone + randDone) * (KEY_SIZE + VALUE_SIZE);
      const bytes = await diskBytes(dir);
      return {
        ...measured("sizeRatio", bytes / raw, { ops: seqDone + randDone, seconds: 0 }),
        detail: `${fmtBytes(bytes)} on disk for ${fmtBytes(raw)} of keys and values`,
      };
    });
    if (wamp) yield wamp;
    yield* step("reopen", async (old) => {
      await old.close();
      s = undefined;
      const t0 = performance.now();
      const fresh = await factory.open(dir);
      s = fresh;
      const got = await fresh.get(inputs.seqPairs[0]![0]);
      const ms = performance.now() - t0;
      if (seqDone > 0 && got === undefined) throw new Error("first key missing after reopen");
      return measured("reopen", ms, { ops: 1, seconds: ms / 1000 });
    });
    const loadedAll = seqDone === c.seqLoad && randDone === c.randLoad;
    yield* step("getHit", async (s) => {
      let misses = 0;
      const keys = inputs.hitKeys;
      const t = await loop(keys.length, capMs, (i) => {
        const r = s.get(keys[i]!);
        if (r instanceof Promise) {
          return r.then((v) => {
            if (v === undefined) misses++;
          });
        }
        if (r === undefined) misses++;
      });
      if (misses > 0 && loadedAll) throw new Error(`${misses} present keys were not found`);
      return measured("getHit", t.ops / t.seconds, t, capNote(t, keys.length));
    });
    yield* step("getMiss", async (s) => {
      let hits = 0;
      const keys = inputs.missKeys;
      const t = await loop(keys.length, capMs, (i) => {
        const r = s.get(keys[i]!);
        if (r instanceof Promise) {
          return r.then((v) => {
            if (v !== undefined) hits++;
          });
        }
        if (r !== undefined) hits++;
      });
      if (hits > 0) throw new Error(`${hits} missing keys were found`);
      return measured("getMiss", t.ops / t.seconds, t, capNote(t, keys.length));
    });
    yield* step("getHitSync", async (s) => {
      const getSync = s.getSync?.bind(s);
      if (!getSync) return [];
      const keys = inputs.hitKeys;
      try {
        getSync(keys[0]!);
      } catch (err) {
        // the Deno KV engine has no synchronous path: no row, not a failure
        if (err instanceof StoreError && err.kind === "Unsupported") return [];
        throw err;
      }
      let misses = 0;
      const t = await loop(keys.length, capMs, (i) => {
        if (getSync(keys[i]!) === undefined) misses++;
      });
      if (misses > 0 && loadedAll) throw new Error(`${misses} present keys were not found`);
      return measured("getHitSync", t.ops / t.seconds, t, capNote(t, keys.length));
    });
    yield* step("scanFull", async (s) => {
      const t0 = performance.now();
      const rows = await s.scanAll();
      const t = { ops: rows, seconds: (performance.now() - t0) / 1000 };
      if (rows !== seqDone + randDone) {
        throw new Error(`scan saw ${rows} rows, expected ${seqDone + randDone}`);
      }
      return measured("scanFull", rows / t.seconds, t);
    });
    yield* step("scanShort", async (s) => {
      let rows = 0;
      const starts = inputs.scanStarts;
      const t = await loop(starts.length, capMs, (i) => {
        const r = s.scan(starts[i]!, c.scanLength);
        if (r instanceof Promise) return r.then((n) => void (rows += n));
        rows += r;
      });
      return measured("scanShort", t.ops / t.seconds, t, capNote(t, starts.length));
    });
    yield* step("fsyncNow", () => {
      // The disk is shared: how fast it syncs right now tells whether a slow
      // commit rate below is the store's doing or the device's.
      const n = Math.max(50, c.commits / 4);
      const t0 = performance.now();
      const rate = fsyncRate(`${dir}/fsync-probe`, n, false);
      Deno.removeSync(`${dir}/fsync-probe`);
      const t = { ops: n, seconds: (performance.now() - t0) / 1000 };
      return Promise.resolve(measured("fsyncNow", rate, t));
    });
    yield* step("commit1", async (s) => {
      const pairs = inputs.commitPairs;
      const t = await loop(c.commits, capMs, (i) => s.put(pairs[i]![0], pairs[i]![1]));
      return measured("commit1", t.ops / t.seconds, t, capNote(t, c.commits));
    });
    yield* step("commit16", async (s) => {
      const pairs = inputs.commitPairs.slice(c.commits);
      const per = Math.ceil(pairs.length / c.writers);
      const t0 = performance.now();
      let done = 0;
      const writer = async (w: number) => {
        for (let i = w * per; i < Math.min(pairs.length, (w + 1) * per); i++) {
          if (performance.now() - t0 > capMs) return;
          await s.put(pairs[i]![0], pairs[i]![1]);
          done++;
        }
      };
      await Promise.all(Array.from({ length: c.writers }, (_, w) => writer(w)));
      const t = { ops: done, seconds: (performance.now() - t0) / 1000 };
      return measured("commit16", done / t.seconds, t, capNote(t, pairs.length));
    });
    yield* step("largeWrite", async (s) => {
      const value = inputs.largeValue;
      const view = new DataView(value.buffer, value.byteOffset);
      const write = (s.putLarge ?? s.put).bind(s);
      const t = await loop(c.large, capMs, (i) => {
        view.setUint32(0, i); // each value differs
        return write(inputs.largeKeys[i]!, value);
      });
      const write_ = measured("largeWrite", (t.ops * value.length) / 1e6 / t.seconds, t);
      const n = t.ops;
      let bad = 0;
      const read = s.getLargeLength
        ? s.getLargeLength.bind(s)
        : async (k: Uint8Array) => (await s.get(k))?.length ?? -1;
      const r = await loop(n, capMs, (i) => {
        const len = read(inputs.largeKeys[i]!);
        if (len instanceof Promise) return len.then((l) => void (l !== value.length && bad++));
        if (len !== value.length) bad++;
      });
      if (bad > 0) throw new Error(`${bad} large values read back with the wrong length`);
      const read_ = measured("largeRead", (r.ops * value.length) / 1e6 / r.seconds, r);
      return [write_, read_];
    });
  } finally {
    try {
      await s?.close();
    } catch { /* already reported */ }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** 1234567 → "1.23M", 0.5 → "0.50". */
export function fmtNumber(n: number): string {
  if (!Number.isFinite(n)) return "—";
  const abs = Math.abs(n);
  if (abs >= 1e6) return `${(n / 1e6).toFixed(abs >= 1e8 ? 0 : 2)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(abs >= 1e5 ? 0 : 1)}k`;
  if (abs >= 100) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** Bytes in KiB/MiB/GiB. */
export function fmtBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}
