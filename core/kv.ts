/**
 * The key-value contract every engine and every layer implements.
 *
 * @module
 */
import type { BackupSource, BackupTarget } from "./backup_format.ts";
import type { Bytes, BytesLike } from "./bytes.ts";
import type { StoreKind, StoreMetrics } from "./config.ts";

/**
 * A key and its value.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { type KvEntry, openInMemory } from "@cooljapan/oxistore";
 * await using store = await openInMemory();
 * await store.put("a", "1");
 * const entries: KvEntry[] = await Array.fromAsync(store.iter());
 * strictEqual(entries.length, 1);
 * ```
 */
export type KvEntry = [key: Bytes, value: Bytes];
/**
 * One item of a range scan (the same as {@link KvEntry}).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import type { RangeItem } from "@cooljapan/oxistore";
 * const item: RangeItem = [new Uint8Array([1]), new Uint8Array()];
 * strictEqual(item[1].length, 0);
 * ```
 */
export type RangeItem = KvEntry;
/**
 * An ordered scan over entries.
 *
 * @example
 * ```ts
 * import { openInMemory, type RangeIter } from "@cooljapan/oxistore";
 * await using store = await openInMemory();
 * await store.batchWrite([["a", "1"], ["m", "2"], ["z", "3"]]);
 * const scan: RangeIter = store.range("a", "z");
 * const keys = [];
 * for await (const [key] of scan) keys.push(new TextDecoder().decode(key));
 * if (keys.join() !== "a,m") throw new Error(`range is end-exclusive, got ${keys}`);
 * ```
 */
export type RangeIter = AsyncIterableIterator<KvEntry>;
/**
 * An ordered scan over keys only.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { type KeysIter, openInMemory } from "@cooljapan/oxistore";
 * await using store = await openInMemory();
 * await store.put("k", "v");
 * const keys: KeysIter = store.keys();
 * strictEqual((await Array.fromAsync(keys)).length, 1);
 * ```
 */
export type KeysIter = AsyncIterableIterator<Bytes>;

/**
 * Options of a range or prefix scan.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { openInMemory, type RangeOptions } from "@cooljapan/oxistore";
 * await using store = await openInMemory();
 * await store.batchWrite([["a", "1"], ["b", "2"]]);
 * const last: RangeOptions = { reverse: true, limit: 1 };
 * const keys = [];
 * for await (const [k] of store.range(undefined, undefined, last)) keys.push(k);
 * strictEqual(keys.length, 1);
 * strictEqual(new TextDecoder().decode(keys[0]), "b");
 * ```
 */
export interface RangeOptions {
  /** Descending order. */
  reverse?: boolean;
  /** At most this many entries. */
  limit?: number;
}

/**
 * One committed change seen by `watch`; `value` undefined means deleted.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { type KvChange, openInMemory } from "@cooljapan/oxistore";
 * await using store = await openInMemory();
 * const changes = store.watch("user/");
 * await store.put("user/1", "ada");
 * const change: KvChange = (await changes.next()).value;
 * strictEqual(new TextDecoder().decode(change.key), "user/1");
 * await changes.return?.();
 * ```
 */
export interface KvChange {
  /** The key that changed. */
  key: Bytes;
  /** The value it now holds; undefined when the key was deleted. */
  value: Bytes | undefined;
}

/**
 * Reads shared by stores, snapshots and transactions.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { type KvReader, openInMemory } from "@cooljapan/oxistore";
 * async function has(reader: KvReader, key: string): Promise<boolean> {
 *   return await reader.contains(key);
 * }
 * await using store = await openInMemory();
 * strictEqual(await has(store, "nope"), false);
 * ```
 */
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

/**
 * A point-in-time read-only view; `await using snap = await store.snapshot()`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { openInMemory } from "@cooljapan/oxistore";
 * await using store = await openInMemory();
 * await store.put("k", "old");
 * await using snap = await store.snapshot();
 * await store.put("k", "new");
 * strictEqual(new TextDecoder().decode(await snap.get("k")), "old");
 * ```
 */
