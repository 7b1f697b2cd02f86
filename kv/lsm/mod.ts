/**
 * The LSM engine: a pure-TypeScript log-structured merge tree for
 * write-heavy ingest (logs, events, metrics). Commits go to a checksummed
 * write-ahead log with group commit and to a memtable; full memtables become
 * immutable sorted tables (prefix-compressed LZ4 blocks, a block index, a
 * bloom filter, a checksummed footer) that leveled compaction merges in the
 * background. The full KvStore API comes from core's `EngineStore`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { openLsm } from "@cooljapan/oxistore/kv/lsm";
 * await using store = await openLsm(undefined); // in memory
 * await store.batchWrite([["event:1", "start"], ["event:2", "stop"]]);
 * strictEqual(new TextDecoder().decode(await store.get("event:2")), "stop");
 * ```
 *
 * @module
 */
import { checkStoreConfig, type StoreConfig } from "../../core/config.ts";
import { StoreError, toStoreError } from "../../core/error.ts";
import type { KvStore } from "../../core/kv.ts";
import { DENO_FS } from "../../core/_fs_calls.ts";
import { decodeManifest, FORMAT_VERSION, MANIFEST_MAGIC, MANIFEST_NAME } from "./_manifest.ts";
import type { LsmEngine } from "./lsm_engine.ts";
import { openLsmOn } from "./_open.ts";
import type { LsmOptions, LsmStats } from "./lsm_options.ts";

export type { LsmOptions, LsmStats };

/**
 * The magic bytes (ASCII) at the start of an LSM store's `MANIFEST` file.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { LSM_MAGIC } from "@cooljapan/oxistore/kv/lsm";
 * strictEqual(LSM_MAGIC, "OXLSMMAN");
 * ```
 */
export const LSM_MAGIC: string = MANIFEST_MAGIC;

/**
 * The on-disk format version this code writes and reads (see docs/lsm.md).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { LSM_FORMAT_VERSION } from "@cooljapan/oxistore/kv/lsm";
 * strictEqual(LSM_FORMAT_VERSION, 1);
 * ```
 */
export const LSM_FORMAT_VERSION: number = FORMAT_VERSION;

const engines = new WeakMap<KvStore, LsmEngine>();

/**
 * Opens (or creates) an LSM store in the directory `path`; `undefined` keeps
 * the whole store in memory (same code, an in-memory file system).
 *
 * Honours every {@link StoreConfig} field: `cacheSizeBytes` bounds the block
 * cache (default 32 MiB), `syncWrites` (default true) makes each commit
 * durable before it resolves (concurrent commits share one fdatasync),
 * `readOnly` opens an existing store (a missing one is `NotFound`),
 * `mergeOperator` backs `merge`. Any number of handles, isolates and
 * processes open the same directory at once, writers and readers: each
 * sees the others' commits, transactions conflict across them, `watch`
 * hears them (docs/lsm.md, "Many openers").
 *
 * @param path the store directory, or undefined for an in-memory store
 * @param config the store configuration
 * @param tuning engine knobs (memtable size, compression, level shape)
 * @returns the store
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { openLsm } from "@cooljapan/oxistore/kv/lsm";
 * const dir = await Deno.makeTempDir();
 * const store = await openLsm(dir, { syncWrites: false });
 * await store.put("k", "v");
 * await store.close();
 * const again = await openLsm(dir, { readOnly: true });
 * strictEqual(new TextDecoder().decode(await again.get("k")), "v");
 * await again.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openLsm(
  path: string | undefined,
  config: StoreConfig = {},
  tuning: LsmOptions = {},
): Promise<KvStore> {
  const where = path ?? ":memory:";
  try {
    checkStoreConfig(config, `open LSM store at ${where}`, "lsm");
    if (path !== undefined && (typeof path !== "string" || path === "")) {
      throw new StoreError("InvalidInput", `Invalid LSM store path: expected a non-empty string`);
    }
    const { store, engine } = await openLsmOn(DENO_FS, path, config, tuning);
    engines.set(store, engine);
    return store;
  } catch (err) {
    throw toStoreError(err, `open LSM store at ${where}`);
  }
}

/**
 * True only when `path` is a directory holding a valid LSM store: its
 * `MANIFEST` starts with {@link LSM_MAGIC}, has a known format version and
 * passes its checksum. Never throws for missing or foreign paths.
 *
 * @param path a directory
 * @returns whether an LSM store lives there
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { isLsmDir, openLsm } from "@cooljapan/oxistore/kv/lsm";
 * const dir = await Deno.makeTempDir();
 * strictEqual(await isLsmDir(dir), false);
 * await (await openLsm(dir)).close();
 * strictEqual(await isLsmDir(dir), true);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function isLsmDir(path: string): Promise<boolean> {
  try {
    const bytes = await Deno.readFile(`${path}/${MANIFEST_NAME}`);
    decodeManifest(bytes, path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Engine counters of a store opened by {@link openLsm} (write amplification,
 * tables per level, flushes, compactions, stalls); undefined for any other
 * store.
 *
 * @param store a store from openLsm
 * @returns the counters, or undefined
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { lsmStats, openLsm } from "@cooljapan/oxistore/kv/lsm";
 * await using store = await openLsm(undefined);
 * await store.put("a", "1");
 * strictEqual(lsmStats(store)!.userBytes > 0, true);
 * ```
 */
