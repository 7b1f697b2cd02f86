/**
 * {@link openKv}: the Deno KV API over a path, over any oxistore store, or in memory.
 *
 * @module
 */
import { StoreError, toStoreError } from "../../core/error.ts";
import type { KvStore } from "../../core/kv.ts";
import type { StoreKind } from "../../core/config.ts";
import { Kv } from "./kv.ts";
import { isNativeDenoKv } from "./_native.ts";

/** The tree of the underlying store the Deno KV API keeps its entries in. */
export const DENO_KV_TREE = "deno-kv";

/**
 * Options of {@link openKv}.
 *
 * @example
 * ```ts
 * import { openKv, type OpenKvOptions } from "@cooljapan/oxistore/deno-kv";
 * const options: OpenKvOptions = { kind: "lsm", pollMs: 200 };
 * await using kv = await openKv(undefined, options);
 * if ((await kv.set(["k"], 1)).ok !== true) throw new Error();
 * ```
 */
export interface OpenKvOptions {
  /** Engine of a new store (default `"btree"`); an existing store keeps its own. */
  kind?: StoreKind;
  /** How long a listener holds a claimed queue message before another may take it (default 30 s). */
  queueLeaseMs?: number;
  /** How often queues and watches look for other processes' commits (default 1000 ms). */
  pollMs?: number;
}

/**
 * Opens the Deno KV API: `openKv()` or `openKv(":memory:")` in memory (B-tree engine),
 * `openKv(path)` on a store file (created with `options.kind` when absent), `openKv(store)`
 * over a store you opened (it stays open when the Kv closes; entries live in its
 * `"deno-kv"` tree). A native Deno KV SQLite file is not opened in place: copy it with
 * `importDenoKv(path, kv)` (`StoreError` kind `Unsupported` says so).
 *
 * @example
 * ```ts
 * import { openKv } from "@cooljapan/oxistore/deno-kv";
 * const path = `${await Deno.makeTempDir()}/app.oxi`;
 * const kv = await openKv(path);
 * await kv.set(["users", 1], { name: "ada" }, { expireIn: 60_000 });
 * await kv.close();
 * await using again = await openKv(path);
 * if ((await again.get<{ name: string }>(["users", 1])).value?.name !== "ada") throw new Error();
 * ```
 */
export async function openKv(
  pathOrStore?: string | KvStore,
  options: OpenKvOptions = {},
): Promise<Kv> {
  const queueLeaseMs = checkMs(options.queueLeaseMs, 30_000, "queueLeaseMs");
  const pollMs = checkMs(options.pollMs, 1000, "pollMs");
  if (pathOrStore !== undefined && typeof pathOrStore === "object") {
    return new Kv({
      store: pathOrStore.tree(DENO_KV_TREE),
      owned: undefined,
      where: `a ${pathOrStore.kind} store`,
      queueLeaseMs,
      pollMs,
    });
  }
  if (pathOrStore !== undefined && typeof pathOrStore !== "string") {
    throw new StoreError(
      "InvalidInput",
      `Cannot open the Deno KV API: expected a path or a KvStore, got ${typeof pathOrStore}`,
    );
  }
  const mod = await import("../../mod.ts");
  let store: KvStore;
  const where = pathOrStore ?? ":memory:";
  if (pathOrStore === undefined || pathOrStore === ":memory:") {
    store = await mod.openInMemory(options.kind ?? "btree");
  } else {
    const kind = await existingKind(mod.detectBackend, pathOrStore);
    if (kind === "denokv" && await isNativeDenoKv(pathOrStore)) {
      throw new StoreError(
        "Unsupported",
        `Cannot open the Deno KV API at ${pathOrStore}: it is a native Deno KV database; ` +
          `copy it into an oxistore store with importDenoKv("${pathOrStore}", kv) ` +
          `(or the CLI: oxistore import-denokv ${pathOrStore} <store>)`,
      );
    }
    store = await mod.openWith(kind ?? options.kind ?? "btree", pathOrStore);
  }
  try {
    return new Kv({ store: store.tree(DENO_KV_TREE), owned: store, where, queueLeaseMs, pollMs });
  } catch (err) {
    await store.close().catch(() => {});
    throw toStoreError(err, `open the Deno KV API at ${where}`);
  }
}

async function existingKind(
  detect: (path: string) => Promise<StoreKind>,
  path: string,
): Promise<StoreKind | undefined> {
  try {
    if ((await Deno.stat(path)).isDirectory) return "lsm";
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw toStoreError(err, `open the Deno KV API at ${path}`);
  }
  try {
    return await detect(path);
  } catch (err) {
    if (err instanceof StoreError && err.kind === "NotFound") return undefined;
    throw err;
  }
}

function checkMs(v: unknown, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !(v > 0)) {
    throw new StoreError(
      "InvalidInput",
      `Cannot open the Deno KV API: ${name} must be a number > 0`,
    );
  }
  return v;
}
