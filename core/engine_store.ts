/**
 * {@link EngineStore}: the whole KvStore contract over a small
 * {@link RawEngine}. TTLs, input checks, metrics, watch, named trees, merge,
 * CAS, optimistic transactions, snapshots and the portable backup live here
 * once, so every engine behaves the same.
 *
 * @module
 */
import { type Bytes, type BytesLike, checkKey, checkValue, equalBytes, toBytes } from "./bytes.ts";
import type { StoreKind, StoreMetrics } from "./config.ts";
import type { RawEngine, RawEntry, RawOp, RawReader, RawScanOptions } from "./engine.ts";
import { StoreError } from "./error.ts";
import { joinKey, RAW_USER_HI, RAW_USER_LO, treePrefix } from "./keyspace.ts";
import type {
  KeysIter,
  KvChange,
  KvEntry,
  KvSnapshot,
  KvStore,
  KvTxn,
  RangeIter,
  RangeOptions,
} from "./kv.ts";
import { checkTtl, decodeStored, liveValue, storedExpiry, storedIsExpired } from "./ttl.ts";
import {
  type BackupSource,
  type BackupTarget,
  checkBackupLocation,
  describeBackup,
  readBackup,
  verifyBackup,
  writeBackup,
} from "./backup_format.ts";
import {
  type EngineStoreOptions,
  packedPutOps,
  prefixBounds,
  putOp,
  rawBounds,
  RESTORE_BATCH_OPS,
  scanLive,
  type ScanSource,
  Shared,
} from "./_shared.ts";
import { Snapshot } from "./_snapshot.ts";
import { Txn } from "./_txn.ts";
import { noSyncReads, pinnedSync, scanLiveSync } from "./_sync_reads.ts";

export type { EngineStoreOptions } from "./_shared.ts";

/**
 * A view pinned when a scan starts, so a store-level scan sees one point in
 * time (a batch committed mid-scan is all or nothing to it) on every engine.
 * The pin is released when the scan ends or returns; an iterator abandoned
 * without `return()` keeps it until the store closes.
 */
async function pinned(
  s: Shared,
  lo: Uint8Array | undefined,
  hi: Uint8Array | undefined,
  opts: RawScanOptions,
): Promise<ScanSource> {
  const view = await s.lock.run(() => s.pin());
  return { entries: view.scan(lo, hi, opts), release: () => view.release() };
}

/** The shared state of every root handle, for core's own {@link rootState}. */
const roots = new WeakMap<object, Shared>();

/**
 * The shared state behind a root EngineStore handle; undefined for tree
 * handles and for any other store (a layer, a user's own KvStore). Private to
 * core: migrate copies every tree's raw records through it.
 */
export function rootState(store: unknown): Shared | undefined {
  return typeof store === "object" && store !== null ? roots.get(store) : undefined;
}

/** Every handle's shared state, tree prefix and open check, for core's own {@link handleState}. */
const handles = new WeakMap<object, HandleState>();

/** What core's own layers may use of a handle (see `_locked_commit.ts`). */
export interface HandleState {
  shared: Shared;
  prefix: Uint8Array;
  /** Throws `Closed` / `ReadOnly` as the handle's own operations do. */
  check(op: string, write: boolean): void;
}

/** The state behind any EngineStore handle (root or tree); undefined for any other store. */
export function handleState(store: unknown): HandleState | undefined {
  return typeof store === "object" && store !== null ? handles.get(store) : undefined;
}

/** What `tree()` hands the constructor instead of an engine. */
class TreeSeed {
  constructor(readonly shared: Shared, readonly name: string) {}
}

/**
 * The KvStore contract over a {@link RawEngine}. Engines construct one with
 * `new EngineStore(engine, { kind })`; `tree(name)` gives handles that share
 * the engine.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { openInMemory } from "@cooljapan/oxistore";
 * await using store = await openInMemory("denokv");
 * await store.put("a", "1");
 * strictEqual(new TextDecoder().decode(await store.get("a")), "1");
 * ```
 */
