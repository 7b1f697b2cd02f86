/**
 * Copying one open store into another (the facade's `migrate`), in the same
 * batches as `restore`.
 *
 * Between two stores opened by oxistore's engines, every tree is copied raw:
 * the default tree and every named tree, each value with its TTL deadline,
 * from one point-in-time view of the source. Any other store (a layer such as
 * `EncryptedKv`, a tree handle, a user's own KvStore) is copied through the
 * public API: its default keyspace and the named trees listed in
 * `options.trees`, TTLs included.
 *
 * @module
 */
import type { RawOp, RawReader } from "./engine.ts";
import { rootState } from "./engine_store.ts";
import { StoreError, toStoreError } from "./error.ts";
import { RAW_USER_HI, RAW_USER_LO } from "./keyspace.ts";
import type { KvStore } from "./kv.ts";
import { RESTORE_BATCH_BYTES, RESTORE_BATCH_OPS, type Shared } from "./_shared.ts";
import { storedExpiry, storedIsExpired } from "./ttl.ts";

/** How far a copy has come; handed to {@link MigrateOptions.onProgress}. */
export interface MigrateProgress {
  /** Live keys copied so far (across every tree). */
  keys: number;
  /** Key and value bytes copied so far. */
  bytes: number;
}

/** Options of `migrate`. */
export interface MigrateOptions {
  /**
   * Named trees to copy when a store is not an engine's own root handle (a
   * layer or a user's KvStore cannot list its trees). Between two engine
   * stores every tree is copied and this is ignored.
   */
  trees?: string[];
  /** Called after each committed batch, and once at the end. */
  onProgress?: (progress: MigrateProgress) => void;
}

/**
 * Copies every live key of `src` (with its remaining TTL) into `dst` and
 * returns how many keys were copied. Keys already in `dst` stay unless `src`
 * overwrites them; expired keys are skipped.
 */
export async function migrateStores(
  src: KvStore,
  dst: KvStore,
  options: MigrateOptions = {},
): Promise<number> {
  const trees = options.trees ?? [];
  if (!Array.isArray(trees) || trees.some((t) => typeof t !== "string" || t === "")) {
    throw new StoreError(
      "InvalidInput",
      `Cannot migrate: options.trees must be an array of non-empty tree names`,
    );
  }
  const from = rootState(src);
  const to = rootState(dst);
  if (from && to) return await copyRaw(from, to, options.onProgress);
  let copied = 0;
  const progress = counter(options.onProgress);
  copied += await copyTree(src, dst, progress);
  for (const name of trees) copied += await copyTree(src.tree(name), dst.tree(name), progress);
  progress.done();
  return copied;
}

function counter(report: ((p: MigrateProgress) => void) | undefined) {
  const p: MigrateProgress = { keys: 0, bytes: 0 };
  return {
    add(keys: number, bytes: number) {
      p.keys += keys;
      p.bytes += bytes;
      report?.({ ...p });
    },
    done() {
      report?.({ ...p });
    },
  };
}

/** Every tree, raw: stored values carry their TTL header, so deadlines copy exactly. */
async function copyRaw(
  from: Shared,
  to: Shared,
  report: ((p: MigrateProgress) => void) | undefined,
): Promise<number> {
  const where = `migrate from ${from.engine.path} to ${to.engine.path}`;
  from.check("migrate", false);
  to.check("migrate", true);
  const progress = counter(report);
  const view = await from.lock.run(() => from.pin());
  let copied = 0;
  try {
    let ops: RawOp[] = [];
    let bytes = 0;
    const flush = async () => {
      if (ops.length === 0) return;
      const batch = ops;
      ops = [];
      await to.lock.run(() => {
        to.check("migrate", true);
        return to.applyLocked(batch);
      });
      progress.add(batch.length, bytes);
      bytes = 0;
    };
    const now = Date.now();
    for await (const [key, stored] of liveRecords(view)) {
      if (storedIsExpired(stored, now)) continue;
      // Engines may hand out views of their pages; a batch outlives them.
      ops.push({ key: key.slice(), value: stored.slice(), expiresAt: storedExpiry(stored) });
      bytes += key.length + stored.length;
      copied++;
      if (ops.length >= RESTORE_BATCH_OPS || bytes >= RESTORE_BATCH_BYTES) await flush();
    }
    await flush();
    await to.engine.sync();
  } catch (err) {
    throw toStoreError(err, where);
  } finally {
    view.release();
  }
  progress.done();
  return copied;
}

function liveRecords(view: RawReader) {
  return view.scan(new Uint8Array([RAW_USER_LO]), new Uint8Array([RAW_USER_HI]));
}

/** One keyspace through the public API, from a snapshot; TTLs are read per key. */
async function copyTree(
  src: KvStore,
  dst: KvStore,
  progress: ReturnType<typeof counter>,
): Promise<number> {
  await using snap = await src.snapshot();
  let batch: [Uint8Array, Uint8Array][] = [];
  let bytes = 0;
  let copied = 0;
  const flush = async () => {
    if (batch.length > 0) await dst.batchWrite(batch);
    progress.add(batch.length, bytes);
    batch = [];
    bytes = 0;
  };
  for await (const [key, value] of snap.range()) {
    const ttl = await src.ttl(key);
    if (ttl !== undefined) {
      if (ttl > 0) {
        await dst.putWithTtl(key, value, ttl);
        progress.add(1, key.length + value.length);
        copied++;
      }
      continue;
    }
    batch.push([key, value]);
    bytes += key.length + value.length;
    copied++;
    if (batch.length >= RESTORE_BATCH_OPS || bytes >= RESTORE_BATCH_BYTES) await flush();
  }
  await flush();
  return copied;
}

/**
 * Live keys across every tree of an engine's store (the default tree alone
 * for any other store), from one point-in-time view; what the CLI reports
 * after a backup or restore. Reads keys only.
 */
export async function countAllTrees(store: KvStore): Promise<number> {
  const s = rootState(store);
  if (!s) return await store.count();
  s.check("count", false);
  const view = await s.lock.run(() => s.pin());
  try {
    let n = 0;
    const now = Date.now();
    const lo = new Uint8Array([RAW_USER_LO]);
    const hi = new Uint8Array([RAW_USER_HI]);
    for await (const [, head] of view.scan(lo, hi, { keysOnly: true })) {
      if (!storedIsExpired(head, now)) n++;
    }
    return n;
  } catch (err) {
    throw toStoreError(err, `count keys in store at ${s.engine.path}`);
  } finally {
    view.release();
  }
}
