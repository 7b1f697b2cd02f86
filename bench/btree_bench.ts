// deno bench -A bench/btree_bench.ts
//
// The B-tree engine through the KvStore API (what users get), beside Deno KV
// on the same machine in the same run. Keys are 16 bytes, values 100 bytes.
// Each bench does a fixed amount of work per iteration (see its name), so
// ops/s = work / (time per iteration).
import { openBTree } from "../kv/btree/mod.ts";
import type { KvStore } from "../core/kv.ts";

const N = 100_000;
const dir = Deno.makeTempDirSync({ prefix: "btree-bench-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

function randomKey(i: number): Uint8Array {
  const k = new Uint8Array(16);
  const dv = new DataView(k.buffer);
  dv.setUint32(0, Math.imul(i, 2654435761) >>> 0);
  dv.setUint32(4, i);
  return k;
}
function seqKey(i: number, base: number): Uint8Array {
  const k = new Uint8Array(16);
  const dv = new DataView(k.buffer);
  dv.setUint32(8, base);
  dv.setUint32(12, i);
  return k;
}
const VALUE = new Uint8Array(100).fill(42);
const BIG = new Uint8Array(256 * 1024).fill(7);

async function load(store: KvStore, n: number, key: (i: number) => Uint8Array): Promise<void> {
  for (let i = 0; i < n; i += 1000) {
    const pairs: [Uint8Array, Uint8Array][] = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) pairs.push([key(j), VALUE]);
    await store.batchWrite(pairs);
  }
}

// Read store: 100k random keys, plus 16 values of 256 KiB; reopened (clean).
const readPath = `${dir}/read.db`;
{
  const s = await openBTree(readPath, { syncWrites: false });
  await load(s, N, randomKey);
  for (let i = 0; i < 16; i++) await s.put(`big${i}`, BIG);
  await s.close();
}
const t0 = performance.now();
const reader = await openBTree(readPath);
const reopenMs = performance.now() - t0;

// File size after 200k random inserts of 100-byte values (raw bytes: 200k x 116).
const sizePath = `${dir}/size.db`;
{
  const s = await openBTree(sizePath, { syncWrites: false });
  await load(s, 200_000, randomKey);
  const size = await s.sizeOnDisk();
  await s.close();
  console.log(
    `file size after 200k random inserts: ${(size / 1e6).toFixed(1)} MB ` +
      `(${(size / (200_000 * 116)).toFixed(2)}x raw); reopen of 100k keys: ${
        reopenMs.toFixed(1)
      } ms`,
  );
}

// Durable single commits against raw 4 KiB append + fdatasync, interleaved
// one for one so both see the same disk and machine load.
{
  const s = await openBTree(`${dir}/commit.db`);
  await load(s, 5000, randomKey);
  const f = Deno.openSync(`${dir}/raw-interleaved`, { write: true, create: true });
  const page = new Uint8Array(4096);
  let tb = 0;
  let tr = 0;
  for (let i = 0; i < 400; i++) {
    let t = performance.now();
    await s.put(randomKey(i), VALUE);
    tb += performance.now() - t;
    t = performance.now();
    f.writeSync(page);
    f.syncDataSync();
    tr += performance.now() - t;
  }
  f.close();
  await s.close();
  console.log(
    `durable single commits: ${(400_000 / tb).toFixed(0)}/s; raw 4 KiB append + fdatasync: ` +
      `${(400_000 / tr).toFixed(0)}/s (${(tr / tb).toFixed(2)}x raw, interleaved)`,
  );
}

const kv = await Deno.openKv(`${dir}/denokv.sqlite`);
for (let i = 0; i < N; i += 500) {
  const op = kv.atomic();
  for (let j = i; j < i + 500; j++) op.set([randomKey(j)], VALUE);
  await op.commit();
}

let r = 1;
const nextRandom = () => Math.floor((r = (r * 48271) % 2147483647) / 2147483647 * N);

Deno.bench("btree: 1000 random point reads", { group: "reads", baseline: true }, async () => {
  for (let i = 0; i < 1000; i++) await reader.get(randomKey(nextRandom()));
});
Deno.bench("denokv: 1000 random point reads", { group: "reads" }, async () => {
  for (let i = 0; i < 1000; i++) await kv.get([randomKey(nextRandom())]);
});

Deno.bench("btree: full scan (100k rows)", { group: "scan", baseline: true, n: 20 }, async () => {
  for await (const _ of reader.range(new Uint8Array([0]), new Uint8Array([0xff]))) { /* */ }
});
Deno.bench("denokv: full scan (100k rows)", { group: "scan", n: 10 }, async () => {
  for await (const _ of kv.list({ prefix: [] })) { /* */ }
});

Deno.bench("btree: 100 range scans of 50 keys", { group: "range", baseline: true }, async () => {
  for (let i = 0; i < 100; i++) {
    for await (const _ of reader.range(randomKey(nextRandom()), undefined, { limit: 50 })) { /* */ }
  }
});
Deno.bench("denokv: 100 range scans of 50 keys", { group: "range" }, async () => {
  for (let i = 0; i < 100; i++) {
    const start = [randomKey(nextRandom())];
    for await (const _ of kv.list({ start, end: [""] }, { limit: 50 })) { /* */ }
  }
});

const bulk = await openBTree(`${dir}/bulk.db`);
let base = 0;
Deno.bench("btree: bulk load 10 x 1000 sequential keys", {
  group: "seq",
  baseline: true,
  n: 20,
}, async () => {
  const b = ++base;
  await load(bulk, 10_000, (i) => seqKey(i, b));
});
Deno.bench("denokv: bulk load 10 x 1000 sequential keys", { group: "seq", n: 10 }, async () => {
  const b = ++base;
  for (let i = 0; i < 10_000; i += 1000) {
    const op = kv.atomic();
    for (let j = i; j < i + 1000; j++) op.set([seqKey(j, b)], VALUE);
    await op.commit();
  }
});
Deno.bench("btree: bulk load 10 x 1000 random keys", {
  group: "random",
  baseline: true,
  n: 20,
}, async () => {
  const b = ++base;
  await load(bulk, 10_000, (i) => randomKey(i + b * 10_000));
});
Deno.bench("denokv: bulk load 10 x 1000 random keys", { group: "random", n: 10 }, async () => {
  const b = ++base;
  for (let i = 0; i < 10_000; i += 1000) {
    // Deno KV caps an atomic at 1000 mutations.
    const op = kv.atomic();
    for (let j = i; j < i + 1000; j++) op.set([randomKey(j + b * 10_000)], VALUE);
    await op.commit();
  }
});

let c = 0;
Deno.bench(
  "btree: 20 durable single commits",
  { group: "commit", baseline: true, n: 20 },
  async () => {
    for (let i = 0; i < 20; i++) await bulk.put(randomKey(c++ % 5000), VALUE);
  },
);
Deno.bench("denokv: 20 durable single commits", { group: "commit", n: 20 }, async () => {
  for (let i = 0; i < 20; i++) await kv.set([randomKey(c++ % 5000)], VALUE);
});
const raw = Deno.openSync(`${dir}/raw`, { write: true, create: true });
const page = new Uint8Array(4096);
Deno.bench("raw: 20 x (4 KiB append + fdatasync)", { group: "commit", n: 20 }, () => {
  for (let i = 0; i < 20; i++) {
    raw.writeSync(page);
    raw.syncDataSync();
  }
});

Deno.bench("btree: read 16 values of 256 KiB (4 MiB)", { group: "big", n: 50 }, async () => {
  for (let i = 0; i < 16; i++) await reader.get(`big${i}`);
});
