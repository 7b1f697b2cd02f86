// Private: applies one atomic operation to the underlying store: checks, mutations and enqueues
// in one optimistic transaction that also bumps the durable commit counter, so every commit
// gets the next versionstamp and concurrent committers (other processes) conflict and retry.
import { StoreError } from "../../core/error.ts";
import type { KvStore } from "../../core/kv.ts";
import { Mutex } from "../../core/mutex.ts";
import { txnCommitApplied, txnPutExpiring } from "../../core/_txn.ts";
import { type LockedCommit, lockedCommitOf, type LockedWrite } from "../../core/_locked_commit.ts";
import { keyId } from "../../core/_key_id.ts";
import { decodeValue, encodeU64, encodeValue, u64Of } from "./_value_codec.ts";
import { wrappingAdd } from "./kv_u64.ts";
import {
  concat,
  COUNTER_KEY,
  encodeRecord,
  QUEUE_READY_PREFIX,
  readU64,
  recordIsLive,
  recordValue,
  recordVersionstamp,
  sealRecord,
  u64be,
  versionstampBytes,
  versionstampText,
  writeU64,
} from "./_record.ts";
import { encodeQueueMessage } from "./_queue_message.ts";
import { stampKey } from "./_key_codec.ts";

/** A check with its key encoded. */
export interface PreparedCheck {
  key: Uint8Array;
  versionstamp: string | null;
}
/** A mutation with its key and value encoded. */
export type PreparedMutation =
  | {
    type: "set";
    key: Uint8Array;
    value: Uint8Array;
    expireIn: number | undefined;
    /** The key ends with the commit's versionstamp (`commitVersionstamp()`): add it. */
    stamped?: boolean;
    /** `value` has `RECORD_ROOM` free bytes in front: the record is made in place. */
    roomy?: boolean;
  }
  | { type: "delete"; key: Uint8Array }
  | { type: "sum" | "min" | "max"; key: Uint8Array; operand: bigint }
  | { type: "sumPlain"; key: Uint8Array; operand: bigint | number }
  | { type: "fail"; key: Uint8Array; message: string };
/** An enqueue with its message encoded. */
export interface PreparedEnqueue {
  value: Uint8Array;
  delay: number;
  keysIfUndelivered: Uint8Array[];
  backoffSchedule: number[];
}

/** What a commit changed, for watchers and the queue in this process. */
export interface CommitNotice {
  keys: Uint8Array[];
  enqueued: boolean;
}

const MAX_CONFLICT_RETRIES = 100;
/** At most this many applied commits wait for a later one's sync (a steady stream still syncs). */
const MAX_DEFERRED_SYNCS = 256;

/** Reads and writes of one commit: a transaction's, or those of a commit under the lock. */
interface Access {
  get(key: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** `expiresAt`: the engine's deadline for the entry (epoch ms), when it expires. */
  put(key: Uint8Array, value: Uint8Array, expiresAt: number | undefined): void | Promise<void>;
  delete(key: Uint8Array): void | Promise<void>;
}

/** A commit applied, not yet known durable. */
interface Applied {
  vs: string;
  durable: () => Promise<void>;
  failure: TypeError | undefined;
  applied: PreparedMutation[];
  stamped: Uint8Array[];
}

/** Serialises this process's commits (they would only conflict) and retries other processes' conflicts. */
export class Committer {
  readonly #store: KvStore;
  readonly #mutex = new Mutex();
  readonly #listeners = new Set<(n: CommitNotice) => void>();
  #stampedKeys: Uint8Array[] = [];
  /** Commits called and not yet applied (or failed). */
  #queued = 0;
  /** Applied commits waiting for the sync of a later one. */
  #deferred: { sync: () => Promise<void>; resolve: () => void; reject: (e: unknown) => void }[] =
    [];
  /** How many mutations the last commit applied, and the error that stopped the rest. */
  #applied = 0;
  #failure: TypeError | undefined;

  /** Commits under the store's lock, where the store allows them (see `_locked_commit.ts`). */
  readonly #locked: LockedCommit | undefined;

  constructor(store: KvStore) {
    this.#store = store;
    this.#locked = lockedCommitOf(store);
  }

