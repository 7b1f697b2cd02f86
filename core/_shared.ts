// Private to core: the state every tree handle of one store shares, and the
// helpers EngineStore, its snapshots and its transactions use alike.
import { type Bytes, type BytesLike, compareBytes, prefixUpperBound, toBytes } from "./bytes.ts";
import { emptyMetrics, type MergeOperator, type StoreKind, type StoreMetrics } from "./config.ts";
import type {
  RawCheck,
  RawEngine,
  RawEntry,
  RawOp,
  RawReader,
  RawScanOptions,
  RawSnapshot,
} from "./engine.ts";
import { inStore, StoreError } from "./error.ts";
import { joinKey, RAW_USER_HI, RAW_USER_LO } from "./keyspace.ts";
import type { RangeIter, RangeOptions } from "./kv.ts";
import { Mutex } from "./mutex.ts";
import { decodeStored, encodeStored, liveValue, storedExpiry, storedIsExpired } from "./ttl.ts";
import { WatchHub } from "./watch.ts";
import { ConflictLog, OverlaySnapshot } from "./_views.ts";

/** How an EngineStore behaves, beyond its engine. */
export interface EngineStoreOptions {
  /** Which engine this is. */
  kind: StoreKind;
  /** Default true: each commit is durable when it resolves. */
  syncWrites?: boolean | undefined;
  /** Writes throw `ReadOnly`. */
  readOnly?: boolean | undefined;
  /** The operator behind `merge`. */
  mergeOperator?: MergeOperator | undefined;
}

export const RESTORE_BATCH_OPS = 256;
/**
 * At most this many keys of one transaction get cross-process version checks
 * (Deno KV allows 100 checks per commit); keys past it are still checked
 * against this process's own commits.
 */
export const MAX_VERSION_CHECKS = 100;
export const RESTORE_BATCH_BYTES = 4 << 20;

/** State every tree handle of one store shares. */
export class Shared {
  readonly engine: RawEngine;
  readonly kind: StoreKind;
  readonly syncWrites: boolean;
  readonly readOnly: boolean;
  readonly mergeOperator: MergeOperator | undefined;
  readonly lock = new Mutex();
  readonly hub = new WatchHub();
  readonly conflicts = new ConflictLog();
  readonly overlays = new Set<OverlaySnapshot>();
  readonly metrics: StoreMetrics = emptyMetrics();
  /**
   * Listeners of every commit, this opener's and other openers', in commit
   * order, with the raw ops (keyspace prefix and TTL header included; undefined
   * when another opener's ops cannot be known): replication's feed. Called
   * under the commit lock, before the commit is synced.
   */
  readonly feeds = new Set<(seq: number, ops: readonly RawOp[] | undefined) => void>();
  /** Run once when the store closes (a follower's poller stops). */
  readonly closeHooks = new Set<() => void>();
  seq = 0;
  closed = false;

  constructor(engine: RawEngine, opts: EngineStoreOptions) {
    this.engine = engine;
    this.kind = opts.kind;
    this.syncWrites = opts.syncWrites ?? true;
    this.readOnly = opts.readOnly ?? false;
    this.mergeOperator = opts.mergeOperator;
    if ("onExternal" in engine) {
      engine.onExternal = (ops) => this.#external(ops);
      engine.watching = () => this.hub.active;
      // A watch yields commits after it starts: first learn of those made before, elsewhere.
      const subscribe = this.hub.subscribe.bind(this.hub);
      this.hub.subscribe = (prefix, strip) => {
        engine.refresh?.();
        return subscribe(prefix, strip);
      };
    }
  }

