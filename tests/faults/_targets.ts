// The engines on a simulated disk: each opened through its own file code
// (the B-tree's openFileEngine and pager, the LSM's DiskFs and store
// directory creation), with only the system calls simulated.
import { makeDirDurable } from "../../core/_fs_calls.ts";
import { EngineStore } from "../../core/engine_store.ts";
import { toStoreError } from "../../core/error.ts";
import { compareBytes } from "../../core/bytes.ts";
import type { KvStore } from "../../core/kv.ts";
import { checkInvariants } from "../../kv/btree/_check.ts";
import type { BTreeEngine } from "../../kv/btree/_engine.ts";
import { openFileEngine } from "../../kv/btree/_open.ts";
import { DiskFs } from "../../kv/lsm/_fs.ts";
import { LsmEngine } from "../../kv/lsm/lsm_engine.ts";
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
  async function openOn(disk: SimDisk): Promise<KvStore> {
    // What openLsm does before it opens: create the directory (durably) if missing.
    try {
      disk.statSync(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      makeDirDurable(disk, path);
    }
    const engine = await LsmEngine.open(new DiskFs(path, disk), false, {
      backgroundThreads: false,
      memtableBytes: 4096,
      tableBytes: 4096,
      blockSize: 1024,
      l0Trigger: 2,
      levelBaseBytes: 16384,
      levelRatio: 4,
      cacheSizeBytes: 1 << 20,
    });
    return new EngineStore(engine, { kind: "lsm", syncWrites });
  }
  return {
    name: syncWrites ? "lsm" : "lsm (syncWrites: false)",
    base,
    path,
    steps: syncWrites ? steps : relaxed(steps),
    relaxed: !syncWrites,
    async open(disk: SimDisk): Promise<KvStore> {
      // As openLsm does: whatever fails leaves as a StoreError naming the store.
      try {
        return await openOn(disk);
      } catch (err) {
        throw toStoreError(err, `open LSM store at ${path}`);
      }
    },
    async check(store: KvStore): Promise<void> {
      // Scan order is strict and every scanned entry reads back the same by key.
      let prev: Uint8Array | undefined;
      for await (const [k, v] of store.range()) {
        if (prev !== undefined && compareBytes(prev, k) >= 0) throw new Error("scan out of order");
        const got = await store.get(k);
        if (got === undefined || compareBytes(got, v) !== 0) {
          throw new Error("get disagrees with scan");
        }
        prev = k;
      }
    },
  };
}
