// The state of an open B-tree file (or memory store) that the engine's
// modules share: the committed root and commit ids, the write buffer, the
// commit log, the views' pins, and what a tree change in memory needs
// (verified page loads, building and installing a commit's pages, the free
// space). The modules beside it drive it: _reads (get, scan, snapshot),
// _commit (apply), _durable (checkpoints, sync, compaction, clean close),
// _share (other openers); _engine wires them behind `RawEngine`.
import type { RawOp } from "../../core/engine.ts";
import { StoreError } from "../../core/error.ts";
import type { Openers } from "../../core/_openers.ts";
import { WriteBuffer } from "./_buffer.ts";
import { PageCache } from "./_cache.ts";
import { LOG_MIN_PAGES } from "./_checkpoint.ts";
import type { ReadIO, Root } from "./_cursor.ts";
import { followerSpace, type Tip } from "./_follow.ts";
import { corruption, hash32, MAX_NODE_BYTES, MAX_RAW_KEY, PAGE_SIZE } from "./_format.ts";
import type { FreeSpace } from "./_freespace.ts";
import { CommitLog, type LogExtent } from "./_log.ts";
import { type Ovf, Page } from "./_page.ts";
import type { Pager } from "./_pager.ts";
import { Ref, Writer } from "./_writer.ts";

/** The state an opened file (or a fresh memory store) starts from. */
export interface EngineState {
  pager: Pager;
  path: string;
  memory: boolean;
  readOnly: boolean;
  cacheSizeBytes: number;
  root: Root;
  /** Newest commit id seen in the file (new commits count on from it). */
  txn: number;
  /** The commit whose header slot is durable (the state we opened). */
  keptTxn: number;
  /** The opened slot's commit log, replayed by `openFileEngine`. */
  log?: LogExtent | undefined;
  /** Commit id each header slot holds (-1 = invalid). */
  slotTxn: [number, number];
  space: FreeSpace;
  /** Releases the file. */
  unlock: () => void;
  /** The other openers of the file (undefined in memory). */
  openers?: Openers | undefined;
  /** Where the opened log's records end, when they were replayed without a checkpoint. */
  logEnd?: { offset: number; seq: number } | undefined;
  /** The free space is not known yet (another opener is live): rebuilt before a checkpoint. */
  spaceUnknown?: boolean | undefined;
}

/** How often an opener checks for newcomers (solo) or for others' commits (watch). */
export const TICK_MS = 20;

/**
 * @internal The shared state of one engine. Fields are plain (not `#`) so
 * the engine's modules can drive it; nothing outside kv/btree/ writes them.
 */
export class EngineCore implements ReadIO {
  /** Where the store lives, or ":memory:". */
  readonly path: string;
  /** @internal page storage */
  readonly pager: Pager;
  /** @internal free pages */
  space: FreeSpace;
  /** @internal decoded pages */
  readonly cache: PageCache;
  readonly memory: boolean;
  readonly readOnly: boolean;
  readonly unlockFile: () => void;
  root: Root;
  /** @internal the newest commit id */
  txn: number;
  /** Commits up to here are durable (in a synced log record or checkpoint). */
  keptTxn: number;
  /** The commit whose header slot is durable: pages it reaches are kept. */
  checkpointTxn: number;
  /** Appends commits (file stores open for writing). */
  log: CommitLog | undefined;
  logPages = LOG_MIN_PAGES;
  /** Commits since the last checkpoint (file stores): read first, merged at checkpoints. */
  buffer = new WriteBuffer();
  readonly slotTxn: [number, number];
  /** Open views per commit id they read. */
  readonly pins = new Map<number, number>();
  syncing: Promise<void> | undefined;
  closed = false;
  /** Why the last checkpoint failed: the store takes no more writes (or a clean close). */
  failed: unknown;
  /** @internal fdatasync calls made by `sync` (group commit shares them) */
  syncCalls = 0;
  /** @internal checkpoints written (tests and benches read it) */
  checkpoints = 0;
  /** Set by core: commits other openers made, as this one learns of them (undefined: unknown ops). */
  onExternal: ((ops: readonly RawOp[] | undefined) => void) | undefined = undefined;
  /** Set by core: true while someone watches (the timer then keeps the process alive). */
  watching: (() => boolean) | undefined = undefined;
  readonly openers: Openers | undefined;
  /** The checkpoint (header slot commit id) whose tree `root` is. */
  viewCkpt: number;
  /** Snapshots open per checkpoint they read (published as this opener's pin). */
  readonly ckptPins = new Map<number, number>();
  /** The lowest pin of other openers, as read at the last checkpoint. */
  othersPin = 0;
  spaceUnknown: boolean;
  /** The tip as this opener last wrote or followed it. */
  tip: Tip = { checkpoint: 0, seq: 0, direct: 0 };
  tipDirty = false;
  /** A commit between beginCommit and endCommit (the writer lock is held, or solo). */
  inCommit = false;
  /** A compaction or close in progress: solo mode is not handed over meanwhile. */
  busy = 0;
  timer: ReturnType<typeof setInterval> | undefined;
  /** Reads since a solo opener last looked for newcomers, and when it did. */
  soloReads = 0;
  soloAt = 0;

