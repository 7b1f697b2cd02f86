/**
 * oxistore: one key-value interface for Deno, several engines behind it.
 *
 * `open(path)` gives the default engine (a copy-on-write B-tree in one file);
 * `openWith("lsm" | "denokv", path)` picks another. Every engine implements
 * the same {@link KvStore}: bytes in, bytes out, keys in byte order, TTLs,
 * transactions, snapshots, watch, named trees, backup and restore. Engines
 * load lazily, so importing this module touches nothing and needs no
 * permissions (it loads on Deno Deploy).
 *
 * @example
 * ```ts
 * import { openInMemory } from "@cooljapan/oxistore";
 * await using store = await openInMemory("denokv");
 * await store.put("user/1", "ada");
 * const names: string[] = [];
 * for await (const [, value] of store.prefixScan("user/")) {
 *   names.push(new TextDecoder().decode(value));
 * }
 * if (names.join() !== "ada") throw new Error(names.join());
 * ```
 *
 * @module
 */
import { checkKind, checkStoreConfig, type StoreConfig, type StoreKind } from "./core/config.ts";
import { StoreError, toStoreError } from "./core/error.ts";
import type { KvStore } from "./core/kv.ts";
import type { BackupSource, BackupTarget } from "./core/backup_format.ts";
import type { MigrateOptions } from "./core/migrate.ts";
import type { CachedKvStore } from "./layers/cache/mod.ts";
import type { BlobStore } from "./blob/types.ts";
import type { ColumnarTable } from "./columnar/mod.ts";

export { StoreError, type StoreErrorKind } from "./core/error.ts";
export {
  type Bytes,
  type BytesLike,
  compareBytes,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  prefixUpperBound,
  toBytes,
} from "./core/bytes.ts";
export { expiryEpochMillis, isExpired } from "./core/ttl.ts";
export {
  cacheHitRate,
  type MergeOperator,
  STORE_KINDS,
  type StoreConfig,
  type StoreKind,
  type StoreMetrics,
} from "./core/config.ts";
export type { MigrateOptions, MigrateProgress } from "./core/migrate.ts";
// The types the family doors return (type-only: importing the facade loads none of their code).
export type { CachedKvStore } from "./layers/cache/mod.ts";
export type { BlobStore } from "./blob/types.ts";
export type { ColumnarTable } from "./columnar/mod.ts";
export type {
  BackupBlob,
  BackupBlobStore,
  BackupSource,
  BackupTarget,
} from "./core/backup_format.ts";
export type {
  KeysIter,
  KvChange,
  KvEntry,
  KvReader,
  KvSnapshot,
  KvStore,
  KvTxn,
  RangeItem,
  RangeIter,
  RangeOptions,
} from "./core/kv.ts";

/** What the facade asks of an engine; each engine's mod.ts answers for itself. */
interface Engine {
  open(path: string | undefined, config: StoreConfig): Promise<KvStore>;
  /** Is the thing at `path` this engine's store? Never throws. */
  probe(path: string): Promise<boolean>;
  /** Every path the store at `path` is made of. */
  storeFiles(path: string): string[];
}

/** Engines load on first use, so importing this module loads none of them. */
const ENGINES: Record<StoreKind, () => Promise<Engine>> = {
  btree: async () => {
    const m = await import("./kv/btree/mod.ts");
    return { open: m.openBTree, probe: m.probe, storeFiles: m.storeFiles };
  },
  lsm: async () => {
    const m = await import("./kv/lsm/mod.ts");
    return {
      open: (path, config) => m.openLsm(path, config),
      probe: m.probe,
      storeFiles: m.storeFiles,
    };
  },
  denokv: async () => {
    const m = await import("./kv/denokv/mod.ts");
    return {
      open: (path, config) => m.openDenoKv(path ?? ":memory:", config),
      probe: m.probe,
      storeFiles: m.storeFiles,
    };
  },
};

/** The order `detectBackend` asks in: an LSM directory is the rarest case, so its code loads last. */
const DETECT_ORDER: readonly StoreKind[] = ["btree", "denokv", "lsm"];

function checkPath(path: unknown, op: string): string {
  if (typeof path !== "string" || path === "") {
    throw new StoreError(
      "InvalidInput",
      `Cannot ${op}: path must be a non-empty string, got ${
        typeof path === "string" ? '""' : typeof path
      }`,
    );
  }
  return path;
}

