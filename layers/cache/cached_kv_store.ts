/**
 * {@link CachedKvStore}: a read-through, write-through cache in front of any
 * KvStore.
 *
 * @module
 */
import { type Bytes, type BytesLike, checkKey, checkValue, toBytes } from "../../core/bytes.ts";
import type { StoreKind, StoreMetrics } from "../../core/config.ts";
import { StoreError } from "../../core/error.ts";
import type { BackupSource, BackupTarget } from "../../core/backup_format.ts";
import type {
  KeysIter,
  KvChange,
  KvEntry,
  KvSnapshot,
  KvStore,
  KvTxn,
  RangeIter,
  RangeOptions,
} from "../../core/kv.ts";
import type { BaseCache } from "./_base_cache.ts";
import { WriteTracker } from "./_write_tracker.ts";
import { CachedTxn } from "./_cached_txn.ts";
import { idOf, idsOf } from "./_key_id.ts";
import { ArcCache } from "./arc_cache.ts";
import { LruCache } from "./lru_cache.ts";

/** Options of {@link CachedKvStore}. */
export interface CachedKvStoreOptions {
  /** Most keys cached per keyspace (positive and negative lookups both count). */
  maxEntries: number;
  /** Most bytes cached per keyspace (key + value + ~64 bytes per entry). */
  maxBytes?: number;
  /** Replacement policy; default `"lru"`. */
  policy?: "lru" | "arc";
}

/** A cached lookup: `value` undefined caches the key's absence. */
interface Cached {
  value: Bytes | undefined;
  /** When the key's TTL ends (Infinity without one). */
  expiresAt: number;
}

/** The cache and write tracker of one keyspace (the default one or a tree). */
interface Space {
  cache: BaseCache<string, Cached>;
  tracker: WriteTracker;
}

/** What every handle of one cached store shares. */
class Family {
  closed = false;
  /** Reads served from the cache, counted into `reads`/`bytesRead`. */
  hitReads = 0;
  hitBytes = 0;
  /** Whether the inner store reads synchronously; learned on the first `getSync`. */
  syncInner: boolean | undefined;
  readonly spaces = new Map<string, Space>();
  constructor(readonly opts: CachedKvStoreOptions) {}

  space(name: string): Space {
    let s = this.spaces.get(name);
    if (s === undefined) {
      const o = this.opts;
      const copts = {
        maxEntries: o.maxEntries,
        sizeOf: (c: Cached) => (c.value?.length ?? 0) + 64,
        ...(o.maxBytes === undefined ? {} : { maxBytes: o.maxBytes }),
      };
      const cache = o.policy === "arc"
        ? new ArcCache<string, Cached>(copts)
        : new LruCache<string, Cached>(copts);
      s = { cache, tracker: new WriteTracker() };
      this.spaces.set(name, s);
    }
    return s;
  }
}

const ROOT = "\u0000root";

function checkOptions(opts: CachedKvStoreOptions): CachedKvStoreOptions {
  if (opts === null || typeof opts !== "object") {
    throw new StoreError("InvalidInput", "Cannot create CachedKvStore: options object required");
  }
  if (opts.policy !== undefined && opts.policy !== "lru" && opts.policy !== "arc") {
    throw new StoreError(
      "InvalidInput",
      `Cannot create CachedKvStore: policy must be "lru" or "arc", got ${String(opts.policy)}`,
    );
  }
  return { ...opts };
}

/**
 * A read-through, write-through cache over any {@link KvStore}. Point reads
 * (`get`, `getMany`, `contains`) are served from an LRU or ARC cache keyed by
 * the key bytes, including cached absences; every write path (put, delete,
 * batches, CAS, merge, TTL changes, committed transactions, restore)
 * invalidates or refreshes the keys it touched once the inner write is done,
 * and a lookup racing a write never stores the older value. A key with a TTL
 * is cached only until its deadline. Scans, snapshots, transactions' reads and
 * watch go straight to the inner store. `tree(name)` returns a cached handle
 * of the inner tree that shares one cache per tree name. Writes made through
 * other handles of the inner store bypass the cache: write through this one.
 * `metrics()` are the inner store's, plus reads served from the cache in
 * `reads`/`bytesRead`, with `cacheHits`/`cacheMisses` replaced by this
 * layer's counters (summed over its trees).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { CachedKvStore } from "@cooljapan/oxistore/cache";
 * import { openInMemory } from "@cooljapan/oxistore";
 * await using store = new CachedKvStore(await openInMemory("denokv"), { maxEntries: 1000 });
 * await store.put("k", "v");
 * await store.get("k");
 * await store.get("k");
 * const m = store.metrics();
 * strictEqual(m.cacheHits, 2);
 * strictEqual(m.cacheMisses, 0); // the put filled the cache
 * ```
 */
