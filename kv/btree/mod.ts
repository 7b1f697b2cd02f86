/**
 * The default oxistore engine: a pure-TypeScript copy-on-write B+tree in one
 * file of 4 KiB pages. Commits are atomic and, with `syncWrites` (the
 * default), durable with one `fdatasync` each (concurrent commits share it);
 * every page is checksummed; snapshots pin a root while writers go on; large
 * values live in overflow pages; a bounded page cache serves hot pages.
 * `openBTree(undefined)` runs the same tree over memory pages.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { openBTree } from "@cooljapan/oxistore/kv/btree";
 * await using store = await openBTree(undefined);
 * await store.put("greeting", "hello");
 * strictEqual(new TextDecoder().decode(await store.get("greeting")), "hello");
 * ```
 *
 * @module
 */
import { checkStoreConfig, type StoreConfig } from "../../core/config.ts";
import { EngineStore } from "../../core/engine_store.ts";
import type { KvStore } from "../../core/kv.ts";
import { LOCK_SUFFIX, READERS_SUFFIX } from "./_follow.ts";
import { hasMagic, MAGIC } from "./_format.ts";
import { openFileEngine, openMemoryEngine } from "./_open.ts";
import { register } from "./_registry.ts";

/**
 * The first 8 bytes of every B-tree store file ("OXIBTREE").
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { BTREE_MAGIC } from "@cooljapan/oxistore/kv/btree";
 * strictEqual(new TextDecoder().decode(BTREE_MAGIC), "OXIBTREE");
 * ```
 */
export const BTREE_MAGIC: Uint8Array = MAGIC.slice();

/**
 * Opens the B-tree store at `path` (created if missing, unless read-only), or
 * an in-memory one when `path` is undefined. Honours every StoreConfig field:
 * `cacheSizeBytes` bounds the page cache (default 64 MiB), `syncWrites`
 * (default true) makes each commit durable when it resolves, `readOnly` opens
 * an existing store with a shared lock (missing → `NotFound`), and
 * `mergeOperator` backs `merge`. A file that is not a B-tree store is
 * `Corruption`; a store another handle or process has open for writing is
 * `Locked`.
 *
 * @param path the store file, or undefined for memory
 * @param config store configuration
 * @returns the store
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { openBTree } from "@cooljapan/oxistore/kv/btree";
 * const path = await Deno.makeTempFile({ suffix: ".db" });
 * await Deno.remove(path);
 * const store = await openBTree(path);
 * await store.batchWrite([["a", "1"], ["b", "2"]]);
 * await store.close();
 * await using again = await openBTree(path, { readOnly: true });
 * strictEqual(await again.count(), 2);
 * ```
 */
export async function openBTree(
  path: string | undefined,
  config: StoreConfig = {},
): Promise<KvStore> {
  checkStoreConfig(config, `open B-tree store at ${path ?? ":memory:"}`, "btree");
  const opts = {
    cacheSizeBytes: config.cacheSizeBytes,
    syncWrites: config.syncWrites,
    readOnly: config.readOnly,
  };
  const engine = path === undefined ? openMemoryEngine(opts) : await openFileEngine(path, opts);
  const store = new EngineStore(engine, {
    kind: "btree",
    syncWrites: path === undefined ? false : config.syncWrites ?? true,
    readOnly: config.readOnly === true,
    mergeOperator: config.mergeOperator,
  });
  register(store, engine);
  return store;
}

/**
 * True when the file at `path` starts with {@link BTREE_MAGIC}; false when it
 * does not or cannot be read.
 *
 * @param path a file path
 * @returns whether it looks like a B-tree store
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { isBTreeFile, openBTree } from "@cooljapan/oxistore/kv/btree";
 * const path = await Deno.makeTempFile({ suffix: ".db" });
 * await Deno.remove(path);
 * await (await openBTree(path)).close();
 * strictEqual(await isBTreeFile(path), true);
 * ```
 */
export async function isBTreeFile(path: string): Promise<boolean> {
  try {
    using file = await Deno.open(path, { read: true });
    const head = new Uint8Array(BTREE_MAGIC.length);
    let got = 0;
    while (got < head.length) {
      const n = await file.read(head.subarray(got));
      if (n === null || n === 0) return false;
      got += n;
    }
    return hasMagic(head);
  } catch {
    return false;
  }
}

/**
 * Whether `path` holds a B-tree store (a file starting with
 * {@link BTREE_MAGIC}). It answers "is this mine?" only and never throws; the
 * facade's `detectBackend` asks each engine this.
 *
 * @param path a path that may hold a store
 * @returns true when a B-tree store lives there
 *
 * @example
 * ```ts
 * import { openBTree, probe } from "@cooljapan/oxistore/kv/btree";
 * const path = `${await Deno.makeTempDir()}/kv.oxi`;
 * if (await probe(path)) throw new Error("nothing is there yet");
 * await (await openBTree(path)).close();
 * if (!(await probe(path))) throw new Error("a B-tree file is detected");
 * ```
 */
export function probe(path: string): Promise<boolean> {
  return isBTreeFile(path);
}

/**
 * The paths that make up the B-tree store at `path` (what the facade's
 * `destroy` removes): the store file, which holds its pages and its commit
 * log, and beside it the writer lock file and the directory of reader slots
 * that several processes opening one store share.
 *
 * @param path the store file
 * @returns paths to remove (recursively)
 *
 * @example
 * ```ts
 * import { storeFiles } from "@cooljapan/oxistore/kv/btree";
 * const files = storeFiles("./data.oxi");
 * if (files[0] !== "./data.oxi" || files.length !== 3) throw new Error(String(files));
 * ```
 */
export function storeFiles(path: string): string[] {
  return [path, path + LOCK_SUFFIX, path + READERS_SUFFIX];
}