  /** Calls `fn` after each commit of this process; returns the unsubscribe function. */
  onCommit(fn: (n: CommitNotice) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * The new versionstamp, or null when a check failed. This process's commits take turns until
   * each is applied (they would only conflict on the counter), then wait for durability apart:
   * a commit with another queued behind it leaves the sync to that one (group commit).
   */
  async commit(
    checks: PreparedCheck[],
    mutations: PreparedMutation[],
    enqueues: PreparedEnqueue[],
  ): Promise<string | null> {
    this.#queued++;
    let done: Applied | null;
    try {
      done = await this.#mutex.run(async () => {
        for (let attempt = 0;; attempt++) {
          try {
            const r = await this.#attempt(checks, mutations, enqueues);
            if (r === null) return null;
            const failure = this.#failure;
            const applied = mutations.slice(0, this.#applied);
            return { ...r, failure, applied, stamped: this.#stampedKeys };
          } catch (err) {
            if (
              !(err instanceof StoreError && err.kind === "TxnConflict") ||
              attempt >= MAX_CONFLICT_RETRIES
            ) throw err;
            await new Promise((r) => setTimeout(r, Math.min(50, 1 + attempt * Math.random())));
          }
        }
      });
    } catch (err) {
      this.#queued--;
      await this.#flushDeferred();
      throw err;
    }
    this.#queued--;
    if (done === null) {
      await this.#flushDeferred();
      return null;
    }
    await this.#durable(done.durable);
    this.#notify(done.applied, done.stamped, done.failure ? [] : enqueues);
    // As Deno KV: the mutations before a failing one are committed, then it throws.
    if (done.failure !== undefined) throw done.failure;
    return done.vs;
  }

  /** Makes an applied commit durable: now, or with the sync of the commit queued behind it. */
  #durable(sync: () => Promise<void>): Promise<void> {
    if (this.#queued > 0 && this.#deferred.length < MAX_DEFERRED_SYNCS) {
      return new Promise((resolve, reject) => this.#deferred.push({ sync, resolve, reject }));
    }
    const waiting = this.#deferred;
    this.#deferred = [];
    return sync().then(
      () => waiting.forEach((w) => w.resolve()),
      (err) => {
        waiting.forEach((w) => w.reject(err));
        throw err;
      },
    );
  }

  /** A commit that wrote nothing (or failed) was the last one queued: sync the deferred ones. */
  async #flushDeferred(): Promise<void> {
    if (this.#queued > 0 || this.#deferred.length === 0) return;
    const last = this.#deferred[this.#deferred.length - 1]!;
    await this.#durable(last.sync).catch(() => {
      // the deferred commits' callers get the error
    });
  }

