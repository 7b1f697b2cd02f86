/**
 * The Deno KV API over every oxistore engine: code written for `Deno.openKv` runs unchanged
 * on the B-tree, LSM and Deno KV engines, on disk or in memory. Switching is one import:
 * `import { openKv } from "@cooljapan/oxistore/deno-kv"` and `openKv(path)` where the code
 * said `Deno.openKv(path)`. Keys order, versionstamps, `atomic()` checks, `sum`/`min`/`max`,
 * `expireIn`, `list` cursors, `watch` and durable queues behave as Deno KV's (the tests run the
 * same programs against `Deno.openKv` and compare). Where oxistore differs, docs/deno_kv.md
 * says so.
 *
 * @example
 * ```ts
 * import { openKv } from "@cooljapan/oxistore/deno-kv";
 * await using kv = await openKv();
 * const user = await kv.get<{ name: string }>(["users", 1]);
 * const r = await kv.atomic().check(user).set(["users", 1], { name: "Ada" })
 *   .sum(["stats", "renames"], 1n).commit();
 * if (!r.ok) throw new Error("the check should hold");
 * ```
 *
 * @module
 */
export { openKv, type OpenKvOptions } from "./open_kv.ts";
export { Kv, type KvRuntime } from "./kv.ts";
export { KvU64 } from "./kv_u64.ts";
export { AtomicOperation } from "./atomic_operation.ts";
export { KvListIterator } from "./kv_list_iterator.ts";
export { exportDenoKv, importDenoKv } from "./import_export.ts";
export type {
  AtomicCheck,
  KvCommitError,
  KvCommitResult,
  KvConsistencyLevel,
  KvEnqueueOptions,
  KvEntry,
  KvEntryMaybe,
  KvKey,
  KvKeyPart,
  KvListOptions,
  KvListSelector,
  KvMutation,
} from "./types.ts";
