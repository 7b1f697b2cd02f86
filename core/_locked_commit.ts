// Private to core: a commit computed under the store's commit lock from reads made there, for
// core's own layers (the Deno KV API). Under the lock the engine has caught up with every other
// opener's commits and keeps them out until the commit is applied, so a read there is the
// current state and a write computed from it cannot be lost: a read-modify-write without a
// transaction (no snapshot, no conflict log, no retries) — what Deno KV's own backend does.
import { checkKey, checkValue } from "./bytes.ts";
import { handleState } from "./engine_store.ts";
import type { RawOp } from "./engine.ts";
import { joinKey } from "./keyspace.ts";
import type { KvStore } from "./kv.ts";
import { encodeStoredInto, liveValue, storedHeaderBytes } from "./ttl.ts";
import { carve } from "./_slab.ts";

/** One write of a locked commit (keys of the store's tree); `value` undefined deletes. */
export interface LockedWrite {
  key: Uint8Array;
  value: Uint8Array | undefined;
  /** The engine's deadline (epoch ms) for the entry, as `putWithTtl` sets it. */
  expiresAt?: number | undefined;
}

/** Reads the live value of a key of the store's tree, under the commit lock. */
export type LockedRead = (key: Uint8Array) => Uint8Array | undefined;

/**
 * Runs `build` under the commit lock and applies the writes it returns, then resolves (the
 * commit is visible) with `durable`, which makes it durable.
 */
export type LockedCommit = <T>(
  build: (read: LockedRead) => Promise<{ writes: LockedWrite[]; result: T }>,
) => Promise<{ result: T; durable: () => Promise<void> }>;

/**
 * A {@link LockedCommit} over `store`; undefined unless it is an EngineStore handle whose engine
 * reads synchronously and needs no per-key version checks across processes (the B-tree and LSM
 * engines; the Deno KV engine checks versions, so it is used through transactions).
 */
export function lockedCommitOf(store: KvStore): LockedCommit | undefined {
  const h = handleState(store);
  if (h === undefined) return undefined;
  const s = h.shared;
  if (!s.engine.syncReads || s.engine.version !== undefined) return undefined;
  const prefix = h.prefix;
  const op = "commit";
  return async <T>(build: (read: LockedRead) => Promise<{ writes: LockedWrite[]; result: T }>) => {
    h.check(op, true);
    let result: T | undefined;
    await s.commitApplied(op, async () => {
      const now = Date.now();
      const read: LockedRead = (key) => {
        const stored = s.engine.get(joinKey(prefix, key)) as Uint8Array | undefined;
        return stored === undefined ? undefined : liveValue(stored, now);
      };
      const built = await build(read);
      result = built.result;
      const ops: RawOp[] = new Array(built.writes.length);
      for (let i = 0; i < ops.length; i++) {
        const w = built.writes[i]!;
        const k = checkKey(w.key, op);
        const raw = carve(prefix.length + k.length);
        raw.set(prefix);
        raw.set(k, prefix.length);
        if (w.value === undefined) ops[i] = { key: raw, value: undefined };
        else {
          const v = checkValue(w.value, op);
          const stored = carve(storedHeaderBytes(w.expiresAt) + v.length);
          ops[i] = {
            key: raw,
            value: encodeStoredInto(stored, v, w.expiresAt),
            expiresAt: w.expiresAt,
          };
        }
      }
      return ops;
    });
    return { result: result as T, durable: () => s.durable(op) };
  };
}