export function lsmStats(store: KvStore): LsmStats | undefined {
  return engines.get(store)?.stats();
}

/**
 * Resolves once the store's background flushes and compactions are done.
 *
 * @param store a store from openLsm
 * @returns when idle
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { lsmStats, lsmWaitIdle, openLsm } from "@cooljapan/oxistore/kv/lsm";
 * await using store = await openLsm(undefined, {}, { memtableBytes: 64 * 1024 });
 * for (let i = 0; i < 200; i++) await store.put(`k${i}`, "x".repeat(1000)); // > one memtable
 * await lsmWaitIdle(store);
 * strictEqual(lsmStats(store)!.flushes > 0, true); // the full memtable reached a table
 * ```
 */
export async function lsmWaitIdle(store: KvStore): Promise<void> {
  const e = engines.get(store);
  if (!e) return;
  try {
    await e.waitIdle();
  } catch (err) {
    throw toStoreError(err, `wait for background work of LSM store at ${e.path}`);
  }
}

/**
 * Whether `path` holds an LSM store: a directory whose `MANIFEST` starts with
 * {@link LSM_MAGIC}. It answers "is this mine?" only (a damaged manifest is
 * still this engine's, and opening it reports the damage); it never throws.
 * The facade's `detectBackend` asks each engine this.
 *
 * @param path a path that may hold a store
 * @returns true when an LSM store lives there
 *
 * @example
 * ```ts
 * import { openLsm, probe } from "@cooljapan/oxistore/kv/lsm";
 * const dir = await Deno.makeTempDir();
 * if (await probe(dir)) throw new Error("an empty directory is no store");
 * await (await openLsm(dir)).close();
 * if (!(await probe(dir))) throw new Error("an LSM directory is detected");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function probe(path: string): Promise<boolean> {
  try {
    using file = await Deno.open(`${path}/${MANIFEST_NAME}`, { read: true });
    const want = new TextEncoder().encode(MANIFEST_MAGIC);
    const head = new Uint8Array(want.length);
    let got = 0;
    while (got < head.length) {
      const n = await file.read(head.subarray(got));
      if (n === null) return false;
      got += n;
    }
    return want.every((b, i) => head[i] === b);
  } catch {
    return false;
  }
}

/**
 * The paths that make up the LSM store at `path` (what the facade's
 * `destroy` removes): the store directory itself, with its tables, logs,
 * manifest, lock files and reader slots.
 *
 * @param path the store directory
 * @returns paths to remove, recursively
 *
 * @example
 * ```ts
 * import { storeFiles } from "@cooljapan/oxistore/kv/lsm";
 * const files = storeFiles("./events");
 * if (files.length !== 1 || files[0] !== "./events") throw new Error(String(files));
 * ```
 */
export function storeFiles(path: string): string[] {
  return [path];
}