export class EngineStore implements KvStore {
  readonly #s: Shared;
  readonly #prefix: Uint8Array;
  readonly #isRoot: boolean;
  #handleClosed = false;
  /** Reused point-read key buffers by key length (see RawEngine.syncReads). */
  readonly #scratch: (Uint8Array | undefined)[] = [];

  /**
   * @param engine the raw engine this store owns (closed with the store)
   * @param opts kind, durability, read-only and merge operator
   */
  constructor(engine: RawEngine, opts: EngineStoreOptions) {
    if (engine instanceof TreeSeed) {
      this.#s = engine.shared;
      this.#prefix = treePrefix(engine.name);
      this.#isRoot = false;
    } else {
      this.#s = new Shared(engine, opts);
      this.#prefix = treePrefix();
      this.#isRoot = true;
      roots.set(this, this.#s);
    }
    handles.set(this, {
      shared: this.#s,
      prefix: this.#prefix,
      check: (op, write) => this.#check(op, write),
    });
  }

  /** Which engine runs this store. */
  get kind(): StoreKind {
    return this.#s.kind;
  }

  /** Where the store lives (":memory:" in memory). */
  get path(): string {
    return this.#s.engine.path;
  }

  #check(op: string, write = false): void {
    if (this.#handleClosed) {
      throw new StoreError(
        "Closed",
        `Cannot ${op} in store at ${this.#s.engine.path}: the store is closed`,
      );
    }
    this.#s.check(op, write);
  }

  /** A checked key of this tree as a raw key; a bad key names `op` and the path. */
  #raw(key: BytesLike, op: string): Uint8Array {
    try {
      return joinKey(this.#prefix, checkKey(key, op));
    } catch (err) {
      throw this.#s.fail(op, err);
    }
  }
  /** `prefix ‖ key` in a reused buffer, for engines with `syncReads`. */
  #scratchKey(key: BytesLike, op = "get"): Uint8Array {
    let k: Uint8Array;
    try {
      k = checkKey(key, op);
    } catch (err) {
      throw this.#s.fail(op, err);
    }
    const p = this.#prefix.length;
    let buf = this.#scratch[k.length];
    if (buf === undefined) {
      buf = new Uint8Array(p + k.length);
      buf.set(this.#prefix);
      this.#scratch[k.length] = buf;
    }
    for (let i = 0; i < k.length; i++) buf[p + i] = k[i]!;
    return buf;
  }

  /** The value, or undefined if absent or expired. */
  async get(key: BytesLike): Promise<Bytes | undefined> {
    this.#check("get");
    const raw = this.#s.engine.syncReads ? this.#scratchKey(key) : this.#raw(key, "get");
    const s = this.#s;
    let value: Uint8Array | undefined;
    try {
      const got = s.engine.get(raw);
      const stored = got instanceof Promise ? await got : got; // sync engines skip a hop
      value = stored === undefined ? undefined : liveValue(stored);
    } catch (err) {
      throw s.fail("get", err);
    }
    s.metrics.reads++;
    if (value !== undefined) s.metrics.bytesRead += value.length;
    return value;
  }

  /**
   * The value, or undefined if absent or expired, answered synchronously;
   * `Unsupported` on engines without synchronous reads (Deno KV). The
   * engine's read catches up with other openers' commits first, as `get`.
   */
  getSync(key: BytesLike): Bytes | undefined {
    this.#check("getSync");
    const s = this.#s;
    if (!s.engine.syncReads) throw noSyncReads(s, "getSync", "get");
    const raw = this.#scratchKey(key, "getSync");
    let value: Uint8Array | undefined;
    try {
      const stored = s.engine.get(raw);
      if (stored instanceof Promise) {
        stored.catch(() => {}); // an engine that broke its syncReads promise
        throw noSyncReads(s, "getSync", "get");
      }
      value = stored === undefined ? undefined : liveValue(stored);
    } catch (err) {
      throw s.fail("getSync", err);
    }
    s.metrics.reads++;
    if (value !== undefined) s.metrics.bytesRead += value.length;
    return value;
  }