  /** A commit another opener made: transactions conflict with it, watchers hear of it. */
  #external(ops: readonly RawOp[] | undefined): void {
    const seq = ++this.seq;
    for (const feed of this.feeds) feed(seq, ops);
    if (ops === undefined) {
      this.conflicts.recordAll(seq);
      return;
    }
    for (const op of ops) this.conflicts.record(op.key, seq);
    if (this.hub.active) {
      for (const op of ops) {
        this.hub.publish(op.key, op.value === undefined ? undefined : decodeStored(op.value).value);
      }
    }
  }

  /** `err` with a message naming `op` and this store's path (see `inStore`). */
  fail(op: string, err: unknown): StoreError {
    return inStore(err, op, this.engine.path);
  }

  /** `f()`, its errors naming `op` and this store's path: for argument checks. */
  locate<T>(op: string, f: () => T): T {
    try {
      return f();
    } catch (err) {
      throw this.fail(op, err);
    }
  }

  check(op: string, write: boolean): void {
    if (this.closed) {
      throw new StoreError(
        "Closed",
        `Cannot ${op} in store at ${this.engine.path}: the store is closed`,
      );
    }
    if (write && this.readOnly) {
      throw new StoreError(
        "ReadOnly",
        `Cannot ${op} in store at ${this.engine.path}: opened read-only`,
      );
    }
  }

  /** A view pinned now: the engine's own, or a before-image overlay. */
  pin(): RawSnapshot {
    if (this.engine.snapshot) return this.engine.snapshot();
    const s = new OverlaySnapshot(this.engine, this.lock, (o) => this.overlays.delete(o));
    this.overlays.add(s);
    return s;
  }

  /** Applies ops; the caller holds the lock. */
  async applyLocked(ops: RawOp[], checks?: RawCheck[]): Promise<void> {
    if (ops.length === 0 && !checks?.length) return;
    for (const o of this.overlays) for (const op of ops) await o.preserve(op.key);
    if (checks?.length) await this.engine.apply(ops, checks);
    else await this.engine.apply(ops);
    const seq = ++this.seq;
    for (const feed of this.feeds) feed(seq, ops);
    const m = this.metrics;
    for (const op of ops) {
      this.conflicts.record(op.key, seq);
      if (op.value === undefined) m.deletes++;
      else {
        m.writes++;
        m.bytesWritten += op.key.length + op.value.length;
      }
    }
    if (this.hub.active) {
      for (const op of ops) {
        this.hub.publish(op.key, op.value === undefined ? undefined : decodeStored(op.value).value);
      }
    }
  }

  /**
   * Replaces every user key (every tree) with `entries` (raw keys, stored
   * values), under the lock, then syncs. Expired entries are skipped.
   */
  async replaceAll(
    entries: Iterable<RawEntry> | AsyncIterable<RawEntry>,
    { atomic = false, batchOps = RESTORE_BATCH_OPS }: { atomic?: boolean; batchOps?: number } = {},
  ): Promise<void> {
    // Bytes per batch grow with the ops per batch (4 MiB at the default 256).
    const batchBytes = RESTORE_BATCH_BYTES * Math.max(1, batchOps / RESTORE_BATCH_OPS);
    await this.lock.run(async () => {
      this.check("restore", false);
      let ops: RawOp[] = [];
      let bytes = 0;
      const flush = async () => {
        await this.applyLocked(ops);
        ops = [];
        bytes = 0;
      };
      const full = () => !atomic && (ops.length >= batchOps || bytes >= batchBytes);
      const lo = new Uint8Array([RAW_USER_LO]);
      const hi = new Uint8Array([RAW_USER_HI]);
      const old: Uint8Array[] = [];
      for await (const [key] of this.engine.scan(lo, hi, { keysOnly: true })) old.push(key.slice());
      // In one atomic commit a key may be deleted and written again: ops apply
      // in order, so the write wins.
      for (const key of old) {
        ops.push({ key, value: undefined });
        if (full()) await flush();
      }
      const now = Date.now();
      for await (const [key, stored] of entries) {
        if (storedIsExpired(stored, now)) continue;
        ops.push({ key, value: stored, expiresAt: storedExpiry(stored) });
        bytes += stored.length;
        if (full()) await flush();
      }
      await flush();
    });
    await this.engine.sync();
  }

  /** Commits ops (built under the lock), then syncs if asked. */
  async commit(
    op: string,
    build: () => RawOp[] | Promise<RawOp[]>,
    checks?: RawCheck[],
  ): Promise<void> {
    await this.commitApplied(op, build, checks);
    await this.durable(op);
  }

  /**
   * The first half of {@link commit}: builds and applies the ops under the
   * lock. Once it resolves the commit is visible; {@link durable} makes it
   * durable (apart, so a caller may let the next commit in before the sync).
   */
  async commitApplied(
    op: string,
    build: () => RawOp[] | Promise<RawOp[]>,
    checks?: RawCheck[],
  ): Promise<void> {
    this.check(op, true);
    try {
      await this.lock.run(async () => {
        this.check(op, true);
        const begun = this.engine.beginCommit?.();
        if (begun !== undefined) await begun;
        try {
          await this.applyLocked(await build(), checks);
        } finally {
          this.engine.endCommit?.();
        }
      });
    } catch (err) {
      throw this.fail(op, err);
    }
  }

  /** Every commit applied so far is durable on return (when writes sync). */
  async durable(op: string): Promise<void> {
    if (!this.syncWrites) return;
    try {
      await this.engine.sync();
    } catch (err) {
      throw this.fail(op, err);
    }
  }

  /** A live stored value: undefined when absent or expired. */
  async live(reader: RawReader, raw: Uint8Array): Promise<Uint8Array | undefined> {
    const stored = await reader.get(raw);
    if (stored === undefined || storedIsExpired(stored)) return undefined;
    return stored;
  }
}

