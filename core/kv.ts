/**
 * The key-value contract every engine and every layer implements.
 *
 * @module
 */
import type { Bytes, BytesLike } from "./bytes.ts";
import type { StoreKind, StoreMetrics } from "./config.ts";

/** A key and its value. */
export type KvEntry = [key: Bytes, value: Bytes];
/** One item of a range scan. */
export type RangeItem = KvEntry;
/** An ordered scan over entries. */
export type RangeIter = AsyncIterableIterator<KvEntry>;
/** An ordered scan over keys only. */
export type KeysIter = AsyncIterableIterator<Bytes>;

/** Options of a range or prefix scan. */
export interface RangeOptions {
  /** Descending order. */
  reverse?: boolean;
  /** At most this many entries. */
  limit?: number;
}

/** One committed change seen by `watch`; `value` undefined means deleted. */
export interface KvChange {
  key: Bytes;
  value: Bytes | undefined;
}

/** Reads shared by stores, snapshots and transactions. */
export interface KvReader {
  /** The value, or undefined if absent or expired. */
  get(key: BytesLike): Promise<Bytes | undefined>;
  /** True when the key is present and not expired. */
  contains(key: BytesLike): Promise<boolean>;
  /** Entries in `[lo, hi)`, ascending unless `opts.reverse`. */
  range(lo?: BytesLike, hi?: BytesLike, opts?: RangeOptions): RangeIter;
  /** Entries whose key starts with `prefix`. */
  prefixScan(prefix: BytesLike, opts?: RangeOptions): RangeIter;
}

/** A point-in-time read-only view; `await using snap = await store.snapshot()`. */
export interface KvSnapshot extends KvReader, AsyncDisposable {
  /** Lets the store forget the view. Idempotent. */
  release(): Promise<void>;
}

/** An optimistic read-write transaction; first committer wins. */
export interface KvTxn extends KvReader, AsyncDisposable {
  /** Buffers a write. */
  put(key: BytesLike, value: BytesLike): Promise<void>;
  /** Buffers a delete. */
  delete(key: BytesLike): Promise<void>;
  /** Applies every buffered write atomically, or throws `TxnConflict`. */
  commit(): Promise<void>;
  /** Drops every buffered write. */
  rollback(): Promise<void>;
}

/** The store every engine and layer implements. See shared/API.md. */
export interface KvStore extends KvReader, AsyncDisposable {
  /** Which engine runs this store. */
  readonly kind: StoreKind;
  /** Insert or overwrite; clears any TTL. */
  put(key: BytesLike, value: BytesLike): Promise<void>;
  /** Remove; no-op when absent. */
  delete(key: BytesLike): Promise<void>;
  /** Values in input order. */
  getMany(keys: BytesLike[]): Promise<(Bytes | undefined)[]>;
  /** Entries in `[lo, hi)`, descending. */
  rangeRev(lo?: BytesLike, hi?: BytesLike): RangeIter;
  /** Every entry, ascending. */
  iter(): RangeIter;
  /** Every key, ascending, without loading values. */
  keys(): KeysIter;
  /** Writes all pairs or none. */
  batchWrite(pairs: [BytesLike, BytesLike][]): Promise<void>;
  /** Deletes all keys or none. */
  batchDelete(keys: BytesLike[]): Promise<void>;
  /** Live keys. */
  count(): Promise<number>;
  /** Approximate bytes used on disk; 0 = unknown or in memory. */
  sizeOnDisk(): Promise<number>;
  /** Atomic swap; `expected === null` means absent, `next === null` deletes. */
  compareAndSwap(
    key: BytesLike,
    expected: BytesLike | null,
    next: BytesLike | null,
  ): Promise<void>;
  /** Put that expires after `ttlMs`. */
  putWithTtl(key: BytesLike, value: BytesLike, ttlMs: number): Promise<void>;
  /** Sets a TTL on a live key; false if absent. */
  expire(key: BytesLike, ttlMs: number): Promise<boolean>;
  /** Remaining ms, or undefined if absent or without TTL. */
  ttl(key: BytesLike): Promise<number | undefined>;
  /** Drops a TTL; false if absent or had none. */
  persist(key: BytesLike): Promise<boolean>;
  /** Removes expired keys now; returns how many. */
  purgeExpired(): Promise<number>;
  /** Starts an optimistic transaction. */
  transaction(): Promise<KvTxn>;
  /** A point-in-time view. */
  snapshot(): Promise<KvSnapshot>;
  /** Everything committed so far is durable on return. */
  flush(): Promise<void>;
  /** Reclaims space. */
  compact(): Promise<void>;
  /** Writes a consistent copy of the whole store to `path`. */
  backup(path: string): Promise<void>;
  /** Replaces the whole store with a backup's contents. */
  restore(path: string): Promise<void>;
  /** Every committed change under `prefix` from now on. */
  watch(prefix: BytesLike): AsyncIterableIterator<KvChange>;
  /** A named keyspace isolated from the default one. */
  tree(name: string): KvStore;
  /** `value = mergeOperator(key, old, operand)`, atomically. */
  merge(key: BytesLike, operand: BytesLike): Promise<void>;
  /** Counters since open. */
  metrics(): StoreMetrics;
  /** Closes the store; later calls throw `Closed`. */
  close(): Promise<void>;
}