  /**
   * Entries in `[lo, hi)` as a synchronous iterator over one pinned view;
   * `Unsupported` on engines without synchronous reads (Deno KV).
   */
  rangeSync(lo?: BytesLike, hi?: BytesLike, opts?: RangeOptions): IterableIterator<KvEntry> {
    this.#check("rangeSync");
    const s = this.#s;
    if (!s.engine.syncReads) throw noSyncReads(s, "rangeSync", "range");
    const bounds = s.locate("rangeSync", () => rawBounds(this.#prefix, lo, hi));
    const source = bounds &&
      ((o: RawScanOptions) => pinnedSync(s, bounds[0], bounds[1], o));
    return scanLiveSync(
      s,
      "rangeSync",
      "range",
      this.#prefix.length,
      opts,
      source,
      () => this.#check("rangeSync"),
    );
  }

  /** True when present and not expired. */
  async contains(key: BytesLike): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /** Values in input order. */
  async getMany(keys: BytesLike[]): Promise<(Bytes | undefined)[]> {
    this.#check("getMany");
    if (!Array.isArray(keys)) {
      throw this.#s.fail("getMany", invalid("keys must be an array"));
    }
    const out: (Bytes | undefined)[] = [];
    for (const k of keys) out.push(await this.get(k));
    return out;
  }

  /** Insert or overwrite; clears any TTL. */
  async put(key: BytesLike, value: BytesLike): Promise<void> {
    this.#check("put", true);
    const op = putOp(this.#raw(key, "put"), this.#s.locate("put", () => checkValue(value, "put")));
    await this.#s.commit("put", () => [op]);
  }

  /** Remove; no-op when absent. */
  async delete(key: BytesLike): Promise<void> {
    this.#check("delete", true);
    const raw = this.#raw(key, "delete");
    await this.#s.commit("delete", () => [{ key: raw, value: undefined }]);
  }

  /** Writes all pairs or none. */
  async batchWrite(pairs: [BytesLike, BytesLike][]): Promise<void> {
    this.#check("batchWrite", true);
    if (!Array.isArray(pairs)) {
      throw this.#s.fail("batchWrite", invalid("pairs must be an array of [key, value]"));
    }
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    for (const p of pairs) {
      if (!Array.isArray(p) || p.length !== 2) {
        throw this.#s.fail("batchWrite", invalid("each pair must be [key, value]"));
      }
      keys.push(this.#s.locate("batchWrite", () => checkKey(p[0], "batchWrite")));
      values.push(this.#s.locate("batchWrite", () => checkValue(p[1], "batchWrite")));
    }
    const ops = packedPutOps(this.#prefix, keys, values);
    await this.#s.commit("batchWrite", () => ops);
  }

  /** Deletes all keys or none. */
  async batchDelete(keys: BytesLike[]): Promise<void> {
    this.#check("batchDelete", true);
    if (!Array.isArray(keys)) {
      throw this.#s.fail("batchDelete", invalid("keys must be an array"));
    }
    const ops = keys.map((k) => ({ key: this.#raw(k, "batchDelete"), value: undefined }));
    await this.#s.commit("batchDelete", () => ops);
  }

  #scan(
    op: string,
    boundsOf: () => [Uint8Array, Uint8Array | undefined] | undefined,
    opts: RangeOptions | undefined,
  ): RangeIter {
    this.#check(op);
    const s = this.#s;
    const bounds = s.locate(op, boundsOf);
    const source = bounds &&
      ((o: RawScanOptions) => pinned(s, bounds[0], bounds[1], o));
    return scanLive(this.#s, op, this.#prefix.length, opts, source, () => this.#check(op));
  }

  /** Entries in `[lo, hi)`. */
  range(lo?: BytesLike, hi?: BytesLike, opts?: RangeOptions): RangeIter {
    return this.#scan("range", () => rawBounds(this.#prefix, lo, hi), opts);
  }

  /** Entries in `[lo, hi)`, descending. */
  rangeRev(lo?: BytesLike, hi?: BytesLike): RangeIter {
    return this.#scan("rangeRev", () => rawBounds(this.#prefix, lo, hi), {
      reverse: true,
    });
  }

  /** Entries whose key starts with `prefix`. */
  prefixScan(prefix: BytesLike, opts?: RangeOptions): RangeIter {
    return this.#scan("prefixScan", () => prefixBounds(this.#prefix, prefix), opts);
  }

  /** Every entry, ascending. */
  iter(): RangeIter {
    return this.range();
  }

  /** Every key (under `prefix` when given), ascending; values are not loaded. */
  keys(prefix?: BytesLike): KeysIter {
    return this.#keys("keys", prefix);
  }

  #keys(op: string, prefix: BytesLike | undefined): KeysIter {
    this.#check(op);
    const s = this.#s;
    const [lo, hi] = s.locate(op, () => prefixBounds(this.#prefix, prefix ?? new Uint8Array()));
    const strip = this.#prefix.length;
    async function* run(): AsyncGenerator<Bytes> {
      let source: ScanSource | undefined;
      try {
        source = await pinned(s, lo, hi, { keysOnly: true });
        const now = Date.now();
        for await (const [key, head] of source.entries) {
          if (!storedIsExpired(head, now)) yield key.subarray(strip);
        }
      } catch (err) {
        throw s.fail(op, err);
      } finally {
        source?.release?.();
      }
    }
    return run();
  }

  /** Live keys (under `prefix` when given). */
  async count(prefix?: BytesLike): Promise<number> {
    let n = 0;
    for await (const _ of this.#keys("count", prefix)) n++;
    return n;
  }

  /** Approximate bytes on disk. */
  async sizeOnDisk(): Promise<number> {
    this.#check("sizeOnDisk");
    try {
      return await this.#s.engine.sizeOnDisk();
    } catch (err) {
      throw this.#s.fail("sizeOnDisk", err);
    }
  }

  /** Atomic swap; `expected === null` means absent, `next === null` deletes. */
  async compareAndSwap(
    key: BytesLike,
    expected: BytesLike | null,
    next: BytesLike | null,
  ): Promise<void> {
    this.#check("compareAndSwap", true);
    const raw = this.#raw(key, "compareAndSwap");
    const s = this.#s;
    const want = expected === null
      ? null
      : s.locate("compareAndSwap", () => toBytes(expected, "expected value"));
    const nextBytes = next === null
      ? null
      : s.locate("compareAndSwap", () => checkValue(next, "compareAndSwap"));
    await s.commit("compareAndSwap", async () => {
      const cur = await s.live(s.engine, raw);
      const curValue = cur === undefined ? null : decodeStored(cur).value;
      const ok = want === null
        ? curValue === null
        : curValue !== null && equalBytes(curValue, want);
      if (!ok) {
        throw new StoreError(
          "CasMismatch",
          `Cannot compareAndSwap in store at ${s.engine.path}: the current value ${
            curValue === null ? "is absent" : "differs from the expected one"
          }`,
        );
      }
      return [nextBytes === null ? { key: raw, value: undefined } : putOp(raw, nextBytes)];
    });
  }

  /** Put that expires after `ttlMs`. */
  async putWithTtl(key: BytesLike, value: BytesLike, ttlMs: number): Promise<void> {
    this.#check("putWithTtl", true);
    this.#s.locate("putWithTtl", () => checkTtl(ttlMs, "putWithTtl"));
    const raw = this.#raw(key, "putWithTtl");
    const v = this.#s.locate("putWithTtl", () => checkValue(value, "putWithTtl"));
    await this.#s.commit("putWithTtl", () => [putOp(raw, v, Date.now() + ttlMs)]);
  }

  /** Sets a TTL on a live key; false if absent. */
  async expire(key: BytesLike, ttlMs: number): Promise<boolean> {
    this.#check("expire", true);
    this.#s.locate("expire", () => checkTtl(ttlMs, "expire"));
    const raw = this.#raw(key, "expire");
    const s = this.#s;
    let found = false;
    await s.commit("expire", async () => {
      const cur = await s.live(s.engine, raw);
      found = cur !== undefined;
      return cur === undefined ? [] : [putOp(raw, decodeStored(cur).value, Date.now() + ttlMs)];
    });
    return found;
  }

  /** Remaining ms, or undefined if absent or without TTL. */
  async ttl(key: BytesLike): Promise<number | undefined> {
    this.#check("ttl");
    const raw = this.#raw(key, "ttl");
    try {
      const cur = await this.#s.live(this.#s.engine, raw);
      const at = cur === undefined ? undefined : storedExpiry(cur);
      return at === undefined ? undefined : Math.max(0, at - Date.now());
    } catch (err) {
      throw this.#s.fail("ttl", err);
    }
  }

  /** Drops a TTL; false if absent or had none. */
  async persist(key: BytesLike): Promise<boolean> {
    this.#check("persist", true);
    const raw = this.#raw(key, "persist");
    const s = this.#s;
    let changed = false;
    await s.commit("persist", async () => {
      const cur = await s.live(s.engine, raw);
      changed = cur !== undefined && storedExpiry(cur) !== undefined;
      return changed ? [putOp(raw, decodeStored(cur!).value)] : [];
    });
    return changed;
  }

  /** Removes expired keys of every tree now; returns how many. */
  async purgeExpired(): Promise<number> {
    this.#check("purgeExpired", true);
    const s = this.#s;
    const expired: Uint8Array[] = [];
    try {
      const now = Date.now();
      const lo = new Uint8Array([RAW_USER_LO]);
      const hi = new Uint8Array([RAW_USER_HI]);
      for await (const [key, head] of s.engine.scan(lo, hi, { keysOnly: true })) {
        if (storedIsExpired(head, now)) expired.push(key.slice());
      }
    } catch (err) {
      throw s.fail("purgeExpired", err);
    }
    let removed = 0;
    for (let i = 0; i < expired.length; i += RESTORE_BATCH_OPS) {
      const part = expired.slice(i, i + RESTORE_BATCH_OPS);
      await s.commit("purgeExpired", async () => {
        const ops: RawOp[] = [];
        const now = Date.now();
        for (const key of part) {
          const cur = await s.engine.get(key); // re-check: it may have been re-put
          if (cur !== undefined && storedIsExpired(cur, now)) ops.push({ key, value: undefined });
        }
        removed += ops.length;
        return ops;
      });
    }
    return removed;
  }

  /** Starts an optimistic transaction over this tree. */
  async transaction(): Promise<KvTxn> {
    this.#check("transaction");
    const s = this.#s;
    const [view, token, seq] = await s.lock.run(() =>
      [s.pin(), s.conflicts.begin(s.seq), s.seq] as const
    );
    return new Txn(s, this.#prefix, view, token, seq);
  }

  /** A point-in-time view of this tree. */
  async snapshot(): Promise<KvSnapshot> {
    this.#check("snapshot");
    const s = this.#s;
    const view = await s.lock.run(() => s.pin());
    return new Snapshot(s, this.#prefix, view);
  }

  /** Everything committed so far is durable on return. */
  async flush(): Promise<void> {
    this.#check("flush");
    try {
      await this.#s.engine.sync();
    } catch (err) {
      throw this.#s.fail("flush", err);
    }
  }

  /** Reclaims space (engine-specific). */
  async compact(): Promise<void> {
    this.#check("compact", true);
    const s = this.#s;
    try {
      await s.lock.run(() => s.engine.compact());
    } catch (err) {
      throw s.fail("compact", err);
    }
  }

  /** Writes a consistent copy of the whole store (every tree) to `path`. */
  async backup(target: BackupTarget): Promise<void> {
    this.#check("backup");
    checkBackupLocation(target, `back up store at ${this.#s.engine.path}`);
    const s = this.#s;
    const view = await s.lock.run(() => s.pin());
    try {
      await writeBackup(target, liveRaw(view));
    } catch (err) {
      throw s.fail(`backup to ${describeBackup(target)}`, err);
    } finally {
      view.release();
    }
  }

  /** Replaces the whole store (every tree) with a backup's contents. */
  async restore(source: BackupSource): Promise<void> {
    this.#check("restore", true);
    checkBackupLocation(source, `restore store at ${this.#s.engine.path}`);
    const s = this.#s;
    try {
      const verified = await verifyBackup(source);
      await s.replaceAll(verified ?? readBackup(source));
    } catch (err) {
      throw s.fail(`restore from ${describeBackup(source)}`, err);
    }
  }

  /** Every committed change under `prefix` in this tree, from now on. */
  watch(prefix: BytesLike): AsyncIterableIterator<KvChange> {
    this.#check("watch");
    return this.#s.hub.subscribe(
      joinKey(this.#prefix, this.#s.locate("watch", () => toBytes(prefix, "prefix"))),
      this.#prefix.length,
    );
  }

  /** A named keyspace in the same store, isolated from the default one. */
  tree(name: string): KvStore {
    this.#check("tree");
    const seed = new TreeSeed(this.#s, name);
    return this.#s.locate(
      "tree",
      () => new EngineStore(seed as unknown as RawEngine, { kind: this.#s.kind }),
    );
  }

  /** `value = mergeOperator(key, old, operand)`, atomically; keeps the key's TTL. */
  async merge(key: BytesLike, operand: BytesLike): Promise<void> {
    this.#check("merge", true);
    const s = this.#s;
    const operator = s.mergeOperator;
    if (!operator) {
      throw new StoreError(
        "Unsupported",
        `Cannot merge in store at ${s.engine.path}: no merge operator; pass StoreConfig.mergeOperator to openConfig`,
      );
    }
    const raw = this.#raw(key, "merge");
    const arg = s.locate("merge", () => checkValue(operand, "merge"));
    const userKey = raw.subarray(this.#prefix.length);
    await s.commit("merge", async () => {
      const cur = await s.live(s.engine, raw);
      const old = cur === undefined ? undefined : decodeStored(cur);
      let next: Bytes | undefined;
      try {
        next = operator(userKey.slice(), old?.value, arg);
      } catch (err) {
        throw new StoreError(
          "Other",
          `Cannot merge in store at ${s.engine.path}: the merge operator threw`,
          {
            cause: err,
          },
        );
      }
      if (next === undefined) return [{ key: raw, value: undefined }];
      if (!(next instanceof Uint8Array)) {
        throw new StoreError(
          "InvalidInput",
          `Cannot merge: the merge operator must return a Uint8Array or undefined`,
        );
      }
      return [putOp(raw, checkValue(next, "merge"), old?.expiresAt)];
    });
  }

  /** Counters since open, shared by every tree of the store. */
  metrics(): StoreMetrics {
    const m = { ...this.#s.metrics };
    const c = this.#s.engine.cacheStats?.();
    if (c) {
      m.cacheHits = c.hits;
      m.cacheMisses = c.misses;
    }
    return m;
  }

  /** Closes the store (a tree handle closes only itself). Idempotent. */
  async close(): Promise<void> {
    if (this.#handleClosed) return;
    this.#handleClosed = true;
    if (!this.#isRoot) return;
    const s = this.#s;
    if (s.closed) return;
    await s.lock.run(async () => {
      s.closed = true;
      s.hub.closeAll();
      for (const hook of s.closeHooks) hook();
      for (const o of [...s.overlays]) o.release();
      try {
        await s.engine.close();
      } catch (err) {
        throw s.fail("close", err);
      }
    });
  }

  /** `await using store = …` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** An `InvalidInput` for a bad argument; the caller locates it (`Shared.fail`). */
function invalid(detail: string): StoreError {
  return new StoreError("InvalidInput", detail);
}

async function* liveRaw(view: RawReader): AsyncGenerator<RawEntry> {
  const now = Date.now();
  const lo = new Uint8Array([RAW_USER_LO]);
  const hi = new Uint8Array([RAW_USER_HI]);
  for await (const e of view.scan(lo, hi)) if (!storedIsExpired(e[1], now)) yield e;
}
