/**
 * What continuous replication costs and how fast its other half runs, each
 * measured side by side in one run (a local blob directory is the target):
 *
 * ```sh
 * deno run -A bench/replica.ts [--quick]
 * ```
 *
 * - durable single commits and a random bulk load, with and without
 *   `replicate()` (the ratio is the cost);
 * - the largest `lag().ms` seen while committing at 5,000 commits/s;
 * - `restoreReplica` of a 1M-key store;
 * - commits a follower applies per second.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type KvStore, openConfig } from "../mod.ts";
import { LocalBlobStore } from "../blob/mod.ts";
import { openReplica, replicate, restoreReplica } from "../replica/mod.ts";

const args = parseArgs({ options: { quick: { type: "boolean", default: false } } });
const quick = args.values.quick;
const enc = new TextEncoder();
const dir = await Deno.makeTempDir({ prefix: "oxi-replica-bench-" });
let n = 0;
const fresh = () => `${dir}/s${++n}`;

async function withTarget<T>(fn: (t: { store: LocalBlobStore; prefix: string }) => Promise<T>) {
  const store = new LocalBlobStore(fresh());
  try {
    return await fn({ store, prefix: "r" });
  } finally {
    await store.close();
  }
}

function randomKeys(count: number): Uint8Array[] {
  let x = 0x2545f491;
  return Array.from({ length: count }, () => {
    const k = new Uint8Array(16);
    for (let i = 0; i < 16; i++) k[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
    return k;
  });
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Times `run`, with `store` replicating to a fresh local target when asked. */
async function timedWith(store: KvStore, replicated: boolean, run: () => Promise<void>) {
  if (!replicated) return await timed(run);
  return await withTarget(async (t) => {
    const rep = await replicate(store, t, { intervalMs: 1000 });
    const ms = await timed(run);
    await rep.stop();
    return ms;
  });
}

async function durableCommits(replicated: boolean): Promise<number> {
  const count = quick ? 500 : 3000;
  const store = await openConfig(fresh(), { kind: "btree", syncWrites: true });
  const value = new Uint8Array(100);
  const run = async () => {
    for (let i = 0; i < count; i++) await store.put(`k${i}`, value);
  };
  const ms = await timedWith(store, replicated, run);
  await store.close();
  return count / (ms / 1000);
}

async function bulkLoad(replicated: boolean): Promise<number> {
  const keys = randomKeys(quick ? 50_000 : 200_000);
  const value = new Uint8Array(100);
  const store = await openConfig(fresh(), { kind: "btree" });
  const run = async () => {
    for (let i = 0; i < keys.length; i += 1000) {
      await store.batchWrite(keys.slice(i, i + 1000).map((k) => [k, value]));
    }
  };
  const ms = await timedWith(store, replicated, run);
  await store.close();
  return keys.length / (ms / 1000);
}

async function lagAt5k(): Promise<{ maxLagMs: number; rate: number }> {
  const store = await openConfig(fresh(), { kind: "btree", syncWrites: false });
  return await withTarget(async (t) => {
    const rep = await replicate(store, t, { intervalMs: 100 });
    let maxLagMs = 0;
    const start = performance.now();
    const seconds = quick ? 2 : 5;
    let done = 0;
    while (performance.now() - start < seconds * 1000) {
      const due = Math.floor(((performance.now() - start) / 1000) * 5000);
      while (done < due) await store.put(`k${done++ % 10_000}`, enc.encode(String(done)));
      maxLagMs = Math.max(maxLagMs, rep.lag().ms);
      await new Promise((r) => setTimeout(r, 1));
    }
    const rate = done / ((performance.now() - start) / 1000);
    await rep.stop();
    await store.close();
    return { maxLagMs, rate };
  });
}

async function restore1M(): Promise<{ keys: number; ms: number }> {
  const keys = randomKeys(quick ? 100_000 : 1_000_000);
  const value = new Uint8Array(100);
  const store = await openConfig(fresh(), { kind: "btree" });
  for (let i = 0; i < keys.length; i += 5000) {
    await store.batchWrite(keys.slice(i, i + 5000).map((k) => [k, value]));
  }
  return await withTarget(async (t) => {
    const rep = await replicate(store, t);
    await rep.stop();
    await store.close();
    const path = fresh();
    const ms = await timed(() => restoreReplica(t, path));
    const restored = await openConfig(path, {});
    const keysRestored = await restored.count();
    await restored.close();
    return { keys: keysRestored, ms };
  });
}

async function followerApply(): Promise<number> {
  const count = quick ? 20_000 : 100_000;
  const primary: KvStore = await openConfig(fresh(), { kind: "btree", syncWrites: false });
  return await withTarget(async (t) => {
    const rep = await replicate(primary, t, { intervalMs: 60_000 });
    const follower = await openReplica(t, { pollMs: 5 });
    for (let i = 0; i < count; i++) await primary.put(`k${i % 1000}`, String(i));
    await primary.put("done", "1");
    const ms = await timed(async () => {
      await rep.flush();
      while (!(await follower.contains("done"))) await new Promise((r) => setTimeout(r, 1));
    });
    await rep.stop();
    await follower.close();
    await primary.close();
    return (count + 1) / (ms / 1000);
  });
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
try {
  const plain = await durableCommits(false);
  const withRep = await durableCommits(true);
  const plain2 = await durableCommits(false);
  // Without, with, without again: the mean of the two plain runs cancels
  // warm-up and drift between the first and the last run.
  const bulkA = await bulkLoad(false);
  const bulkRep = await bulkLoad(true);
  const bulkPlain = (bulkA + await bulkLoad(false)) / 2;
  const lag = await lagAt5k();
  const restore = await restore1M();
  const follow = await followerApply();
  const base = (plain + plain2) / 2;
  console.log("| workload | without replication | with replication | ratio |");
  console.log("|---|---:|---:|---:|");
  console.log(
    `| durable single commits/s | ${fmt(base)} | ${fmt(withRep)} | ${
      (withRep / base).toFixed(2)
    } |`,
  );
  console.log(
    `| random bulk load, keys/s | ${fmt(bulkPlain)} | ${fmt(bulkRep)} | ${
      (bulkRep / bulkPlain).toFixed(2)
    } |`,
  );
  console.log();
  console.log(`largest lag at ${fmt(lag.rate)} commits/s: ${fmt(lag.maxLagMs)} ms`);
  console.log(`restore of ${fmt(restore.keys)} keys: ${(restore.ms / 1000).toFixed(2)} s`);
  console.log(`follower applies ${fmt(follow)} commits/s`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
