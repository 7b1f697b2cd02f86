// The state of an open LSM store that the engine's modules share: the
// memtable and its log, the frozen memtables, the version set, the running
// background jobs, the counters, and what several openers of one directory
// need (the tip, the pins, solo mode). The modules beside it drive it:
// _start (recovery alone, or attaching to live openers), _writes (apply,
// rotation, stalls, sync), _reads (get, scan, snapshot), _background
// (flushes and compactions), _many_openers (other openers); lsm_engine.ts wires
// them behind `RawEngine`.
import type { LsmOptions } from "./lsm_options.ts";
import type { RawOp } from "../../core/engine.ts";
import { StoreError, toStoreError } from "../../core/error.ts";
import { BlockCache } from "./_block_cache.ts";
import type { LevelShape } from "./_compaction.ts";
import type { LsmFile, LsmFs } from "./_fs.ts";
import { Aborted } from "./_jobs.ts";
import type { JobWorker, Workers } from "./_worker_client.ts";
import type { Openers } from "../../core/_openers.ts";
import { JobsLock, type LsmTip } from "./_shared.ts";
import { Memtable, TOMBSTONE } from "../../core/_memtable.ts";
import { VersionSet } from "./_version_set.ts";
import type { WalWriter } from "./_wal.ts";

/** How often an opener checks for newcomers (solo) or for others' commits (watch). */
export const TICK_MS = 20;

/**
 * @internal The shared state of one engine. Fields are plain (not `#`) so
 * the engine's modules can drive it; nothing outside kv/lsm/ writes them.
 */
export class LsmState {
  readonly path: string;
  readonly fs: LsmFs;
  readonly readOnly: boolean;
  readonly options: Required<LsmOptions>;
  readonly cache: BlockCache;
  readonly shape: LevelShape;
  mem = new Memtable();
  wal: WalWriter | undefined;
  imms: { mem: Memtable; wal: number; bytes: number }[] = [];
  readonly vs: VersionSet;
  seq = 0;
  pins = 0;
  closing = false;
  closed = false;
  paused = false;
  bgFlush: Promise<void> | undefined;
  bgCompact: Promise<void> | undefined;
  bgError: StoreError | undefined;
  waiters: (() => void)[] = [];
  pointers: (Uint8Array | undefined)[] = [];
  userBytes = 0;
  flushes = 0;
  compactions = 0;
  stalls = 0;
  walSyncs = 0;
  workers: Workers | undefined;
  workerWritten = 0;
  flushWorker: JobWorker | undefined;
  /** The last fdatasync of rotated logs. */
  oldSync: Promise<void> | undefined;
  lastYield = 0;
  compactWorker: JobWorker | undefined;

  // ---- Several openers (see core/_openers.ts and docs/lsm.md) ----
  /** Set by core: commits other openers made, as this one learns of them. */
  onExternal: ((ops: readonly RawOp[] | undefined) => void) | undefined = undefined;
  /** Set by core: true while someone watches (the timer then keeps the process alive). */
  watching: (() => boolean) | undefined = undefined;
  /** The other openers of the directory (undefined in memory). */
  openers: Openers | undefined;
  /** Flushes and compactions: one process at a time. */
  jobs: JobsLock = new JobsLock(undefined);
  /** The current log and where the records this opener has applied end. */
  walNo = 0;
  walEnd = 0;
  /** The current log of a read-only opener (writers read through their WalWriter). */
  walReader: LsmFile | undefined;
  /** The tip as this opener last read or wrote it. */
  tip: LsmTip = { wal: -1, end: -1, edit: -1 };
  tipDirty = false;
  /** A manifest edit of this process not yet in the tip. */
  editUnpublished = false;
  /** Files obsolete since a manifest edit, kept while another opener may read an older one. */
  pending: { name: string; edit: number }[] = [];
  /** Pinned views per manifest edit they read (the lowest is this opener's pin). */
  readonly viewPins = new Map<number, number>();
  inCommit = false;
  busy = 0;
  timer: ReturnType<typeof setInterval> | undefined;
  soloReads = 0;
  soloAt = 0;
  openKick: ReturnType<typeof setTimeout> | undefined;

  constructor(fs: LsmFs, readOnly: boolean, opts: LsmOptions) {
    this.fs = fs;
    this.path = fs.path;
    this.readOnly = readOnly;
    this.options = {
      memtableBytes: opts.memtableBytes ?? 8 << 20,
      blockSize: opts.blockSize ?? 4096,
      compression: opts.compression ?? "lz4",
      l0Trigger: opts.l0Trigger ?? 4,
      l0Stop: opts.l0Stop ?? 20,
      levelBaseBytes: opts.levelBaseBytes ?? 64 << 20,
      levelRatio: opts.levelRatio ?? 10,
      tableBytes: opts.tableBytes ?? 8 << 20,
      maxImmutable: opts.maxImmutable ?? 4,
      cacheSizeBytes: opts.cacheSizeBytes ?? 32 << 20,
      backgroundThreads: opts.backgroundThreads ?? true,
      workerMinBytes: opts.workerMinBytes ?? 4 << 20,
    };
    this.cache = new BlockCache(this.options.cacheSizeBytes);
    this.vs = new VersionSet(fs, this.cache, () => wake(this));
    this.shape = this.options;
  }
}

/** Applies one commit to the memtable (logged already, or replayed from a log). */
export function applyMem(e: LsmState, ops: RawOp[]): void {
  const seq = ++e.seq;
  const keep = e.pins > 0;
  const mem = e.mem;
  for (const op of ops) {
    mem.put(op.key, op.value ?? TOMBSTONE, seq, keep);
    e.userBytes += op.key.length + (op.value?.length ?? 0);
  }
}

/** Throws unless the store is open, and for writes unless background work is healthy. */
export function checkUsable(e: LsmState, op: string): void {
  if (e.closed || e.closing) {
    throw new StoreError("Closed", `Cannot ${op} in LSM store at ${e.path}: it is closed`);
  }
  // After a failure writes stop until a reopen; reads go on from what is in memory and on disk.
  if (e.bgError && (op === "write" || op === "compact")) throw e.bgError;
}

/** Resolves at the next sign of background progress (or failure, or close). */
export function progress(e: LsmState): Promise<void> {
  return new Promise((r) => e.waiters.push(r));
}

/** Wakes the writers waiting in `progress`. */
export function wake(e: LsmState): void {
  const w = e.waiters;
  e.waiters = [];
  for (const r of w) r();
}

/** Background work failed: the store takes no more writes until reopened. */
export function fail(e: LsmState, err: unknown): void {
  if (err instanceof Aborted) return;
  e.bgError ??= toStoreError(
    err,
    `run background work in LSM store at ${e.path} (it takes no writes until reopened)`,
  );
  wake(e);
}
