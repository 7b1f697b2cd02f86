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
 * for await (const [key, value] of store.prefixScan("user/")) {
 *   console.log(new TextDecoder().decode(key), new TextDecoder().decode(value));
 * }
 * ```
 *
 * @module
 */
import type { StoreConfig, StoreKind } from "./core/config.ts";
import { STORE_KINDS } from "./core/config.ts";
import { StoreError, toStoreError } from "./core/error.ts";
import type { KvStore } from "./core/kv.ts";
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
  emptyMetrics,
  type MergeOperator,
  STORE_KINDS,
  type StoreConfig,
  type StoreKind,
  type StoreMetrics,
} from "./core/config.ts";
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

/** Where data of each family lives. */
export type Backend =
  | "kv-btree"
  | "kv-lsm"
  | "kv-denokv"
  | "columnar"
  | "blob-local"
  | "blob-memory"
  | "blob-s3"
  | "blob-gcs"
  | "blob-azure"
  | "cache";

/**
 * The backend name of a KV engine kind.
 *
 * @example
 * ```ts
 * import { backendOf } from "@cooljapan/oxistore";
 * console.log(backendOf("lsm")); // "kv-lsm"
 * ```
 */
export function backendOf(kind: StoreKind): Backend {
  return `kv-${checkKind(kind)}`;
}

function checkKind(kind: unknown): StoreKind {
  if (typeof kind === "string" && (STORE_KINDS as readonly string[]).includes(kind)) {
    return kind as StoreKind;
  }
  throw new StoreError(
    "InvalidInput",
    `Unknown store kind ${JSON.stringify(kind)}: expected one of ${STORE_KINDS.join(", ")}`,
  );
}

function checkPath(path: unknown, op: string): string {
  if (typeof path !== "string") {
    throw new StoreError("InvalidInput", `Cannot ${op}: path must be a string, got ${typeof path}`);
  }
  return path;
}

function checkConfig(config: unknown): StoreConfig {
  if (config === undefined) return {};
  if (typeof config !== "object" || config === null) {
    throw new StoreError("InvalidInput", `Invalid StoreConfig: expected an object`);
  }
  const c = config as Record<string, unknown>;
  const known = ["kind", "cacheSizeBytes", "syncWrites", "readOnly", "mergeOperator"];
  for (const k of Object.keys(c)) {
    if (!known.includes(k)) {
      throw new StoreError("InvalidInput", `Invalid StoreConfig: unknown field "${k}"`);
    }
  }
  if (c.kind !== undefined) checkKind(c.kind);
  if (
    c.cacheSizeBytes !== undefined &&
    (typeof c.cacheSizeBytes !== "number" || !(c.cacheSizeBytes >= 0))
  ) {
    throw new StoreError(
      "InvalidInput",
      `Invalid StoreConfig.cacheSizeBytes: expected a number >= 0`,
    );
  }
  for (const k of ["syncWrites", "readOnly"]) {
    if (c[k] !== undefined && typeof c[k] !== "boolean") {
      throw new StoreError("InvalidInput", `Invalid StoreConfig.${k}: expected a boolean`);
    }
  }
  if (c.mergeOperator !== undefined && typeof c.mergeOperator !== "function") {
    throw new StoreError("InvalidInput", `Invalid StoreConfig.mergeOperator: expected a function`);
  }
  return c as StoreConfig;
}

/** Opens `kind` at `path` (undefined = in memory). Engines load here, lazily. */
async function openEngine(
  kind: StoreKind,
  path: string | undefined,
  config: StoreConfig,
): Promise<KvStore> {
  switch (kind) {
    case "denokv": {
      const { openDenoKv } = await import("./kv/denokv/mod.ts");
      return openDenoKv(path ?? ":memory:", config);
    }
    case "lsm": {
      const { openLsm } = await import("./kv/lsm/mod.ts");
      return openLsm(path, config);
    }
    case "btree": {
      const { openBTree } = await import("./kv/btree/mod.ts");
      return openBTree(path, config);
    }
  }
}

/**
 * Opens (or creates) a store at `path` with every {@link StoreConfig} field
 * honoured; `config.kind` picks the engine (default `"btree"`).
 *
 * @example
 * ```ts
 * import { openConfig } from "@cooljapan/oxistore";
 * const dir = await Deno.makeTempDir();
 * const store = await openConfig(`${dir}/kv.sqlite`, { kind: "denokv", syncWrites: true });
 * await store.put("k", "v");
 * await store.close();
 * ```
 */
export function openConfig(path: string, config: StoreConfig = {}): Promise<KvStore> {
  const c = checkConfig(config);
  const kind = c.kind ?? "btree";
  return openEngine(kind, checkPath(path, `open ${kind} store`), c);
}

/**
 * Opens (or creates) a store of the default engine at `path`.
 *
 * @example
 * ```ts ignore
 * import { open } from "@cooljapan/oxistore";
 * await using store = await open("./data.oxi");
 * await store.put("hello", "world");
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
 * console.log(store.kind); // "denokv"
 * ```
 */
export function openWith(kind: StoreKind, path: string): Promise<KvStore> {
  return openConfig(path, { kind: checkKind(kind) });
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
 * console.log(await store.count()); // 1
 * ```
 */