  /** One try through a transaction (any store): its conflicts are retried by the caller. */
  async #attempt(
    checks: PreparedCheck[],
    mutations: PreparedMutation[],
    enqueues: PreparedEnqueue[],
  ): Promise<{ vs: string; durable: () => Promise<void> } | null> {
    if (this.#locked !== undefined) {
      return this.#lockedAttempt(this.#locked, checks, mutations, enqueues);
    }
    const txn = await this.#store.transaction();
    let done = false;
    try {
      const expiring: [Uint8Array, number][] = [];
      const access: Access = {
        get: (key) => txn.get(key),
        put: async (key, value, expiresAt) => {
          if (expiresAt === undefined) return txn.put(key, value);
          if (await txnPutExpiring(txn, key, value, expiresAt)) return;
          await txn.put(key, value);
          expiring.push([key, expiresAt]);
        },
        delete: (key) => txn.delete(key),
      };
      const vs = await this.#body(access, checks, mutations, enqueues);
      if (vs === null) return null;
      done = true;
      let { durable } = await txnCommitApplied(txn);
      // Over a store whose transactions cannot carry a TTL (a layer's), the TTL is set after.
      if (expiring.length > 0) {
        await durable();
        for (const [key, at] of expiring) {
          await this.#store.expire(key, Math.max(1, at - Date.now()));
        }
        durable = () => Promise.resolve();
      }
      return { vs, durable };
    } finally {
      if (!done) {
        try {
          await txn.rollback();
        } catch {
          // nothing to drop
        }
      }
    }
  }

  /** One commit computed under the store's commit lock (B-tree, LSM): it cannot conflict. */
  async #lockedAttempt(
    locked: LockedCommit,
    checks: PreparedCheck[],
    mutations: PreparedMutation[],
    enqueues: PreparedEnqueue[],
  ): Promise<{ vs: string; durable: () => Promise<void> } | null> {
    const { result, durable } = await locked(async (read) => {
      // This commit's own writes, read back by its later mutations (a sum after a set).
      const writes = new Map<string, LockedWrite>();
      const access: Access = {
        get: (key) => {
          const w = writes.get(keyId(key));
          return w !== undefined ? w.value : read(key);
        },
        put: (key, value, expiresAt) => {
          writes.set(keyId(key), { key, value, expiresAt });
        },
        delete: (key) => {
          writes.set(keyId(key), { key, value: undefined });
        },
      };
      const vs = await this.#body(access, checks, mutations, enqueues);
      return { writes: vs === null ? [] : [...writes.values()], result: vs };
    });
    return result === null ? null : { vs: result, durable };
  }

  /**
   * Checks, the counter, the mutations and the enqueues of one commit through `a`; the new
   * versionstamp, or null when a check failed (nothing written).
   */
  async #body(
    a: Access,
    checks: PreparedCheck[],
    mutations: PreparedMutation[],
    enqueues: PreparedEnqueue[],
  ): Promise<string | null> {
    this.#applied = 0;
    this.#failure = undefined;
    this.#stampedKeys = [];
    const now = Date.now();
    for (const c of checks) {
      const rec = await a.get(c.key);
      const current = rec !== undefined && recordIsLive(rec, now) ? recordVersionstamp(rec) : null;
      if (current !== c.versionstamp) return null;
    }
    const counter = await a.get(COUNTER_KEY);
    const version = (counter === undefined ? 0 : readU64(counter)) + 1;
    const vs = versionstampBytes(version);
    const written: Uint8Array[] = [];
    for (const m of mutations) {
      try {
        await this.#apply(a, m, vs, now, written);
      } catch (err) {
        if (!(err instanceof TypeError)) throw err;
        this.#failure = err;
        break;
      }
      this.#applied++;
    }
    for (let i = 0; i < enqueues.length && this.#failure === undefined; i++) {
      const e = enqueues[i]!;
      const id = versionstampBytes(version);
      new DataView(id.buffer).setUint16(8, i);
      await a.put(
        concat(QUEUE_READY_PREFIX, u64be(now + e.delay), id),
        encodeQueueMessage({ ...e, attempt: 0 }),
        undefined,
      );
    }
    const next = new Uint8Array(8);
    writeU64(next, version);
    await a.put(COUNTER_KEY, next, undefined);
    this.#stampedKeys = written;
    return versionstampText(vs);
  }

  /** Applies one mutation through `a`; a `TypeError` stops the commit's later ones. */
  async #apply(
    a: Access,
    m: PreparedMutation,
    vs: Uint8Array,
    now: number,
    written: Uint8Array[],
  ): Promise<void> {
    if (m.type === "delete") {
      await a.delete(m.key);
    } else if (m.type === "set") {
      const expiresAt = m.expireIn === undefined ? undefined : now + m.expireIn;
      const key = m.stamped ? stampKey(m.key, versionstampText(vs)) : m.key;
      const rec = m.roomy
        ? sealRecord(m.value, vs, expiresAt)
        : encodeRecord(vs, expiresAt, m.value);
      // The engine's own TTL reclaims the space; reads already treat the record as gone.
      await a.put(key, rec, expiresAt);
      if (m.stamped) {
        written.push(key);
      }
    } else if (m.type === "fail") {
      throw new TypeError(m.message);
    } else if (m.type === "sumPlain") {
      const rec = await a.get(m.key);
      const live = rec !== undefined && recordIsLive(rec, now) ? recordValue(rec) : undefined;
      await a.put(m.key, encodeRecord(vs, undefined, plainSum(live, m.operand)), undefined);
    } else {
      const rec = await a.get(m.key);
      const live = rec !== undefined && recordIsLive(rec, now) ? recordValue(rec) : undefined;
      let next = m.operand;
      if (live !== undefined) {
        const current = u64Of(live);
        if (current === undefined) {
          throw new TypeError(
            `Failed to perform '${m.type}' mutation on a non-U64 value in the database`,
          );
        }
        next = m.type === "sum"
          ? wrappingAdd(current, m.operand)
          : m.type === "min"
          ? (current < m.operand ? current : m.operand)
          : (current > m.operand ? current : m.operand);
      }
      await a.put(m.key, encodeRecord(vs, undefined, encodeU64(next)), undefined);
    }
  }

  #notify(mutations: PreparedMutation[], stamped: Uint8Array[], enqueues: PreparedEnqueue[]): void {
    if (this.#listeners.size === 0) return;
    const keys = [...mutations.filter((m) => !("stamped" in m && m.stamped)).map((m) => m.key)];
    const notice = { keys: [...keys, ...stamped], enqueued: enqueues.length > 0 };
    for (const fn of this.#listeners) fn(notice);
  }
}

const typeName = (v: unknown) =>
  typeof v === "bigint" ? "BigInt" : typeof v === "number" ? "Number" : "KvU64";

/** Deno KV's `sum` of a plain number or bigint operand (mutate form): as it answers, case by case. */
function plainSum(current: Uint8Array | undefined, operand: bigint | number): Uint8Array {
  if (current === undefined) return encodeValue(operand);
  const u64 = u64Of(current);
  if (u64 !== undefined) {
    if (typeof operand === "bigint") {
      return encodeU64(wrappingAdd(u64, BigInt.asUintN(64, operand)));
    }
    throw new TypeError(`Cannot sum KvU64 with Number`);
  }
  const value = decodeValue(current);
  if (typeof value === "bigint" || typeof value === "number") {
    if (typeof value !== typeof operand) {
      throw new TypeError(`Cannot sum ${typeName(value)} with ${typeName(operand)}`);
    }
    return encodeValue((value as number) + (operand as number));
  }
  throw new TypeError("unsupported value type");
}
