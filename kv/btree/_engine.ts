/**
 * {@link BTreeEngine}: a copy-on-write B+tree in one file of 4 KiB pages,
 * implementing core's `RawEngine`. A commit builds new pages in memory and
 * appends its operations to the commit log inside the file; one `fdatasync`
 * of that record makes it durable. A checkpoint writes the waiting pages,
 * then a header slot naming the new root and a fresh log; one `fdatasync`
 * makes both durable (the slot and every node carry hashes, so a torn
 * checkpoint is detected at open and the older slot and its log are used).
 * Readers pin roots; freed pages are reused only when no view and no durable
 * header can still reach them.
 *
 * This module is the engine's lifecycle and its `RawEngine` face; the work
 * is in _reads (get, scan, snapshot), _commit (apply), _durable
 * (checkpoints, sync, compaction, clean close) and _share (other openers),
 * over the state in _state.
 *
 * @module
 */
import type { RawEngine, RawEntry, RawOp, RawScanOptions, RawSnapshot } from "../../core/engine.ts";
import { apply, recover } from "./_commit.ts";
import { cleanClose, compact, sync } from "./_durable.ts";
import { get, scan, snapshot } from "./_reads.ts";
import { beginCommit, caughtUp, endCommit, follow, startTicking, unlock } from "./_share.ts";
import { EngineCore, type EngineState } from "./_state.ts";

export type { EngineState };

/** The B-tree engine behind `openBTree`. */
export class BTreeEngine extends EngineCore implements RawEngine {
  /** @internal use `openBTree` */
  constructor(s: EngineState) {
    super(s);
    if (s.openers !== undefined) startTicking(this);
  }

  /** Point reads are synchronous and keep no reference to the key. */
  readonly syncReads = true;

  /** The stored value of a raw key. */
  get(key: Uint8Array): Uint8Array | undefined {
    return get(this, key);
  }

  /** Raw entries in `[lo, hi)`. */
  scan(
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
    opts?: RawScanOptions,
  ): Iterable<RawEntry> {
    return scan(this, lo, hi, opts);
  }

  /** A pinned view: its pages are not reused until `release`. */
  snapshot(): RawSnapshot {
    return snapshot(this);
  }

  /** Applies ops atomically (durable at the next `sync`). */
  apply(ops: RawOp[]): void | Promise<void> {
    return apply(this, ops);
  }

  /** Makes every applied commit durable; concurrent callers share one fdatasync. */
  sync(): Promise<void> {
    return sync(this);
  }

  /**
   * Replays the opened slot's log (at open, before any other commit); a
   * writer then checkpoints, so new records never follow a torn one.
   */
  recover(records: RawOp[][], checkpoint = true): void {
    recover(this, records, checkpoint);
  }

  /** File size in bytes (0 in memory). */
  sizeOnDisk(): number {
    return this.closed ? 0 : this.pager.size();
  }

  /** Moves live pages toward the start of the file, then truncates the free tail. */
  compact(): Promise<void> {
    return compact(this);
  }

  /** Learns of other openers' commits now (core calls it before a watch starts). */
  refresh(): void {
    const o = this.openers;
    if (o !== undefined && !o.solo && !this.closed) follow(this);
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

  /**
   * @internal The process is gone (the fault tests' simulated power cut or
   * kill): leaves the set of openers, as a killed process's lock release
   * would, and writes nothing. Tests that simulate a crash in-process and
   * reopen must call it, or the reopen sees this handle as a live opener.
   */
  abandon(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.closed = true;
    this.openers?.close();
  }

  /** Page-cache counters. */
  cacheStats(): { hits: number; misses: number } {
    return { hits: this.cache.hits, misses: this.cache.misses };
  }

  /** Saves the free list, marks the header clean (fast reopen), releases the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    const o = this.openers;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.busy++;
    try {
      if (!this.memory && !this.readOnly && this.failed === undefined) {
        await sync(this);
        while (this.syncing !== undefined) await this.syncing;
        if (o === undefined || o.solo) cleanClose(this);
        else {
          // The last opener out leaves a clean file; others keep the file as it is.
          await o.lock();
          caughtUp(this);
          if (o.others() === 0) cleanClose(this);
        }
      }
    } finally {
      this.closed = true;
      this.cache.clear();
      try {
        unlock(this);
        this.pager.close();
      } finally {
        try {
          this.unlockFile();
        } finally {
          o?.close();
        }
      }
    }
  }
}