export function putOp(key: Uint8Array, value: Uint8Array, expiresAt?: number): RawOp {
  return { key, value: encodeStored(value, expiresAt), expiresAt };
}

/**
 * Put ops for a batch of checked keys and values, packed into two slabs (one
 * for the raw keys, one for the stored values) instead of two allocations
 * per pair: typed-array allocation dominates a bulk load's CPU otherwise.
 */
export function packedPutOps(
  prefix: Uint8Array,
  keys: Uint8Array[],
  values: Uint8Array[],
): RawOp[] {
  let keyBytes = 0, valueBytes = 0;
  for (let i = 0; i < keys.length; i++) {
    keyBytes += prefix.length + keys[i]!.length;
    valueBytes += values[i]!.length + 1;
  }
  const keySlab = new Uint8Array(keyBytes);
  const valueSlab = new Uint8Array(valueBytes);
  const ops: RawOp[] = new Array(keys.length);
  let ko = 0, vo = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!, v = values[i]!;
    keySlab.set(prefix, ko);
    keySlab.set(k, ko + prefix.length);
    const key = keySlab.subarray(ko, ko + prefix.length + k.length);
    ko += key.length;
    valueSlab[vo] = 0; // the "no TTL" header (see ttl.ts)
    valueSlab.set(v, vo + 1);
    const value = valueSlab.subarray(vo, vo + v.length + 1);
    vo += value.length;
    ops[i] = { key, value, expiresAt: undefined };
  }
  return ops;
}

export function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return Infinity;
  if (typeof limit !== "number" || Number.isNaN(limit) || limit < 0) {
    throw new StoreError(
      "InvalidInput",
      `Invalid range limit: expected a number >= 0, got ${String(limit)}`,
    );
  }
  return Math.floor(limit);
}

/** Turns user bounds into raw bounds of one tree; undefined when the range is empty. */
export function rawBounds(
  prefix: Uint8Array,
  lo: BytesLike | undefined,
  hi: BytesLike | undefined,
): [Uint8Array, Uint8Array | undefined] | undefined {
  const l = lo === undefined ? undefined : toBytes(lo, "range bound");
  const h = hi === undefined ? undefined : toBytes(hi, "range bound");
  if (l !== undefined && h !== undefined && compareBytes(l, h) >= 0) return undefined;
  return [
    l === undefined ? prefix : joinKey(prefix, l),
    h === undefined ? prefixUpperBound(prefix) : joinKey(prefix, h),
  ];
}

/** Bounds of the keys under `prefix` in one tree. */
export function prefixBounds(
  treeP: Uint8Array,
  prefix: BytesLike,
): [Uint8Array, Uint8Array | undefined] {
  const raw = joinKey(treeP, toBytes(prefix, "prefix"));
  return [raw, prefixUpperBound(raw)];
}

/** Where a scan reads from, and what to release when it ends. */
export interface ScanSource {
  entries: Iterable<RawEntry> | AsyncIterable<RawEntry>;
  release?: () => void;
}

/**
 * A user-facing scan of one tree: arguments are checked now; the source is
 * opened on the first `next()`; TTL filtering, prefix stripping, metrics and
 * error mapping happen as it runs. Sync sources are iterated synchronously
 * (one async hop per row, not three). `open` undefined means an empty range.
 */
export function scanLive(
  s: Shared,
  op: string,
  strip: number,
  opts: RangeOptions | undefined,
  open: ((opts: RawScanOptions) => ScanSource | Promise<ScanSource>) | undefined,
  recheck?: () => void,
): RangeIter {
  const limit = s.locate(op, () => checkLimit(opts?.limit));
  const reverse = opts?.reverse === true;
  const hint: RawScanOptions = limit === Infinity ? { reverse } : { reverse, limit };
  async function* run(): AsyncGenerator<[Bytes, Bytes]> {
    let source: ScanSource | undefined;
    try {
      recheck?.();
      if (!open || limit <= 0) return;
      source = await open(hint);
      const m = s.metrics;
      const now = Date.now();
      let n = 0;
      const entries = source.entries;
      const it = Symbol.iterator in entries
        ? (entries as Iterable<RawEntry>)[Symbol.iterator]()
        : (entries as AsyncIterable<RawEntry>)[Symbol.asyncIterator]();
      try {
        while (n < limit) {
          const step = it.next();
          const r = step instanceof Promise ? await step : step;
          if (r.done) return;
          const [key, stored] = r.value;
          const value = liveValue(stored, now);
          if (value === undefined) continue;
          m.reads++;
          m.bytesRead += key.length + value.length;
          n++;
          yield [key.subarray(strip), value];
        }
      } finally {
        await it.return?.();
      }
    } catch (err) {
      throw s.fail(op, err);
    } finally {
      source?.release?.();
    }
  }
  return run();
}