async function exists(path: string, op: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw toStoreError(err, op);
  }
}

/**
 * Opens (or creates) a store at `path` with every {@link StoreConfig} field
 * honoured. `config.kind` picks the engine; without it, an existing store
 * opens with the engine that made it (see {@link detectBackend}) and a new
 * one is a B-tree.
 *
 * @example
 * ```ts
 * import { openConfig } from "@cooljapan/oxistore";
 * const dir = await Deno.makeTempDir();
 * const store = await openConfig(`${dir}/kv.sqlite`, { kind: "denokv", syncWrites: true });
 * await store.put("k", "v");
 * if (store.kind !== "denokv") throw new Error(store.kind);
 * await store.close();
 * ```
 */
export async function openConfig(path: string, config: StoreConfig = {}): Promise<KvStore> {
  const where = typeof path === "string" && path !== "" ? path : String(path);
  const c = checkStoreConfig(config, `open store at ${where}`);
  const p = checkPath(path, `open ${c.kind ?? "a"} store`);
  const kind = c.kind ??
    (await exists(p, `open store at ${p}`) ? await detectBackend(p) : "btree");
  return (await ENGINES[kind]()).open(p, { ...c, kind });
}

/**
 * Opens the store at `path`, whichever engine made it (see
 * {@link detectBackend}); where nothing is, creates a store of the default
 * engine, the B-tree. Something at `path` that no engine recognises is
 * `Corruption` and is left alone.
 *
 * @example
 * ```ts
 * import { open, openWith } from "@cooljapan/oxistore";
 * const dir = await Deno.makeTempDir();
 * await using fresh = await open(`${dir}/data.oxi`);
 * if (fresh.kind !== "btree") throw new Error(fresh.kind);
 * await (await openWith("lsm", `${dir}/events`)).close();
 * await using events = await open(`${dir}/events`);
 * if (events.kind !== "lsm") throw new Error(events.kind);
 * ```
 */
export function open(path: string): Promise<KvStore> {
  return openConfig(path);
}

/**
 * Opens (or creates) a store of engine `kind` at `path`. For `"denokv"`, an
 * empty path opens the platform's own Deno KV (Deno Deploy) and an
 * `https://` URL a remote one.
 *
 * @example
 * ```ts
 * import { openWith } from "@cooljapan/oxistore";
 * await using store = await openWith("denokv", ":memory:");
 * if (store.kind !== "denokv") throw new Error(store.kind);
 * ```
 */
export function openWith(kind: StoreKind, path: string): Promise<KvStore> {
  return openConfig(path, { kind: checkKind(kind, `open store at ${path}`) });
}

/**
 * An ephemeral store with `kind`'s semantics (default `"btree"`); nothing
 * touches disk and nothing is left behind.
 *
 * @example
 * ```ts
 * import { openInMemory } from "@cooljapan/oxistore";
 * await using store = await openInMemory("denokv");
 * await store.put("a", "1");
 * if (await store.count() !== 1) throw new Error("one key");
 * ```
 */
export async function openInMemory(
  kind: StoreKind = "btree",
  config: StoreConfig = {},
): Promise<KvStore> {
  const op = "open in-memory store at :memory:";
  const k = checkKind(kind, op);
  const c = checkStoreConfig(config, op, k);
  return (await ENGINES[k]()).open(undefined, { ...c, kind: k });
}

/**
 * Which engine made the store at `path`: each engine is asked whether the
 * store is its own (B-tree and Deno KV files by their magic bytes, an LSM
 * directory by its manifest). `NotFound` when nothing is there; `Corruption`
 * when no engine recognises it.
 *
 * @example
 * ```ts
 * import { detectBackend, openWith } from "@cooljapan/oxistore";
 * const dir = await Deno.makeTempDir();
 * await (await openWith("lsm", `${dir}/events`)).close();
 * const kind = await detectBackend(`${dir}/events`);
 * if (kind !== "lsm") throw new Error(kind);
 * ```
 */
export async function detectBackend(path: string): Promise<StoreKind> {
  const op = `detect store kind at ${path}`;
  checkPath(path, "detect store kind");
  try {
    await Deno.stat(path);
  } catch (err) {
    throw toStoreError(err, op);
  }
  for (const kind of DETECT_ORDER) {
    if (await (await ENGINES[kind]()).probe(path)) return kind;
  }
  throw new StoreError(
    "Corruption",
    `Cannot ${op}: not an oxistore store (no engine of ${DETECT_ORDER.join(", ")} recognises it)`,
  );
}

