/**
 * The small contract an engine implements so that core's {@link EngineStore}
 * can give it the whole KvStore API (TTL, metrics, watch, trees, merge, CAS,
 * transactions, snapshots, backup). Engines see only raw bytes: keys already
 * carry core's keyspace prefix and values already carry the TTL header.
 *
 * Every engine folder wraps one of these in an `EngineStore`.
 *
 * @module
 */

/** A raw key and its stored value (TTL header included). */
export type RawEntry = [key: Uint8Array, value: Uint8Array];

/** Options of a raw scan. */
export interface RawScanOptions {
  /** Descending order. */
  reverse?: boolean;
  /**
   * The caller needs keys and TTL headers only: an engine may return just the
   * first 9 bytes of each stored value (or the whole value, if that is cheaper).
   */
  keysOnly?: boolean;
  /**
   * The caller wants about this many entries (it may drop expired ones and
   * ask for more): a read-ahead hint, never a cut-off.
   */
  limit?: number;
}

/** Reads over raw keys. Returned arrays belong to the caller. */
export interface RawReader {
  /** The stored value, or undefined. */
  get(key: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** Entries with `lo <= key < hi` (undefined = unbounded), ascending unless reversed. */
  scan(
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
    opts?: RawScanOptions,
  ): Iterable<RawEntry> | AsyncIterable<RawEntry>;
}

/** A pinned point-in-time view an engine provides natively. */
export interface RawSnapshot extends RawReader {
  /** Unpins the view. Idempotent. */
  release(): void;
}

/** One write of a commit; `value` undefined deletes the key. */
export interface RawOp {
  key: Uint8Array;
  value: Uint8Array | undefined;
  /** The deadline from the TTL header, as a hint for engine-side clean-up. */
  expiresAt?: number | undefined;
}

/**
 * A cross-process precondition of a commit: the key must still have this
 * version (null: still absent). Only engines with {@link RawEngine.version}
 * receive them.
 */
export interface RawCheck {
  key: Uint8Array;
  version: string | null;
}

/** What an engine implements. */
export interface RawEngine extends RawReader {
  /** Where the store lives (for messages), or ":memory:". */
  readonly path: string;
  /**
   * True when `get` answers synchronously and keeps no reference to its key
   * argument once it returns: core then reuses one key buffer for point reads
   * instead of allocating one per read.
   */
  readonly syncReads?: boolean;
  /**
   * Applies all ops atomically, in order. When it returns (or resolves) the
   * ops are visible to reads; they are durable once {@link sync} resolves.
   * Core calls this with its commit lock held, so calls never overlap.
   * With `checks`, the engine applies nothing and throws `TxnConflict` unless
   * every checked key still has its version (checked atomically with the
   * writes, so another process cannot slip in between).
   */
  apply(ops: RawOp[], checks?: RawCheck[]): void | Promise<void>;
  /**
   * The current version of `key` as the backing store knows it, for engines
   * other processes may write to at the same time (Deno KV's versionstamp);
   * null when absent. Transactions record it on first touch of each key.
   */
  version?(key: Uint8Array): Promise<string | null>;
  /**
   * Makes everything applied so far durable. Core calls it outside the commit
   * lock, so concurrent committers can share one sync (group commit).
   */
  sync(): void | Promise<void>;
  /** A native pinned view; without it core keeps before-images for snapshots. */
  snapshot?(): RawSnapshot;
  /** Approximate bytes on disk; 0 when unknown or in memory. */
  sizeOnDisk(): number | Promise<number>;
  /** Reclaims space. */
  compact(): void | Promise<void>;
  /** Releases files and locks. */
  close(): void | Promise<void>;
  /** Page/block cache counters, when the engine has a cache. */
  cacheStats?(): { hits: number; misses: number };
  /**
   * For engines other processes may write to: called under core's commit
   * lock before a commit's ops are built (a transaction validates there).
   * The engine catches up with commits made elsewhere (reporting them through
   * {@link onExternal}) and keeps other writers out until {@link endCommit}.
   */
  beginCommit?(): void | Promise<void>;
  /** Ends what {@link beginCommit} began, whether the commit succeeded or not. */
  endCommit?(): void;
  /**
   * Set by core on engines that declare it: called with each commit another
   * opener made, in commit order, as the engine learns of it (watchers hear
   * of it, open transactions conflict with it); `undefined` when a commit's
   * ops cannot be known (every open transaction conflicts).
   */
  onExternal?: ((ops: readonly RawOp[] | undefined) => void) | undefined;
  /**
   * Set by core with {@link onExternal}: true while someone watches the
   * store (an engine polling for other openers' commits keeps the process
   * alive only then).
   */
  watching?: (() => boolean) | undefined;
  /**
   * For engines other processes may write to: learns of commits made
   * elsewhere now (reporting them through {@link onExternal}). Core calls it
   * before a watch starts, so the watch yields only later commits.
   */
  refresh?(): void;
}
