/**
 * The Deno KV engine: oxistore's KvStore over `Deno.openKv` — SQLite on a
 * local path, Deno Deploy's own KV for an empty path, or a remote database by
 * `https://` URL (KV Connect). Needs `--unstable-kv` (or `"unstable": ["kv"]`
 * in deno.json).
 *
 * @example
 * ```ts
 * import { openDenoKv } from "@cooljapan/oxistore/kv/denokv";
 * await using store = await openDenoKv(":memory:");
 * await store.put("greeting", "hello");
 * console.log(new TextDecoder().decode(await store.get("greeting"))); // "hello"
 * ```
 *
 * @module
 */
import { checkStoreConfig, type StoreConfig } from "../../core/config.ts";
import { EngineStore } from "../../core/engine_store.ts";
import { StoreError, toStoreError } from "../../core/error.ts";
import type { KvStore } from "../../core/kv.ts";
import { DenoKvEngine } from "./denokv_engine.ts";

export { INLINE_LIMIT } from "./denokv_engine.ts";

/** The first bytes of every SQLite file (what `detectBackend` looks for). */
export const SQLITE_MAGIC: Uint8Array = new TextEncoder().encode("SQLite format 3\0");

/** True when Deno KV is available in this runtime. */
export function denoKvAvailable(): boolean {
  return typeof Deno !== "undefined" && typeof (Deno as { openKv?: unknown }).openKv === "function";
}

/**
 * Opens a Deno KV store. `path`: a local SQLite file, `":memory:"`, an
 * `https://` URL (KV Connect; token from `DENO_KV_ACCESS_TOKEN`), or `""` /
 * `undefined` for the platform's default database (Deno Deploy).
 *
 * @param path where the database lives
 * @param config durability, read-only, merge operator, and `cacheSizeBytes`:
 *   when > 0, a read cache of that many bytes for values this process reads
 *   and writes (off by default: it does not see other processes' writes)
 * @returns the store
 *
 * @example
 * ```ts
 * import { openDenoKv } from "@cooljapan/oxistore/kv/denokv";
 * const store = await openDenoKv(":memory:");
 * await store.putWithTtl("session", "x", 60_000);
 * console.log((await store.ttl("session"))! > 0); // true
 * await store.close();
 * ```
 */
export async function openDenoKv(path?: string, config: StoreConfig = {}): Promise<KvStore> {
  const where = path === undefined || path === "" ? "(default Deno KV)" : path;
  checkStoreConfig(config, `open Deno KV store at ${where}`, "denokv");
  if (!denoKvAvailable()) {
    throw new StoreError(
      "Unsupported",
      `Cannot open Deno KV store at ${where}: Deno KV is not enabled; run with --unstable-kv ` +
        `or add "unstable": ["kv"] to deno.json`,
    );
  }
  const isLocalFile = path !== undefined && path !== "" && path !== ":memory:" &&
    !/^https?:\/\//.test(path);
  if (config.readOnly && isLocalFile) {
    try {
      await Deno.stat(path);
    } catch (err) {
      throw toStoreError(err, `open Deno KV store at ${where} read-only`);
    }
  }
  let kv: Deno.Kv;
  try {
    kv = await Deno.openKv(path === "" ? undefined : path);
  } catch (err) {
    const e = toStoreError(err, `open Deno KV store at ${where}`);
    throw e.kind === "Other" ? new StoreError("Io", e.message, { cause: err }) : e;
  }
  const engine = await DenoKvEngine.create(
    kv,
    where,
    isLocalFile ? path : undefined,
    config.cacheSizeBytes ?? 0,
  );
  return new EngineStore(engine, {
    kind: "denokv",
    syncWrites: config.syncWrites,
    readOnly: config.readOnly,
    mergeOperator: config.mergeOperator,
  });
}
/**
 * Whether `path` holds a Deno KV store: a local file starting with
 * {@link SQLITE_MAGIC} (Deno KV keeps a local store in one SQLite database).
 * It answers "is this mine?" only and never throws; the facade's
 * `detectBackend` asks each engine this. `":memory:"` and URLs are not files,
 * so they are never detected.
 *
 * @param path a path that may hold a store
 * @returns true when a Deno KV (SQLite) file lives there
 *
 * @example
 * ```ts
 * import { openDenoKv, probe } from "@cooljapan/oxistore/kv/denokv";
 * const path = `${await Deno.makeTempDir()}/kv.sqlite`;
 * if (await probe(path)) throw new Error("nothing is there yet");
 * await (await openDenoKv(path)).close();
 * if (!(await probe(path))) throw new Error("a Deno KV file is detected");
 * ```
 */
export async function probe(path: string): Promise<boolean> {
  try {
    using file = await Deno.open(path, { read: true });
    const head = new Uint8Array(SQLITE_MAGIC.length);
    let got = 0;
    while (got < head.length) {
      const n = await file.read(head.subarray(got));
      if (n === null) return false;
      got += n;
    }
    return SQLITE_MAGIC.every((b, i) => head[i] === b);
  } catch {
    return false;
  }
}

/**
 * The paths that make up the Deno KV store at `path` (what the facade's
 * `destroy` removes): the SQLite database and its `-wal` and `-shm` files.
 *
 * @param path the store file
 * @returns paths to remove
 *
 * @example
 * ```ts
 * import { storeFiles } from "@cooljapan/oxistore/kv/denokv";
 * const files = storeFiles("kv.sqlite");
 * if (files.join() !== "kv.sqlite,kv.sqlite-wal,kv.sqlite-shm") throw new Error(String(files));
 * ```
 */
export function storeFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}
