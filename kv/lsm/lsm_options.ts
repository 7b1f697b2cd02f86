/**
 * The tuning knobs of the LSM engine ({@link LsmOptions}) and the counters of
 * its own work ({@link LsmStats}).
 *
 * @module
 */

/**
 * Tuning knobs of the LSM engine (the third argument of `openLsm`); every
 * field has a sensible default.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { type LsmOptions, openLsm } from "@cooljapan/oxistore/kv/lsm";
 * const tuning: LsmOptions = { memtableBytes: 1 << 20, compression: "deflate" };
 * await using store = await openLsm(undefined, {}, tuning);
 * await store.put("k", "v");
 * strictEqual(new TextDecoder().decode(await store.get("k")), "v");
 * ```
 */
export interface LsmOptions {
  /** Memtable size that triggers a flush (default 8 MiB). */
  memtableBytes?: number;
  /** Uncompressed data block size (default 4 KiB). */
  blockSize?: number;
  /** Block compression of new tables (default `"lz4"`). */
  compression?: "lz4" | "deflate" | "none";
  /** Level-0 tables that trigger a compaction (default 4). */
  l0Trigger?: number;
  /** Level-0 tables at which writers wait for compaction (default 20). */
  l0Stop?: number;
  /** Target bytes of level 1 (default 64 MiB); each deeper level is `levelRatio` times larger. */
  levelBaseBytes?: number;
  /** Growth factor between levels (default 10). */
  levelRatio?: number;
  /** Target size of compaction output tables (default 8 MiB). */
  tableBytes?: number;
  /** Frozen memtables waiting for flush before writers wait (default 4). */
  maxImmutable?: number;
  /** Block cache bytes (default 32 MiB). */
  cacheSizeBytes?: number;
  /**
   * Run flushes and compactions in worker threads (default true on disk;
   * in-memory stores always work on the main thread, in slices).
   */
  backgroundThreads?: boolean;
  /**
   * Jobs that read fewer bytes than this run on the main thread in slices
   * even when worker threads are on (default 4 MiB): starting a worker costs
   * ~100 ms (over a second under `deno test`, which type-checks it).
   */
  workerMinBytes?: number;
}

/**
 * Counters of the engine's own work, from `lsmStats(store)`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { lsmStats, type LsmStats, openLsm } from "@cooljapan/oxistore/kv/lsm";
 * await using store = await openLsm(undefined);
 * await store.put("k", "v");
 * const stats: LsmStats = lsmStats(store)!;
 * strictEqual(stats.writeAmplification >= 0, true);
 * ```
 */
export interface LsmStats {
  /** Bytes of keys and values committed through `apply` since open. */
  userBytes: number;
  /** Bytes the engine wrote to its files since open (WAL, tables, manifest). */
  diskBytesWritten: number;
  /** `diskBytesWritten / userBytes` (0 before any write). */
  writeAmplification: number;
  /** Tables per level. */
  tablesPerLevel: number[];
  /** Memtable flushes since open. */
  flushes: number;
  /** Compactions since open (trivial moves included). */
  compactions: number;
  /** Times a writer waited for background work. */
  stalls: number;
  /** WAL fdatasync calls (fewer than commits when group commit shares them). */
  walSyncs: number;
}
