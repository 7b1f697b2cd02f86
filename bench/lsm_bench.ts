/**
 * Speed of the LSM engine through the KvStore API (`openLsm`), next to Deno
 * KV on the same machine and workloads: 16-byte random keys, 100-byte values.
 *
 *   deno bench -A bench/lsm_bench.ts
 *
 * Before the timed benches, a summary runs a sustained random bulk load
 * (including the time to finish its background compactions) and prints keys/s,
 * write amplification (bytes written to disk / user bytes) and space, plus the
 * on-disk size of compressible JSON-like values after a full compaction.
 *
 * @module
 */
import { lsmStats, lsmWaitIdle, openLsm } from "../kv/lsm/mod.ts";

const KEY = 16;
const VALUE = 100;
const BATCH = 1000;

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

function batch(): [Uint8Array, Uint8Array][] {
  const out: [Uint8Array, Uint8Array][] = [];
  for (let i = 0; i < BATCH; i++) out.push([randomBytes(KEY), randomBytes(VALUE)]);
  return out;
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await Deno.makeTempDir({ prefix: "lsm-bench-" });
  dirs.push(d);
  return d;
}
globalThis.addEventListener("unload", () => {
  for (const d of dirs) {
    try {
      Deno.removeSync(d, { recursive: true });
    } catch { /* already gone */ }
  }
});

// ---------------------------------------------------------------- summary

async function bulkLoad(syncWrites: boolean): Promise<string> {
  const N = 200_000;
  const batches = Array.from({ length: N / BATCH }, batch);
  const dir = await tempDir();
  const store = await openLsm(dir, { syncWrites });
  const t0 = performance.now();
  for (const b of batches) await store.batchWrite(b);
  const tAck = performance.now() - t0;
  await lsmWaitIdle(store);
  const tIdle = performance.now() - t0;
  const s = lsmStats(store)!;
  const raw = N * (KEY + VALUE);
  const size = await store.sizeOnDisk();
  await store.close();
  return [
    `  syncWrites ${syncWrites}: ${N.toLocaleString()} random keys in batches of ${BATCH}`,
    `    acknowledged: ${Math.round(N / tAck * 1000).toLocaleString()} keys/s` +
    ` (${(tAck / 1000).toFixed(2)} s); with background work finished: ${
      Math.round(N / tIdle * 1000).toLocaleString()
    } keys/s`,
    `    write amplification: ${s.writeAmplification.toFixed(2)}x` +
    ` (${s.diskBytesWritten.toLocaleString()} bytes written for ${s.userBytes.toLocaleString()})`,
    `    tables per level: ${
      s.tablesPerLevel.join("/")
    }; flushes ${s.flushes}, compactions ${s.compactions}, stalls ${s.stalls}, WAL fsyncs ${s.walSyncs}`,
    `    space: ${size.toLocaleString()} bytes on disk for ${raw.toLocaleString()} raw (random, incompressible)`,
  ].join("\n");
}

async function summary(): Promise<void> {
  const durable = await bulkLoad(true);
  const relaxed = await bulkLoad(false);
  const jdir = await tempDir();
  const js = await openLsm(jdir);
  let jraw = 0;
  for (let b = 0; b < 100; b++) {
    const rows: [string, string][] = [];
    for (let i = 0; i < BATCH; i++) {
      const id = b * BATCH + i;
      const k = `evt:${String(id).padStart(11, "0")}`;
      const v = JSON.stringify({
        ts: 1_700_000_000_000 + id * 37,
        level: id % 13 === 0 ? "warn" : "info",
        svc: "ingest",
        msg: `req ${id % 500} ok`,
        ms: id % 97,
      });
      jraw += k.length + v.length;
      rows.push([k, v]);
    }
    await js.batchWrite(rows);
  }
  await js.compact();
  let jtables = 0;
  for (const e of Deno.readDirSync(jdir)) {
    if (e.name.endsWith(".sst")) jtables += Deno.statSync(`${jdir}/${e.name}`).size;
  }
  await js.close();

  console.log(
    [
      "LSM summary:",
      durable,
      relaxed,
      `  JSON-like values: ${jtables.toLocaleString()} bytes of tables for ${jraw.toLocaleString()} raw` +
      ` (${(jtables / jraw * 100).toFixed(1)}%) after compact()`,
    ].join("\n"),
  );
}

