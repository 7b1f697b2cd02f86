// deno bench -A bench/sync_read_bench.ts
//
// Random point reads in one process: oxistore's synchronous `getSync` beside
// its async `get` (B-tree and LSM, on disk, through the published KvStore
// API) and lmdb's `getBinary` (native, also synchronous). 200k random 16-byte
// keys, 100-byte values, loaded once per store; each bench iteration reads
// READS keys in a shuffled order, every one of them present (checked).
import { openConfig, type StoreKind } from "@cooljapan/oxistore";
import type { KvStore } from "@cooljapan/oxistore";
import { lsmWaitIdle } from "@cooljapan/oxistore/kv/lsm";
import { open as openLmdb } from "lmdb";

const N = 200_000;
const READS = 10_000;
const BATCH = 1_000;

const dir = Deno.makeTempDirSync({ prefix: "sync-read-bench-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

/** A small deterministic generator, so every store holds the same keys. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(17);
const keys: Uint8Array[] = [];
for (let i = 0; i < N; i++) {
  const k = new Uint8Array(16);
  for (let j = 0; j < 16; j++) k[j] = (rand() * 256) | 0;
  keys.push(k);
}
const value = new Uint8Array(100).fill(42);
const order: Uint8Array[] = [];
for (let i = 0; i < READS; i++) order.push(keys[(rand() * N) | 0]!);

async function loaded(kind: StoreKind, file: string): Promise<KvStore> {
  const store = await openConfig(`${dir}/${file}`, { kind, syncWrites: false });
  for (let i = 0; i < N; i += BATCH) {
    await store.batchWrite(keys.slice(i, i + BATCH).map((k) => [k, value]));
  }
  await store.flush();
  return store;
}

const btree = await loaded("btree", "store.oxi");
const lsm = await loaded("lsm", "lsm");
await lsmWaitIdle(lsm); // no background compaction competing with the reads
const lmdb = openLmdb<Uint8Array, Uint8Array>({
  path: `${dir}/lmdb`,
  keyEncoding: "binary",
  encoding: "binary",
});
lmdb.transactionSync(() => {
  for (const k of keys) lmdb.putSync(k, value);
});
await lmdb.flushed;

function check(found: number): void {
  if (found !== READS) throw new Error(`${READS - found} present keys were not found`);
}

for (const [name, store] of [["btree", btree], ["lsm", lsm]] as const) {
  Deno.bench(`${name} getSync ×${READS}`, { group: name, baseline: true }, () => {
    let found = 0;
    for (const k of order) if (store.getSync(k) !== undefined) found++;
    check(found);
  });
  Deno.bench(`${name} await get ×${READS}`, { group: name }, async () => {
    let found = 0;
    for (const k of order) if ((await store.get(k)) !== undefined) found++;
    check(found);
  });
  Deno.bench(`lmdb getBinary ×${READS} (${name} group)`, { group: name }, () => {
    let found = 0;
    for (const k of order) if (lmdb.getBinary(k) !== undefined) found++;
    check(found);
  });
}
