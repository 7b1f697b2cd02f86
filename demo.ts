// The demo (`deno task demo`): opens a store in ./.demo-data, loads data,
// reads, scans, takes a snapshot and a backup, and says what it did and how
// fast — for the default engine first, then every other engine.
import { destroy, openWith, type StoreKind } from "./mod.ts";
import { StoreError } from "./core/error.ts";

const dir = "./.demo-data";
const N = 50_000;
const text = new TextDecoder();
const key = (i: number) => `user/${String(i).padStart(8, "0")}`;

function rate(n: number, ms: number): string {
  const perSec = n / (ms / 1000);
  return perSec >= 1e6 ? `${(perSec / 1e6).toFixed(2)}M/s` : `${Math.round(perSec / 1000)}k/s`;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
}

async function demo(kind: StoreKind): Promise<void> {
  const path = `${dir}/${kind}.store`;
  await destroy(kind, path);
  let store;
  try {
    store = await openWith(kind, path);
  } catch (err) {
    if (err instanceof StoreError && err.kind === "Unsupported") {
      console.log(`\n== ${kind}: skipped (${err.message})`);
      return;
    }
    throw err;
  }
  console.log(`\n== ${kind} store at ${path}`);
  await using _ = store;

  const [, loadMs] = await timed(async () => {
    for (let i = 0; i < N; i += 500) {
      const batch: [string, string][] = [];
      for (let j = i; j < i + 500; j++) {
        batch.push([key(j), JSON.stringify({ id: j, name: `user ${j}` })]);
      }
      await store.batchWrite(batch);
    }
  });
  console.log(`loaded ${N} keys in batches of 500: ${loadMs.toFixed(0)} ms (${rate(N, loadMs)})`);

  const reads = 20_000;
  const [hits, readMs] = await timed(async () => {
    let found = 0;
    for (let i = 0; i < reads; i++) {
      if (await store.get(key(Math.floor(Math.random() * N)))) found++;
    }
    return found;
  });
  console.log(
    `${reads} random reads, ${hits} found: ${readMs.toFixed(0)} ms (${rate(reads, readMs)})`,
  );

  const [scanned, scanMs] = await timed(async () => {
    let n = 0;
    for await (const _ of store.prefixScan("user/")) n++;
    return n;
  });
  console.log(
    `full prefix scan: ${scanned} rows in ${scanMs.toFixed(0)} ms (${rate(scanned, scanMs)})`,
  );

  const first = [];
  for await (const [k, v] of store.range(key(100), key(103))) {
    first.push(`${text.decode(k)} → ${text.decode(v)}`);
  }
  console.log(`range [${key(100)}, ${key(103)}):\n  ${first.join("\n  ")}`);

  await using snap = await store.snapshot();
  await store.put(key(1), "changed after the snapshot");
  await store.delete(key(2));
  console.log(
    `snapshot still sees ${text.decode(await snap.get(key(1)))} and ${
      (await snap.contains(key(2))) ? "the deleted key" : "nothing"
    }; the store sees "${text.decode(await store.get(key(1)))}"`,
  );

  await store.putWithTtl("session/42", "token", 200);
  console.log(`session/42 expires in ${await store.ttl("session/42")} ms`);

  {
    await using txn = await store.transaction();
    const balance = Number(
      text.decode((await txn.get("balance")) ?? new TextEncoder().encode("0")),
    );
    await txn.put("balance", String(balance + 100));
    await txn.commit();
  }
  console.log(`transaction committed: balance = ${text.decode(await store.get("balance"))}`);

  const backupPath = `${dir}/${kind}.backup`;
  const [, backupMs] = await timed(() => store.backup(backupPath));
  const backupSize = (await Deno.stat(backupPath)).size;
  console.log(`backup: ${backupPath}, ${backupSize} bytes in ${backupMs.toFixed(0)} ms`);
  console.log(`live keys: ${await store.count()}, bytes on disk: ${await store.sizeOnDisk()}`);
  const m = store.metrics();
  console.log(`metrics: ${m.reads} reads, ${m.writes} writes, ${m.deletes} deletes`);
}

await Deno.mkdir(dir, { recursive: true });
console.log(`oxistore demo — deno ${Deno.version.deno}, data in ${dir}`);
for (const kind of ["btree", "lsm", "denokv"] as const) await demo(kind);