/**
 * Opens an existing store read-only, detecting its engine; writes throw
 * `ReadOnly`. A missing store is `NotFound` (nothing is created).
 *
 * @example
 * ```ts
 * import { openReadOnly, openWith } from "@cooljapan/oxistore";
 * const path = `${await Deno.makeTempDir()}/kv.sqlite`;
 * const w = await openWith("denokv", path);
 * await w.put("k", "v");
 * await w.close();
 * await using r = await openReadOnly(path);
 * if (new TextDecoder().decode(await r.get("k")) !== "v") throw new Error("read back");
 * ```
 */
export async function openReadOnly(path: string): Promise<KvStore> {
  const kind = await detectBackend(path);
  return (await ENGINES[kind]()).open(path, { kind, readOnly: true });
}

/**
 * Removes the files of the `kind` store at `path` (the engine names them); a
 * no-op when absent. Something at `path` that the engine does not recognise
 * as its store is refused with `InvalidInput` and left alone.
 *
 * @example
 * ```ts
 * import { destroy, openWith } from "@cooljapan/oxistore";
 * const path = `${await Deno.makeTempDir()}/kv.sqlite`;
 * await destroy("denokv", path); // absent: a no-op
 * await (await openWith("denokv", path)).close();
 * await destroy("denokv", path);
 * const left = await Deno.stat(path).then(() => true, () => false);
 * if (left) throw new Error("destroy removed the store");
 * ```
 */
export async function destroy(kind: StoreKind, path: string): Promise<void> {
  const op = `destroy ${kind} store at ${path}`;
  checkKind(kind, op);
  checkPath(path, `destroy ${kind} store`);
  const engine = await ENGINES[kind]();
  if (await exists(path, op) && !(await engine.probe(path))) {
    throw new StoreError(
      "InvalidInput",
      `Cannot ${op}: what is there is not a store of kind "${kind}"; nothing was removed`,
    );
  }
  await removeFiles(engine, path, op);
}

async function removeFiles(engine: Engine, path: string, op: string): Promise<void> {
  for (const target of engine.storeFiles(path)) {
    try {
      await Deno.remove(target, { recursive: true });
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw toStoreError(err, op);
    }
  }
}

/**
 * Opens the existing `kind` store at `src` read-only and writes a consistent
 * backup to `dst` (a missing `src` is `NotFound`; nothing is created).
 *
 * @example
 * ```ts
 * import { backupStore, openWith, restoreStore } from "@cooljapan/oxistore";
 * const dir = await Deno.makeTempDir();
 * const s = await openWith("denokv", `${dir}/a.sqlite`);
 * await s.put("k", "v");
 * await s.close();
 * await backupStore("denokv", `${dir}/a.sqlite`, `${dir}/a.bak`);
 * await restoreStore("btree", `${dir}/a.bak`, `${dir}/b.oxi`);
 * await using b = await openWith("btree", `${dir}/b.oxi`);
 * if (new TextDecoder().decode(await b.get("k")) !== "v") throw new Error("restored");
 * ```
 */
export async function backupStore(
  kind: StoreKind,
  src: string,
  dst: BackupTarget,
): Promise<void> {
  await using store = await openConfig(src, { kind, readOnly: true });
  await store.backup(dst);
}

/**
 * Opens (or creates) the `kind` store at `dst` and replaces its contents with
 * the backup at `backup`. If the restore fails, a store this call created is
 * removed again, and an existing one keeps its contents.
 *
 * @example
 * ```ts
 * import { restoreStore } from "@cooljapan/oxistore";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/bad.bak`, "not a backup");
 * const failed = await restoreStore("lsm", `${dir}/bad.bak`, `${dir}/new`).then(() => false, () => true);
 * const left = await Deno.stat(`${dir}/new`).then(() => true, () => false);
 * if (!failed || left) throw new Error("a failed restore leaves nothing behind");
 * ```
 */
export async function restoreStore(
  kind: StoreKind,
  backup: BackupSource,
  dst: string,
): Promise<void> {
  const op = `restore ${kind} store at ${dst}`;
  checkKind(kind, op);
  checkPath(dst, `restore ${kind} store`);
  const engine = await ENGINES[kind]();
  const created = !(await exists(dst, op));
  let store: KvStore | undefined;
  try {
    store = await openWith(kind, dst);
    await store.restore(backup);
    await store.close();
  } catch (err) {
    await store?.close().catch(() => {});
    if (created) await removeFiles(engine, dst, op).catch(() => {});
    throw err;
  }
}

