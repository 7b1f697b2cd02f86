/**
 * Continuous replicas of a B-tree or LSM store on any blob store (S3, GCS,
 * Azure, local files, memory): {@link replicate} streams every commit, in
 * order, as checksummed segments after a snapshot; {@link restoreReplica}
 * rebuilds the state at any moment within the retention; {@link openReplica}
 * follows a replica read-only from another process or machine. The format
 * and the guarantees are in docs/replica.md.
 *
 * @example
 * ```ts
 * import { openInMemory } from "@cooljapan/oxistore";
 * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
 * import { openReplica, replicate } from "@cooljapan/oxistore/replica";
 * const target = { store: new MemoryBlobStore(), prefix: "replicas/app" };
 * await using store = await openInMemory();
 * const rep = await replicate(store, target, { intervalMs: 50 });
 * await store.put("user/1", "ada");
 * await rep.flush();
 * await using follower = await openReplica(target);
 * if (!(await follower.contains("user/1"))) throw new Error("the follower has the commit");
 * await rep.stop();
 * ```
 *
 * @module
 */
export type { ReplicaTarget } from "./_layout.ts";
export {
  replicate,
  type ReplicateOptions,
  type Replication,
  type ReplicationLag,
} from "./replicate.ts";
export { restoreReplica, type RestoreReplicaOptions } from "./restore_replica.ts";
export { openReplica, type OpenReplicaOptions } from "./open_replica.ts";
