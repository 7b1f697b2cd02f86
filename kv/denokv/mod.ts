/**
 * The Deno KV engine: oxistore's KvStore over `Deno.openKv` — SQLite on a
 * local path, Deno Deploy's own KV for an empty path, or a remote database by
 * `https://` URL (KV Connect). Needs `--unstable-kv` (or `"unstable": ["kv"]`
 * in deno.json).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { openDenoKv } from "@cooljapan/oxistore/kv/denokv";
 * await using store = await openDenoKv(":memory:");
 * await store.put("greeting", "hello");
 * strictEqual(new TextDecoder().decode(await store.get("greeting")), "hello");
 * ```
 *
 * @module
 */
import { checkStoreConfig, type StoreConfig } from "../../core/config.ts";
import { EngineStore } from "../../core/engine_store.ts";
import { ioStoreError, StoreError, toStoreError } from "../../core/error.ts";
import type { KvStore } from "../../core/kv.ts";
import { DenoKvEngine } from "./denokv_engine.ts";
import { BusyRetry, DEFAULT_BUSY_TIMEOUT_MS } from "./_busy.ts";

export { DEFAULT_BUSY_TIMEOUT_MS } from "./_busy.ts";

/**
 * Deno KV settings beyond {@link StoreConfig}.
 *
 * @example
 * ```ts
 * import { type DenoKvOptions, openDenoKv } from "@cooljapan/oxistore/kv/denokv";
 * const options: DenoKvOptions = { busyTimeoutMs: 10_000 };
 * await using store = await openDenoKv(":memory:", {}, options);
 * await store.put("k", "v");
 * if (await store.count() !== 1) throw new Error("expected one key");
 * ```
 */
export interface DenoKvOptions {
  /**
   * How long one call keeps retrying while another process holds the SQLite
   * database (Deno KV's "database is locked"), in ms, before it fails with
   * `StoreError` kind `Timeout`; like SQLite's `busy_timeout`. Default
   * {@link DEFAULT_BUSY_TIMEOUT_MS} (5 s); 0 fails on the first busy answer.
   */
  busyTimeoutMs?: number;
}

function checkBusyTimeout(ms: number | undefined, where: string): number {
  if (ms === undefined) return DEFAULT_BUSY_TIMEOUT_MS;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new StoreError(
      "InvalidInput",
      `Cannot open Deno KV store at ${where}: busyTimeoutMs must be a finite number >= 0, ` +
        `got ${String(ms)}`,
    );
  }
  return ms;
}

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
 * @param options Deno KV settings: how long a busy database is retried
 * @returns the store
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { openDenoKv } from "@cooljapan/oxistore/kv/denokv";
 * const store = await openDenoKv(":memory:");
 * await store.putWithTtl("session", "x", 60_000);
 * strictEqual((await store.ttl("session"))! > 0, true);
 * await store.close();
 * ```
 */
export async function openDenoKv(
  path?: string,
  config: StoreConfig = {},
  options: DenoKvOptions = {},
): Promise<KvStore> {
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
  const busyTimeoutMs = checkBusyTimeout(options.busyTimeoutMs, where);
  const busy = new BusyRetry(where, busyTimeoutMs);
  let kv: Deno.Kv;
  try {
    // Opening sets up the SQLite schema, which can find another process's write in progress.
    kv = await busy.run("open", () => Deno.openKv(path === "" ? undefined : path));
  } catch (err) {
    throw ioStoreError(err, `open Deno KV store at ${where}`);
  }
  let engine: DenoKvEngine;
  try {
    engine = await DenoKvEngine.create(
      kv,
      where,
      isLocalFile ? path : undefined,
      config.cacheSizeBytes ?? 0,
      busyTimeoutMs,
    );
  } catch (err) {
    kv.close();
    throw ioStoreError(err, `open Deno KV store at ${where}`);
  }
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