  constructor(s: EngineState) {
    this.path = s.path;
    this.pager = s.pager;
    this.space = s.space;
    this.cache = new PageCache(s.cacheSizeBytes);
    this.memory = s.memory;
    this.readOnly = s.readOnly;
    this.unlockFile = s.unlock;
    this.root = s.root;
    this.txn = s.txn;
    this.keptTxn = s.keptTxn;
    this.checkpointTxn = s.keptTxn;
    this.slotTxn = s.slotTxn;
    if (s.log !== undefined) {
      this.log = new CommitLog(s.log);
      this.logPages = Math.max(LOG_MIN_PAGES, s.log.npages);
    }
    this.openers = s.openers;
    this.viewCkpt = s.keptTxn;
    this.spaceUnknown = s.spaceUnknown === true;
    if (s.logEnd !== undefined) this.log?.resume(s.logEnd.offset, s.logEnd.seq);
  }

  /** @internal the committed root */
  currentRoot(): Root {
    return this.root;
  }

  /** @internal where the commit log lives (undefined: no log) */
  get logExtent(): LogExtent | undefined {
    return this.log?.extent;
  }

  /** @internal a verified node (cached) */
  load(no: number, crc: number): Page {
    const hit = this.cache.get(no, crc);
    if (hit !== undefined) return hit;
    if (this.closed) {
      throw new StoreError("Closed", `Cannot read store at ${this.path}: the store is closed`);
    }
    if (no <= 0 || no >= this.space.pageCount) {
      throw corruption(this.path, `a node points at page ${no}, outside the file`);
    }
    let bytes = this.pager.read(no, 1);
    const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, true);
    if (length > PAGE_SIZE && length <= MAX_NODE_BYTES) {
      bytes = this.pager.read(no, Math.ceil(length / PAGE_SIZE));
    }
    const p = new Page(no, bytes, crc, this.path, true);
    this.cache.set(p);
    return p;
  }

  /** @internal an overflow value, verified against its hash (the caller's own bytes) */
  readOverflow(v: Ovf): Uint8Array {
    if (this.closed) {
      throw new StoreError("Closed", `Cannot read store at ${this.path}: the store is closed`);
    }
    if (v.page <= 0 || v.page + v.npages > this.space.pageCount) {
      throw corruption(this.path, `a value points at page ${v.page}, outside the file`);
    }
    const buf = this.pager.read(v.page, v.npages);
    const out = buf.subarray(0, v.len);
    if (hash32(out) !== v.crc) {
      throw corruption(this.path, `the value at page ${v.page} fails its checksum`);
    }
    // Pages still in memory belong to the store (a file read is a fresh buffer).
    return this.pager.isDirty(v.page) ? out.slice() : out;
  }
}

/** Throws `Closed` naming the operation once the store is closed. */
export function checkOpen(e: EngineCore, op: string): void {
  if (e.closed) {
    throw new StoreError("Closed", `Cannot ${op} in store at ${e.path}: the store is closed`);
  }
}

/** Makes free the pages no view, no durable header and no other opener can still reach. */
export function releaseFree(e: EngineCore): void {
  // A page freed by commit C is invisible to views at C or later.
  let pins = Infinity;
  for (const t of e.pins.keys()) if (t < pins) pins = t;
  // Commit ids count per opener; checkpoints (header slots) are the ids all
  // openers share: a snapshot also pins the checkpoint whose tree it reads.
  for (const c of e.ckptPins.keys()) if (c < pins) pins = c;
  const o = e.openers;
  const others = o === undefined || o.solo ? Infinity : e.othersPin;
  e.space.release(Math.min(e.checkpointTxn, pins, others));
}

/** Learns the free space before the tree changes, after another opener's checkpoint. */
export function knowSpace(e: EngineCore): void {
  if (!e.spaceUnknown) return;
  const gen = e.space.generation;
  e.space = followerSpace(e, e.root, e.space.pageCount, e.log?.extent, e.viewCkpt);
  e.space.generation = gen;
  e.spaceUnknown = false;
}

/** One commit's new pages and root, not yet installed; undefined when nothing changes. */
export function build(e: EngineCore, ops: RawOp[]): [Writer, Ref | undefined] | undefined {
  knowSpace(e);
  const root = e.root.page === 0 ? undefined : new Ref(e.root.page, e.root.crc);
  const w = new Writer(e, root, e.txn + 1);
  try {
    for (const op of ops) {
      if (op.key.length > MAX_RAW_KEY) {
        throw new StoreError(
          "InvalidInput",
          `Cannot write to store at ${e.path}: raw key of ${op.key.length} bytes is too long`,
        );
      }
      if (op.value === undefined) w.delete(op.key);
      else w.put(op.key, op.value);
    }
    return w.changed ? [w, w.commit()] : undefined;
  } catch (err) {
    w.abort();
    throw err;
  }
}

/** Makes a built commit the current tree (its freed pages wait for the views before it). */
export function install(e: EngineCore, w: Writer, next: Ref | undefined): void {
  e.root = next === undefined ? { page: 0, crc: 0 } : { page: next.page, crc: next.crc };
  e.txn = w.txn;
  e.space.addPending(w.txn, w.freed);
  // Superseded nodes leave the cache at once, so it holds the live tree
  // (a snapshot that still reads one loads it again).
  for (const p of w.freed) e.cache.delete(p);
  if (e.memory) e.keptTxn = e.checkpointTxn = w.txn;
  releaseFree(e);
}