export interface KvSnapshot extends KvReader, AsyncDisposable {
  /** Lets the store forget the view. Idempotent. */
  release(): Promise<void>;
}

/**
 * An optimistic read-write transaction; first committer wins.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { openInMemory } from "@cooljapan/oxistore";
 * await using store = await openInMemory();
 * await using txn = await store.transaction();
 * await txn.put("a", "1");
 * await txn.commit();
 * strictEqual(await store.contains("a"), true);
 * ```
 */
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

/**
 * The store every engine and layer implements: the contract in the README.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { type KvStore, openInMemory } from "@cooljapan/oxistore";
 * const store: KvStore = await openInMemory("btree");
 * await store.putWithTtl("session", "x", 1000);
 * strictEqual(store.kind, "btree");
 * strictEqual(await store.count(), 1);
 * await store.close();
 * ```
 */
export interface KvStore extends KvReader, AsyncDisposable {
  /** Which engine runs this store. */
  readonly kind: StoreKind;
  /** Where the store lives (":memory:" in memory); every error message names it. */
  readonly path: string;
  /** Insert or overwrite; clears any TTL. */
  put(key: BytesLike, value: BytesLike): Promise<void>;
  /** Remove; no-op when absent. */
  delete(key: BytesLike): Promise<void>;
  /** Values in input order. */
  getMany(keys: BytesLike[]): Promise<(Bytes | undefined)[]>;
  /**
   * {@link KvReader.get} answered synchronously, for engines whose reads
   * need no I/O wait (the B-tree and the LSM tree): the same value, TTL
   * rule, input checks and metrics. Engines and layers that read
   * asynchronously (Deno KV, encryption) throw `Unsupported`.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { openInMemory } from "@cooljapan/oxistore";
   * await using store = await openInMemory("btree");
   * await store.put("k", "v");
   * strictEqual(new TextDecoder().decode(store.getSync("k")), "v");
   * strictEqual(store.getSync("absent"), undefined);
   * ```
   */
  getSync(key: BytesLike): Bytes | undefined;
  /**
   * {@link KvReader.range} as a synchronous iterator over one point-in-time
   * view: the same entries, order, limit and TTL rule. Arguments are checked
   * now; `Unsupported` where {@link KvStore.getSync} is.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { openInMemory } from "@cooljapan/oxistore";
   * await using store = await openInMemory("lsm");
   * await store.batchWrite([["a", "1"], ["b", "2"], ["c", "3"]]);
   * const keys = [...store.rangeSync("a", "c", { reverse: true })]
   *   .map(([k]) => new TextDecoder().decode(k));
   * deepStrictEqual(keys, ["b", "a"]);
   * ```
   */
  rangeSync(lo?: BytesLike, hi?: BytesLike, opts?: RangeOptions): IterableIterator<KvEntry>;
  /** Entries in `[lo, hi)`, descending. */
  rangeRev(lo?: BytesLike, hi?: BytesLike): RangeIter;
  /** Every entry, ascending. */
  iter(): RangeIter;
  /**
   * Every key, ascending, without loading values; with `prefix`, only the
   * keys that start with it (as {@link KvReader.prefixScan} selects them).
   */
  keys(prefix?: BytesLike): KeysIter;
  /** Writes all pairs or none. */
  batchWrite(pairs: [BytesLike, BytesLike][]): Promise<void>;
  /** Deletes all keys or none. */
  batchDelete(keys: BytesLike[]): Promise<void>;
  /** Live keys; with `prefix`, only those that start with it. */
  count(prefix?: BytesLike): Promise<number>;
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
  /**
   * Writes a consistent copy of the whole store to a file path, a byte stream
   * or a blob `{ store, key }` (the portable format: any engine restores it).
   */
  backup(target: BackupTarget): Promise<void>;
  /** Replaces the whole store with a backup's contents (path, byte stream or blob). */
  restore(source: BackupSource): Promise<void>;
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