export function openInMemory(
  kind: StoreKind = "btree",
  config: StoreConfig = {},
): Promise<KvStore> {
  const c = checkConfig(config);
  return openEngine(checkKind(kind), undefined, { ...c, kind });
}

/**
 * Which engine made the store at `path`, from its own magic bytes or layout.
 * `NotFound` when nothing is there; `Corruption` when it is not a store.
 *
 * @example
 * ```ts
 * import { detectBackend, openWith } from "@cooljapan/oxistore";
 * const path = `${await Deno.makeTempDir()}/kv.sqlite`;
 * const store = await openWith("denokv", path);
 * await store.close();
 * console.log(await detectBackend(path)); // "denokv"
 * ```
 */
export async function detectBackend(path: string): Promise<StoreKind> {
  checkPath(path, "detect store kind");
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    throw toStoreError(err, `detect store kind at ${path}`);
  }
  if (info.isDirectory) {
    throw new StoreError(
      "Corruption",
      `Cannot detect store kind at ${path}: directory is not an oxistore store`,
    );
  }
  const head = new Uint8Array(16);
  let n = 0;
  try {
    using file = await Deno.open(path, { read: true });
    while (n < head.length) {
      const got = await file.read(head.subarray(n));
      if (got === null) break;
      n += got;
    }
  } catch (err) {
    throw toStoreError(err, `detect store kind at ${path}`);
  }
  const { SQLITE_MAGIC } = await import("./kv/denokv/mod.ts");
  if (n >= SQLITE_MAGIC.length && SQLITE_MAGIC.every((b, i) => head[i] === b)) return "denokv";
  const { BTREE_MAGIC } = await import("./kv/btree/mod.ts");
  if (n >= BTREE_MAGIC.length && BTREE_MAGIC.every((b, i) => head[i] === b)) return "btree";
  throw new StoreError(
    "Corruption",
    `Cannot detect store kind at ${path}: file is not an oxistore store (unknown magic bytes)`,
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
 * console.log(new TextDecoder().decode(await r.get("k"))); // "v"
 * ```
 */
export async function openReadOnly(path: string): Promise<KvStore> {
  const kind = await detectBackend(path);
  return openEngine(kind, path, { kind, readOnly: true });
}

/**
 * Removes the files of the `kind` store at `path`; a no-op when absent.
 *
 * @example
 * ```ts
 * import { destroy } from "@cooljapan/oxistore";
 * await destroy("denokv", `${await Deno.makeTempDir()}/missing.sqlite`); // no-op
 * ```
 */
export async function destroy(kind: StoreKind, path: string): Promise<void> {
  checkKind(kind);
  checkPath(path, `destroy ${kind} store`);
  const targets = kind === "denokv" ? [path, `${path}-wal`, `${path}-shm`] : [path];
  for (const target of targets) {
    try {
      await Deno.remove(target, { recursive: true });
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        throw toStoreError(err, `destroy ${kind} store at ${path}`);
      }
    }
  }
}

/**
 * Opens the `kind` store at `src` and writes a consistent backup to `dst`.
 *
 * @example
 * ```ts
 * import { backupStore, openWith, restoreStore } from "@cooljapan/oxistore";
 * const dir = await Deno.makeTempDir();
 * const s = await openWith("denokv", `${dir}/a.sqlite`);
 * await s.put("k", "v");
 * await s.close();
 * await backupStore("denokv", `${dir}/a.sqlite`, `${dir}/a.bak`);
 * await restoreStore("denokv", `${dir}/a.bak`, `${dir}/b.sqlite`);
 * ```
 */
export async function backupStore(kind: StoreKind, src: string, dst: string): Promise<void> {
  await using store = await openWith(kind, src);
  await store.backup(dst);
}

/** Opens (or creates) the `kind` store at `dst` and replaces its contents with the backup at `backup`. */
export async function restoreStore(kind: StoreKind, backup: string, dst: string): Promise<void> {
  await using store = await openWith(kind, dst);
  await store.restore(backup);
}

/**
 * Copies every live key of `src`'s default tree (with its remaining TTL) into
 * `dst`, reading from a snapshot of `src`. Returns how many keys were copied.
 *
 * @example
 * ```ts
 * import { migrate, openInMemory } from "@cooljapan/oxistore";
 * await using a = await openInMemory("denokv");
 * await using b = await openInMemory("denokv");
 * await a.put("k", "v");
 * console.log(await migrate(a, b)); // 1
 * ```
 */
export async function migrate(src: KvStore, dst: KvStore): Promise<number> {
  await using snap = await src.snapshot();
  let batch: [Uint8Array, Uint8Array][] = [];
  let bytes = 0;
  let copied = 0;
  const flush = async () => {
    if (batch.length > 0) await dst.batchWrite(batch);
    batch = [];
    bytes = 0;
  };
  for await (const [key, value] of snap.range()) {
    const ttl = await src.ttl(key);
    if (ttl !== undefined) {
      if (ttl > 0) {
        await dst.putWithTtl(key, value, ttl);
        copied++;
      }
      continue;
    }
    batch.push([key, value]);
    bytes += key.length + value.length;
    copied++;
    if (batch.length >= 500 || bytes >= 256 * 1024) await flush();
  }
  await flush();
  return copied;
}

/**
 * Opens the `kind` store at `path` behind a read-through, write-through LRU
 * cache of `capacity` entries.
 *
 * @example
 * ```ts
 * import { openCached } from "@cooljapan/oxistore";
 * const dir = await Deno.makeTempDir();
 * await using store = await openCached("denokv", `${dir}/kv.sqlite`, 1000);
 * await store.put("k", "v");
 * await store.get("k");
 * console.log(store.metrics().cacheHits); // 1
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
 * console.log((await blobs.head("docs/readme.txt")).size); // 2
 * ```
 */
export async function openBlob(path: string): Promise<BlobStore> {
  checkPath(path, "open blob store");
  const { LocalBlobStore } = await import("./blob/local_blob_store.ts");
  return LocalBlobStore.open(path);
}

/**
 * Opens an existing Parquet file as a columnar table (Arrow in memory). Loads
 * apache-arrow and the Parquet reader only when called.
 *
 * @example
 * ```ts ignore
 * import { openColumnar } from "@cooljapan/oxistore";
 * const table = await openColumnar("./events.parquet");
 * console.log(table.numRows, table.schema.fields.map((f) => f.name));
 * ```
 */
export async function openColumnar(path: string): Promise<ColumnarTable> {
  checkPath(path, "open columnar table");
  const { readParquet } = await import("./columnar/mod.ts");
  return readParquet(path);
}