// A long-running process has its job threads up; start them before timing
// (under `deno bench` each worker start also type-checks its modules, >1 s).
// This store stays open so the shared threads live for the whole run.
const warm = await openLsm(await tempDir(), { syncWrites: false }, {
  memtableBytes: 64 * 1024,
  l0Trigger: 2,
  workerMinBytes: 0,
});
for (let i = 0; i < 4; i++) await warm.batchWrite(batch());
await lsmWaitIdle(warm);

if (!Deno.args.includes("--no-summary")) await summary();

// ---------------------------------------------------------------- bulk writes

const lsmBulk = await openLsm(await tempDir());
const denoBulk = await Deno.openKv(`${await tempDir()}/kv.sqlite`);

Deno.bench("lsm: batchWrite of 1,000 random keys (durable)", {
  group: "bulk",
  baseline: true,
  n: 200,
  warmup: 5,
}, async (b) => {
  const pairs = batch();
  b.start();
  await lsmBulk.batchWrite(pairs);
  b.end();
});

const lsmBulkRelaxed = await openLsm(await tempDir(), { syncWrites: false });
Deno.bench("lsm: batchWrite of 1,000 random keys (syncWrites: false)", {
  group: "bulk",
  n: 200,
  warmup: 5,
}, async (b) => {
  const pairs = batch();
  b.start();
  await lsmBulkRelaxed.batchWrite(pairs);
  b.end();
});

Deno.bench(
  "denokv: atomic of 1,000 random keys",
  { group: "bulk", n: 50, warmup: 2 },
  async (b) => {
    const pairs = batch();
    b.start();
    const op = denoBulk.atomic();
    for (const [k, v] of pairs) op.set([k], v);
    await op.commit();
    b.end();
  },
);

// ---------------------------------------------------------------- group commit

const lsmCommit = await openLsm(await tempDir());
let seq = 0;
Deno.bench(
  "lsm: 16 concurrent durable single-key puts",
  { group: "commit", baseline: true },
  async () => {
    const ps: Promise<void>[] = [];
    for (let w = 0; w < 16; w++) ps.push(lsmCommit.put(`w${w}-${seq++}`, randomBytes(VALUE)));
    await Promise.all(ps);
  },
);

const raw = await Deno.open(`${await tempDir()}/raw`, { create: true, write: true });
Deno.bench("raw: 16 × (append 100 bytes + fdatasync)", { group: "commit" }, async () => {
  for (let i = 0; i < 16; i++) {
    await raw.write(randomBytes(VALUE));
    await raw.syncData();
  }
});

// ---------------------------------------------------------------- point reads

const READ_KEYS = 200_000;
const readDir = await tempDir();
const lsmRead = await openLsm(readDir);
const denoRead = await Deno.openKv(`${await tempDir()}/kv.sqlite`);
const keys: Uint8Array[] = [];
for (let i = 0; i < READ_KEYS / BATCH; i++) {
  const b = batch();
  for (const [k] of b) keys.push(k);
  await lsmRead.batchWrite(b);
  const op = denoRead.atomic();
  for (const [k, v] of b) op.set([k], v);
  await op.commit();
}
await lsmRead.compact();
const pick = () => keys[(Math.random() * keys.length) | 0]!;

Deno.bench("lsm: get of an existing key", { group: "read", baseline: true }, async () => {
  if ((await lsmRead.get(pick())) === undefined) throw new Error("missing key");
});

Deno.bench("lsm: get of a missing key", { group: "read" }, async () => {
  if ((await lsmRead.get(randomBytes(KEY))) !== undefined) throw new Error("unexpected key");
});

Deno.bench("denokv: get of an existing key", { group: "read" }, async () => {
  if ((await denoRead.get([pick()])).value === null) throw new Error("missing key");
});