export class CachedKvStore implements KvStore {
  readonly #inner: KvStore;
  #family: Family;
  #space: Space;
  #isRoot = true;
  #closed = false;

  /**
   * Wraps `inner` with an empty cache.
   *
   * @param inner the store to cache (closed with this one)
   * @param opts bounds and policy
   */
  constructor(inner: KvStore, opts: CachedKvStoreOptions) {
    if (inner === null || typeof inner !== "object" || typeof inner.get !== "function") {
      throw new StoreError("InvalidInput", "Cannot create CachedKvStore: inner must be a KvStore");
    }
    this.#inner = inner;
    this.#family = new Family(checkOptions(opts));
    this.#space = this.#family.space(ROOT);
  }

  /** Which engine runs the inner store. */
  get kind(): StoreKind {
    return this.#inner.kind;
  }
  /** Where the inner store lives. */
  get path(): string {
    return this.#inner.path;
  }

  /** `op` with the store it runs in, as every error message says it. */
  #in(op: string): string {
    return `${op} in store at ${this.#inner.path}`;
  }

  /** The wrapped store. */
  get inner(): KvStore {
    return this.#inner;
  }

  #check(op: string): void {
    if (this.#closed || this.#family.closed) {
      throw new StoreError(
        "Closed",
        `Cannot ${this.#in(op)} through the cache: the store is closed`,
      );
    }
  }

  async #load(key: Uint8Array): Promise<Cached> {
    const t0 = Date.now();
    // TTL first: if the key expires between the two calls we see it absent.
    const ttl = await this.#inner.ttl(key);
    const value = await this.#inner.get(key);
    return { value, expiresAt: value === undefined || ttl === undefined ? Infinity : t0 + ttl };
  }

  /** The value, or undefined if absent or expired. */
  async get(key: BytesLike): Promise<Bytes | undefined> {
    this.#check("get");
    const k = checkKey(key, this.#in("get"));
    const id = idOf(k);
    const cache = this.#space.cache;
    let loaded = false;
    const hit = await cache.getOrLoad(id, () => {
      loaded = true;
      return this.#load(k);
    });
    if (hit.expiresAt <= Date.now()) {
      if (cache.peek(id) === hit) cache.delete(id);
      return (await this.#load(k)).value;
    }
    if (!loaded) {
      this.#family.hitReads++;
      this.#family.hitBytes += hit.value?.length ?? 0;
    }
    return hit.value?.slice();
  }

  /**
   * The value, answered synchronously: a live cached entry, else the inner
   * store's `getSync` (not cached: filling the cache needs the key's TTL,
   * which only the async `ttl` gives). `Unsupported` where the inner store
   * has no synchronous reads.
   */
  getSync(key: BytesLike): Bytes | undefined {
    this.#check("getSync");
    const k = checkKey(key, this.#in("getSync"));
    const f = this.#family;
    // A hit must not answer where a miss would throw Unsupported.
    if (f.syncInner ?? (f.syncInner = this.#probeSync())) {
      const hit = this.#space.cache.get(idOf(k));
      if (hit !== undefined && hit.expiresAt > Date.now()) {
        f.hitReads++;
        f.hitBytes += hit.value?.length ?? 0;
        return hit.value?.slice();
      }
    }
    return this.#inner.getSync(k);
  }

  /**
   * Whether the inner store reads synchronously: a sync scan that is never
   * stepped throws `Unsupported` at once where it cannot, and reads nothing.
   * Undefined (ask again later) when it fails for another reason.
   */
  #probeSync(): boolean | undefined {
    try {
      this.#inner.rangeSync(undefined, undefined, { limit: 0 });
      return true;
    } catch (err) {
      return err instanceof StoreError && err.kind === "Unsupported" ? false : undefined;
    }
  }

  /** True when present and not expired. */
  async contains(key: BytesLike): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /** Values in input order. */
  async getMany(keys: BytesLike[]): Promise<(Bytes | undefined)[]> {
    this.#check("getMany");
    if (!Array.isArray(keys)) {
      throw new StoreError(
        "InvalidInput",
        `Cannot ${this.#in("getMany")}: keys must be an array`,
      );
    }
    const out: (Bytes | undefined)[] = [];
    for (const k of keys) out.push(await this.get(k));
    return out;
  }

  /** Runs a write on some keys, then drops them from the cache. */
  async #write<T>(ids: string[], fn: () => Promise<T>): Promise<T> {
    const { tracker, cache } = this.#space;
    const tokens = ids.map((id) => tracker.begin(id));
    try {
      return await fn();
    } finally {
      for (const t of tokens) {
        tracker.end(t);
        cache.delete(t.id);
      }
    }
  }

  /** Insert or overwrite; the value is cached when no other write overlapped. */
  async put(key: BytesLike, value: BytesLike): Promise<void> {
    this.#check("put");
    const k = checkKey(key, this.#in("put"));
    const v = checkValue(value, this.#in("put"));
    const id = idOf(k);
    const { tracker, cache } = this.#space;
    const token = tracker.begin(id);
    let ok = false;
    try {
      await this.#inner.put(k, v);
      ok = true;
    } finally {
      const clean = tracker.end(token);
      if (ok && clean) cache.set(id, { value: v.slice(), expiresAt: Infinity });
      else cache.delete(id);
    }
  }

  /** Remove; no-op when absent. */
  delete(key: BytesLike): Promise<void> {
    this.#check("delete");
    const k = checkKey(key, this.#in("delete"));
    return this.#write([idOf(k)], () => this.#inner.delete(k));
  }

  /** Writes all pairs or none. */
  batchWrite(pairs: [BytesLike, BytesLike][]): Promise<void> {
    this.#check("batchWrite");
    const ids = Array.isArray(pairs) ? idsOf(pairs.map((p) => Array.isArray(p) ? p[0] : p)) : [];
    return this.#write(ids, () => this.#inner.batchWrite(pairs));
  }

  /** Deletes all keys or none. */
  batchDelete(keys: BytesLike[]): Promise<void> {
    this.#check("batchDelete");
    return this.#write(Array.isArray(keys) ? idsOf(keys) : [], () => this.#inner.batchDelete(keys));
  }

  /** Atomic swap, by the inner store. */
  compareAndSwap(
    key: BytesLike,
    expected: BytesLike | null,
    next: BytesLike | null,
  ): Promise<void> {
    this.#check("compareAndSwap");
    const k = checkKey(key, this.#in("compareAndSwap"));
    return this.#write([idOf(k)], () => this.#inner.compareAndSwap(k, expected, next));
  }

  /** Put that expires after `ttlMs`. */
  putWithTtl(key: BytesLike, value: BytesLike, ttlMs: number): Promise<void> {
    this.#check("putWithTtl");
    const k = checkKey(key, this.#in("putWithTtl"));
    return this.#write([idOf(k)], () => this.#inner.putWithTtl(k, value, ttlMs));
  }

  /** Sets a TTL on a live key; false if absent. */
  expire(key: BytesLike, ttlMs: number): Promise<boolean> {
    this.#check("expire");
    const k = checkKey(key, this.#in("expire"));
    return this.#write([idOf(k)], () => this.#inner.expire(k, ttlMs));
  }

  /** Remaining ms, from the inner store. */
  ttl(key: BytesLike): Promise<number | undefined> {
    this.#check("ttl");
    return this.#inner.ttl(key);
  }

  /** Drops a TTL; false if absent or had none. */
  persist(key: BytesLike): Promise<boolean> {
    this.#check("persist");
    const k = checkKey(key, this.#in("persist"));
    return this.#write([idOf(k)], () => this.#inner.persist(k));
  }

  /** Removes expired keys; cached entries already end at their key's deadline. */
  purgeExpired(): Promise<number> {
    this.#check("purgeExpired");
    return this.#inner.purgeExpired();
  }

  /** `value = mergeOperator(key, old, operand)` by the inner store. */
  merge(key: BytesLike, operand: BytesLike): Promise<void> {
    this.#check("merge");
    const k = checkKey(key, this.#in("merge"));
    return this.#write([idOf(k)], () => this.#inner.merge(k, operand));
  }

  /** Entries in `[lo, hi)` from the inner store. */
  range(lo?: BytesLike, hi?: BytesLike, opts?: RangeOptions): RangeIter {
    this.#check("range");
    return this.#inner.range(lo, hi, opts);
  }

  /** Entries in `[lo, hi)` as a synchronous iterator, from the inner store. */
  rangeSync(lo?: BytesLike, hi?: BytesLike, opts?: RangeOptions): IterableIterator<KvEntry> {
    this.#check("rangeSync");
    return this.#inner.rangeSync(lo, hi, opts);
  }

  /** Entries in `[lo, hi)`, descending, from the inner store. */
  rangeRev(lo?: BytesLike, hi?: BytesLike): RangeIter {
    this.#check("rangeRev");
    return this.#inner.rangeRev(lo, hi);
  }

  /** Entries under `prefix` from the inner store. */
  prefixScan(prefix: BytesLike, opts?: RangeOptions): RangeIter {
    this.#check("prefixScan");
    return this.#inner.prefixScan(prefix, opts);
  }

  /** Every entry, ascending. */
  iter(): RangeIter {
    this.#check("iter");
    return this.#inner.iter();
  }

  /** Every key (under `prefix` when given), ascending. */
  keys(prefix?: BytesLike): KeysIter {
    this.#check("keys");
    return this.#inner.keys(prefix);
  }

  /** Live keys (under `prefix` when given). */
  count(prefix?: BytesLike): Promise<number> {
    this.#check("count");
    return this.#inner.count(prefix);
  }

  /** Approximate bytes on disk. */
  sizeOnDisk(): Promise<number> {
    this.#check("sizeOnDisk");
    return this.#inner.sizeOnDisk();
  }

  /** A transaction whose commit invalidates the keys it wrote. */
  async transaction(): Promise<KvTxn> {
    this.#check("transaction");
    const txn = await this.#inner.transaction();
    return new CachedTxn(txn, (ids, fn) => this.#write(ids, fn));
  }

  /** A point-in-time view of the inner store (bypasses the cache). */
  snapshot(): Promise<KvSnapshot> {
    this.#check("snapshot");
    return this.#inner.snapshot();
  }

  /** Everything committed so far is durable on return. */
  flush(): Promise<void> {
    this.#check("flush");
    return this.#inner.flush();
  }

  /** Reclaims space in the inner store. */
  compact(): Promise<void> {
    this.#check("compact");
    return this.#inner.compact();
  }

  /** A consistent copy of the inner store. */
  backup(target: BackupTarget): Promise<void> {
    this.#check("backup");
    return this.#inner.backup(target);
  }

  /** Replaces the inner store's contents; every cache of every tree is emptied. */
  async restore(source: BackupSource): Promise<void> {
    this.#check("restore");
    const spaces = [...this.#family.spaces.values()];
    for (const s of spaces) s.tracker.beginAll();
    try {
      await this.#inner.restore(source);
    } finally {
      for (const s of this.#family.spaces.values()) {
        if (spaces.includes(s)) s.tracker.endAll();
        s.cache.clear();
      }
    }
  }

  /** Changes under `prefix`, from the inner store. */
  watch(prefix: BytesLike): AsyncIterableIterator<KvChange> {
    this.#check("watch");
    toBytes(prefix, "prefix");
    return this.#inner.watch(prefix);
  }

  /** The inner store's tree behind a cache shared by every handle of that tree. */
  tree(name: string): KvStore {
    this.#check("tree");
    const inner = this.#inner.tree(name);
    const handle = new CachedKvStore(inner, this.#family.opts);
    handle.#family = this.#family;
    handle.#space = this.#family.space(`t:${name}`);
    handle.#isRoot = false;
    return handle;
  }

  /** Inner metrics plus cached reads; cacheHits/cacheMisses are this layer's. */
  metrics(): StoreMetrics {
    const m = { ...this.#inner.metrics(), cacheHits: 0, cacheMisses: 0 };
    m.reads += this.#family.hitReads;
    m.bytesRead += this.#family.hitBytes;
    for (const s of this.#family.spaces.values()) {
      const st = s.cache.stats();
      m.cacheHits += st.hits;
      m.cacheMisses += st.misses;
    }
    return m;
  }

  /** Closes this handle and the inner one (the root closes every tree). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#isRoot) {
      this.#family.closed = true;
      for (const s of this.#family.spaces.values()) s.cache.clear();
    }
    await this.#inner.close();
  }

  /** `await using store = …` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
