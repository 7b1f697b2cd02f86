// Point-in-time restore from a replica into a new store on disk.
import type { StoreKind } from "../core/config.ts";
import { StoreError, toStoreError } from "../core/error.ts";
import { replicationSink } from "../core/_replication.ts";
import { destroy, openWith } from "../mod.ts";
import { checkTarget, type ReplicaTarget, where } from "./_layout.ts";
import { fetchCommits, fetchSnapshot, planRestore } from "./_plan.ts";

/** Options of {@link restoreReplica}. */
export interface RestoreReplicaOptions {
  /** Restore the state after the newest commit at or before this moment (default: the newest). */
  at?: Date;
  /** The engine of the restored store (default `"btree"`; any engine reads any replica). */
  kind?: StoreKind;
}

/**
 * Rebuilds the replica's state at a moment as a new store at `path`: the
 * newest snapshot at or before `at`, then every commit stamped at or before
 * it. Every piece is read and checksum-checked before the store is written;
 * the store is built beside `path` and renamed into place, so a failure
 * (`Corruption` for a damaged upload, `NotFound` for a moment older than the
 * retention) leaves nothing at `path`. `AlreadyExists` if `path` exists.
 *
 * @example
 * ```ts
 * import { open, openInMemory } from "@cooljapan/oxistore";
 * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
 * import { replicate, restoreReplica } from "@cooljapan/oxistore/replica";
 * const target = { store: new MemoryBlobStore(), prefix: "app" };
 * const primary = await openInMemory("lsm");
 * const rep = await replicate(primary, target);
 * await primary.put("k", "v");
 * await rep.flush();
 * await rep.stop();
 * await primary.close();
 * const dir = await Deno.makeTempDir();
 * await restoreReplica(target, `${dir}/copy.oxi`);
 * await using copy = await open(`${dir}/copy.oxi`);
 * if (new TextDecoder().decode(await copy.get("k")) !== "v") throw new Error("restored");
 * ```
 */
export async function restoreReplica(
  target: ReplicaTarget,
  path: string,
  options: RestoreReplicaOptions = {},
): Promise<void> {
  const t = checkTarget(target, "restore replica");
  if (typeof path !== "string" || path === "") {
    throw new StoreError("InvalidInput", `Cannot restore ${where(t)}: expected a non-empty path`);
  }
  const op = `restore ${where(t)} to ${path}`;
  const at = options.at;
  if (at !== undefined && !(at instanceof Date && Number.isFinite(at.getTime()))) {
    throw new StoreError("InvalidInput", `Cannot ${op}: at must be a valid Date`);
  }
  const kind = options.kind ?? "btree";
  if (await Deno.lstat(path).then(() => true, () => false)) {
    throw new StoreError("AlreadyExists", `Cannot ${op}: something already exists there`);
  }
  const plan = await planRestore(t, at?.getTime() ?? Infinity).catch((e) => {
    throw toStoreError(e, op);
  });
  let entries, commits;
  try {
    entries = await fetchSnapshot(t, plan.snapshot);
    commits = await fetchCommits(t, plan.segments, plan.snapshot.seq, plan.atMs);
  } catch (err) {
    throw toStoreError(err, op);
  }
  const tmp = `${path}.restoring-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const store = await openWith(kind, tmp);
    try {
      const sink = replicationSink(store, op);
      // A new store nobody reads yet: big commits load faster (Deno KV keeps
      // restore's small ones, under its atomic-commit limits).
      await sink.replaceAll(entries, kind === "denokv" ? {} : { batchOps: 4096 });
      for (const c of commits) await sink.apply(c.ops);
      await sink.sync();
    } finally {
      await store.close();
    }
    await Deno.rename(tmp, path);
    // An engine's side files (lock and reader-slot files) stay behind under
    // the temp name; the store is closed, so they can go.
    await destroy(kind, tmp).catch(() => {});
  } catch (err) {
    await destroy(kind, tmp).catch(() => {});
    throw toStoreError(err, op);
  }
}