/**
 * Copies every live key of `src` with its remaining TTL into `dst`, from one
 * point-in-time view of `src`, in the same batches as `restore`; returns how
 * many keys were copied. Keys already in `dst` stay unless `src` overwrites
 * them; expired keys are skipped.
 *
 * Between two stores opened by this module, every tree is copied: the
 * default one and every named `tree(name)`. A store that is not an engine's
 * own (a layer such as `EncryptedKv`, a tree handle, your own `KvStore`)
 * cannot list its named trees: its default keyspace is copied, plus the
 * trees named in `options.trees`.
 *
 * @example
 * ```ts
 * import { migrate, openInMemory } from "@cooljapan/oxistore";
 * await using a = await openInMemory("btree");
 * await using b = await openInMemory("lsm");
 * await a.put("k", "v");
 * await a.tree("users").put("ada", "1");
 * await a.putWithTtl("session", "s", 60_000);
 * const copied = await migrate(a, b);
 * if (copied !== 3) throw new Error(`copied ${copied}`);
 * if (!(await b.tree("users").contains("ada"))) throw new Error("named trees copy");
 * if (!((await b.ttl("session"))! > 0)) throw new Error("TTLs copy");
 * ```
 */
export async function migrate(
  src: KvStore,
  dst: KvStore,
  options: MigrateOptions = {},
): Promise<number> {
  const { migrateStores } = await import("./core/migrate.ts");
  return migrateStores(src, dst, options);
}

/**
 * Opens the `kind` store at `path` behind a read-through, write-through LRU
 * cache of `capacity` entries. To cache a store you already hold, use
 * `new CachedKvStore(store, { maxEntries })` from `@cooljapan/oxistore/cache`.
 *
 * @example
 * ```ts
 * import { openCached } from "@cooljapan/oxistore";
 * const dir = await Deno.makeTempDir();
 * await using store = await openCached("denokv", `${dir}/kv.sqlite`, 1000);
 * await store.put("k", "v");
 * await store.get("k");
 * if (store.metrics().cacheHits !== 1) throw new Error("the read was served by the cache");
 * ```
 */
export async function openCached(
  kind: StoreKind,
  path: string,
  capacity: number,
): Promise<CachedKvStore> {
  if (typeof capacity !== "number" || !Number.isInteger(capacity) || capacity < 1) {
    throw new StoreError(
      "InvalidInput",
      `Cannot open cached store at ${path}: capacity must be a whole number >= 1`,
    );
  }
  const { CachedKvStore } = await import("./layers/cache/mod.ts");
  const inner = await openWith(kind, path);
  return new CachedKvStore(inner, { maxEntries: capacity });
}

/**
 * Opens (or creates) a local-filesystem blob store rooted at `path`.
 *
 * @example
 * ```ts
 * import { openBlob } from "@cooljapan/oxistore";
 * const blobs = await openBlob(await Deno.makeTempDir());
 * await blobs.put("docs/readme.txt", new TextEncoder().encode("hi"));
 * if ((await blobs.head("docs/readme.txt")).size !== 2) throw new Error("two bytes");
 * ```
 */
export async function openBlob(path: string): Promise<BlobStore> {
  checkPath(path, "open blob store");
  const { LocalBlobStore } = await import("./blob/mod.ts");
  return LocalBlobStore.open(path);
}

/**
 * Opens an existing Parquet file as a columnar table (Arrow in memory). The
 * same function as `openColumnar` of `@cooljapan/oxistore/columnar`, loaded
 * only when called, so importing the facade loads no apache-arrow.
 *
 * @example
 * ```ts
 * import { openColumnar } from "@cooljapan/oxistore";
 * import { ColumnarTable } from "@cooljapan/oxistore/columnar";
 * const path = `${await Deno.makeTempDir()}/t.parquet`;
 * await ColumnarTable.fromRows([{ id: 1 }, { id: 2 }]).writeParquet(path);
 * const table = await openColumnar(path);
 * if (table.numRows !== 2) throw new Error(`${table.numRows} rows`);
 * ```
 */
export async function openColumnar(path: string): Promise<ColumnarTable> {
  checkPath(path, "open columnar table");
  const columnar = await import("./columnar/mod.ts");
  return columnar.openColumnar(path);
}
