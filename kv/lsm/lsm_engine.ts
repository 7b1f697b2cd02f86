/**
 * {@link LsmEngine}: a log-structured merge tree implementing core's
 * RawEngine. Commits go to a write-ahead log and a memtable; full memtables
 * are flushed to level-0 tables and merged down the levels in the
 * background, in small slices so writers never wait long.
 *
 * This module is the engine's lifecycle (open, close) and its `RawEngine`
 * face; the work is in _start (recovery, or attaching to other openers),
 * _writes (apply, rotation, stalls, sync), _reads (get, scan, snapshot),
 * _background (flushes and compactions) and _many_openers (other openers), over
 * the state in _state.
 *
 * @module
 */
import type { LsmOptions, LsmStats } from "./lsm_options.ts";
import type { RawEngine, RawEntry, RawOp, RawScanOptions, RawSnapshot } from "../../core/engine.ts";
import { compact, flushAtClose, waitIdle } from "./_background.ts";
import type { LsmFs } from "./_fs.ts";
import { acquireWorkers, releaseWorkers } from "./_worker_client.ts";
import { get, scan, snapshot } from "./_reads.ts";
import { beginCommit, endCommit, refresh } from "./_many_openers.ts";
import { join, recover } from "./_start.ts";
import { checkUsable, LsmState, wake } from "./_state.ts";
import { apply, sync } from "./_writes.ts";

/** The LSM tree over a file system (disk or memory). */
export class LsmEngine extends LsmState implements RawEngine {
  private constructor(fs: LsmFs, readOnly: boolean, opts: LsmOptions) {
    super(fs, readOnly, opts);
  }

  /**
   * Opens (or, unless read-only, creates) the store on `fs`: reads the
   * manifest, opens its tables, replays the write-ahead logs.
   */
  static async open(fs: LsmFs, readOnly: boolean, opts: LsmOptions = {}): Promise<LsmEngine> {
    const e = new LsmEngine(fs, readOnly, opts);
    if (e.options.backgroundThreads && !fs.inMemory && !readOnly && typeof Worker === "function") {
      e.workers = acquireWorkers();
      e.flushWorker = e.workers.flush;
      e.compactWorker = e.workers.compact;
    }
    try {
      if (fs.inMemory) await recover(e);
      else await join(e);
    } catch (err) {
      if (e.workers) releaseWorkers(e.workers);
      e.#closeFiles();
      e.#leave();
      throw err;
    }
    return e;
  }

  /** Logs and applies one commit. */
  apply(ops: RawOp[]): void | Promise<void> {
    return apply(this, ops);
  }

  /** Durable up to the latest commit; concurrent calls share one fdatasync. */
  sync(): Promise<void> {
    return sync(this);
  }

  /** Point reads are synchronous and keep no reference to the key. */
  readonly syncReads = true;

  /** The stored value, or undefined. */
  get(key: Uint8Array): Uint8Array | undefined {
    return get(this, key);
  }

  /** Entries in `[lo, hi)` as of the call (a pinned point-in-time view). */
  scan(
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
    opts?: RawScanOptions,
  ): Generator<RawEntry> {
    return scan(this, lo, hi, opts);
  }

  /** A pinned view: sequence number, memtables and tables stay until release. */
  snapshot(): RawSnapshot {
    return snapshot(this);
  }

  /** Waits until no background work is running or needed. */
  waitIdle(): Promise<void> {
    return waitIdle(this);
  }

  /** Full compaction: everything is merged into one sorted level, dead entries dropped. */
  compact(): Promise<void> {
    return compact(this);
  }

  /** Bytes of the store's files (0 in memory). */
  sizeOnDisk(): number {
    checkUsable(this, "sizeOnDisk");
    return this.fs.totalSize();
  }

  /** Block cache counters. */
  cacheStats(): { hits: number; misses: number } {
    return { hits: this.cache.hits, misses: this.cache.misses };
  }

  /** Counters of the engine's own work. */
  stats(): LsmStats {
    const disk = this.fs.written.bytes + this.workerWritten;
    return {
      userBytes: this.userBytes,
      diskBytesWritten: disk,
      writeAmplification: this.userBytes === 0 ? 0 : disk / this.userBytes,
      tablesPerLevel: this.vs.current.levels.map((l) => l.length),
      flushes: this.flushes,
      compactions: this.compactions,
      stalls: this.stalls,
      walSyncs: this.walSyncs + (this.wal?.syncs ?? 0),
    };
  }

  /** Learns of other openers' commits now (core calls it before a watch starts). */
  refresh(): void {
    refresh(this);
  }

  /**
   * Before core builds a commit (a transaction validates there): takes the
   * writer lock and catches up, so the validation sees every commit made
   * anywhere, and nothing slips in before this commit's record.
   */
  beginCommit(): void | Promise<void> {
    return beginCommit(this);
  }

  /** After the commit (or its failure): releases the writer lock. */
  endCommit(): void {
    endCommit(this);
  }

  #closeFiles(): void {
    this.vs.close();
    this.wal?.close();
    this.walReader?.close();
  }

  /** Leaves the set of openers (nothing pinned any more). */
  #leave(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    clearTimeout(this.openKick);
    this.timer = undefined;
    this.jobs.close();
    this.openers?.close();
  }

  /** Stops background work, makes the log durable, releases files and the lock. */
  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    clearTimeout(this.openKick);
    // The last store to close ends the shared threads, aborting its own jobs;
    // otherwise the jobs still running for this store are waited for below.
    if (this.workers) releaseWorkers(this.workers);
    this.workers = undefined;
    try {
      await Promise.allSettled([this.bgFlush, this.bgCompact, this.oldSync]);
      await flushAtClose(this);
      if (this.wal) await this.wal.finish();
    } finally {
      this.closed = true;
      wake(this);
      this.#closeFiles();
      this.#leave();
    }
  }
}
