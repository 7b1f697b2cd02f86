// The engines on a simulated disk: each opened through its own file code
// (the B-tree's openFileEngine and pager, the LSM's openLsmOn: store
// directory creation and DiskFs), with only the system calls simulated.
import { EngineStore } from "../../core/engine_store.ts";
import { compareBytes } from "../../core/bytes.ts";
import type { KvStore } from "../../core/kv.ts";
import { checkInvariants } from "../../kv/btree/_check.ts";
import type { BTreeEngine } from "../../kv/btree/_engine.ts";
import { openFileEngine } from "../../kv/btree/_open.ts";
import { openLsmOn } from "../../kv/lsm/_open.ts";
import type { LsmOptions } from "../../kv/lsm/lsm_options.ts";
import type { SimDisk } from "./sim_disk.ts";
import type { Target } from "./_harness.ts";
import { relaxed, workload } from "./_workload.ts";

/** The B-tree store file `base`/store.db. */
export function btreeTarget(base: string, syncWrites = true): Target {
  const path = `${base}/store.db`;
  const steps = workload({
    largeValue: 70_000,
    bulkKeys: 120,
    backupPath: `${base}/backup.bak`,
    logFill: true,
  });
  const engines = new WeakMap<KvStore, BTreeEngine>();
  return {
    name: syncWrites ? "btree" : "btree (syncWrites: false)",
    base,
    path,
    steps: syncWrites ? steps : relaxed(steps),
    relaxed: !syncWrites,
    async open(disk: SimDisk): Promise<KvStore> {
      const engine = await openFileEngine(path, { fs: disk, cacheSizeBytes: 1 << 20 });
      const store = new EngineStore(engine, { kind: "btree", syncWrites });
      engines.set(store, engine);
      return store;
    },
    check(store: KvStore): Promise<void> {
      checkInvariants(engines.get(store)!);
      return Promise.resolve();
    },
  };
}

/**
 * The LSM store directory `base`/lsm, with a tiny memtable and level sizes so
 * the workload flushes and compacts. Jobs run on this thread: worker threads
 * open the real disk (the same table-building code runs here).
 */
export function lsmTarget(base: string, syncWrites = true): Target {
  const path = `${base}/lsm`;
  const steps = workload({
    largeValue: 6_000,
    bulkKeys: 120,
    backupPath: `${base}/backup.bak`,
    logFill: false,
  });
  // The directory lock is a real file: the directory exists on the real disk too.
  Deno.mkdirSync(path, { recursive: true });
  const tuning: LsmOptions = {
    backgroundThreads: false,
    memtableBytes: 4096,
    tableBytes: 4096,
    blockSize: 1024,
    l0Trigger: 2,
    levelBaseBytes: 16384,
    levelRatio: 4,
    cacheSizeBytes: 1 << 20,
  };
  return {
    name: syncWrites ? "lsm" : "lsm (syncWrites: false)",
    base,
    path,
    steps: syncWrites ? steps : relaxed(steps),
    relaxed: !syncWrites,
    async open(disk: SimDisk): Promise<KvStore> {
      // openLsm's own code after its argument checks: the directory's
      // creation (and its parent's fsync) included.
      return (await openLsmOn(disk, path, { syncWrites }, tuning)).store;
    },
    check: checkLsm,
  };
}

/** The LSM's invariants seen from outside: scan order is strict, and every scanned entry reads back the same by key. */
export async function checkLsm(store: KvStore): Promise<void> {
  let prev: Uint8Array | undefined;
  for await (const [k, v] of store.range()) {
    if (prev !== undefined && compareBytes(prev, k) >= 0) throw new Error("scan out of order");
    const got = await store.get(k);
    if (got === undefined || compareBytes(got, v) !== 0) {
      throw new Error("get disagrees with scan");
    }
    prev = k;
  }
}
