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
 * @module
 */
import type { RawEngine, RawEntry, RawOp, RawScanOptions, RawSnapshot } from "../../core/engine.ts";
import { StoreError } from "../../core/error.ts";
import { compareBytes } from "../../core/bytes.ts";
import { PageCache } from "./_cache.ts";
import { lookup, type ReadIO, type Root, scanTree } from "./_cursor.ts";
import {
  corruption,
  encodeSlot,
  hash32,
  MAX_NODE_BYTES,
  MAX_RAW_KEY,
  PAGE_SIZE,
  SLOT_OFFSETS,
} from "./_format.ts";
import { type Ovf, Page } from "./_page.ts";
import type { DeferredPager, Pager } from "./_pager.ts";
import { CommitLog, type LogExtent } from "./_log.ts";
import { overlay, WriteBuffer } from "./_buffer.ts";
import {
  APPEND_MIN_OPS,
  BUFFER_MAX_BYTES,
  grownLogPages,
  LARGE_VALUE_BYTES,
  LOG_MIN_PAGES,
  mergeSliceKeys,
  nextLogExtent,
} from "./_checkpoint.ts";
import { freeListPages, writeFreeList } from "./_recover.ts";
import { Ref, Writer } from "./_writer.ts";
import { relocate, repack } from "./_compact.ts";
import type { Openers } from "../../core/_openers.ts";
import { decodeTip, encodeTip, followerSpace, readSlots, slotLog, type Tip } from "./_follow.ts";
import type { Slot } from "./_format.ts";
import { FreeSpace } from "./_freespace.ts";
import { readRecordAt } from "./_log.ts";

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
const TICK_MS = 20;

/** The B-tree engine behind `openBTree`. */
export class BTreeEngine implements RawEngine, ReadIO {
  /** Where the store lives, or ":memory:". */
  readonly path: string;
  /** @internal page storage */
  readonly pager: Pager;
  /** @internal free pages */
  space: FreeSpace;
  /** @internal decoded pages */
  readonly cache: PageCache;
  readonly #memory: boolean;
  readonly #readOnly: boolean;
  readonly #unlockFile: () => void;
  #root: Root;
  #txn: number;
  /** Commits up to here are durable (in a synced log record or checkpoint). */
  #keptTxn: number;
  /** The commit whose header slot is durable: pages it reaches are kept. */
  #checkpointTxn: number;
  /** Appends commits (file stores open for writing). */
  #log: CommitLog | undefined;
  #logPages = LOG_MIN_PAGES;
  /** Commits since the last checkpoint (file stores): read first, merged at checkpoints. */
  #buffer = new WriteBuffer();
  readonly #slotTxn: [number, number];
  readonly #pins = new Map<number, number>();
  #syncing: Promise<void> | undefined;
  #closed = false;
  /** Why the last checkpoint failed: the store takes no more writes (or a clean close). */
  #failed: unknown;
  /** @internal fdatasync calls made by `sync` (group commit shares them) */
  syncCalls = 0;
  /** Set by core: commits other openers made, as this one learns of them (undefined: unknown ops). */
  onExternal: ((ops: readonly RawOp[] | undefined) => void) | undefined = undefined;
  /** Set by core: true while someone watches (the timer then keeps the process alive). */
  watching: (() => boolean) | undefined = undefined;
  readonly #openers: Openers | undefined;
  /** The checkpoint (header slot commit id) whose tree #root is. */
  #viewCkpt: number;
  /** Snapshots open per checkpoint they read (published as this opener's pin). */
  readonly #ckptPins = new Map<number, number>();
  /** The lowest pin of other openers, as read at the last checkpoint. */
  #othersPin = 0;
  #spaceUnknown: boolean;
  /** The tip as this opener last wrote or followed it. */
  #tip: Tip = { checkpoint: 0, seq: 0, direct: 0 };
  #tipDirty = false;
  /** A commit between beginCommit and endCommit (the writer lock is held, or solo). */
  #inCommit = false;
  /** A compaction or close in progress: solo mode is not handed over meanwhile. */
  #busy = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Reads since a solo opener last looked for newcomers, and when it did. */
  #soloReads = 0;
  #soloAt = 0;

  /** @internal use `openBTree` */
  constructor(s: EngineState) {
    this.path = s.path;
    this.pager = s.pager;
    this.space = s.space;
    this.cache = new PageCache(s.cacheSizeBytes);
    this.#memory = s.memory;
    this.#readOnly = s.readOnly;
    this.#unlockFile = s.unlock;
    this.#root = s.root;
    this.#txn = s.txn;
    this.#keptTxn = s.keptTxn;
    this.#checkpointTxn = s.keptTxn;
    this.#slotTxn = s.slotTxn;
    if (s.log !== undefined) {
      this.#log = new CommitLog(s.log);
      this.#logPages = Math.max(LOG_MIN_PAGES, s.log.npages);
    }
    this.#openers = s.openers;
    this.#viewCkpt = s.keptTxn;
    this.#spaceUnknown = s.spaceUnknown === true;
    if (s.logEnd !== undefined) this.#log?.resume(s.logEnd.offset, s.logEnd.seq);
    if (s.openers !== undefined) {
      const timer = setInterval(() => this.#tick(), TICK_MS);
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
  }

  /** @internal where the commit log lives (undefined: no log) */
  get logExtent(): LogExtent | undefined {
    return this.#log?.extent;
  }

  /** @internal checkpoints written (tests and benches read it) */
  checkpoints = 0;

  /** @internal the committed root */
  currentRoot(): Root {
    return this.#root;
  }

  /** @internal the newest commit id */
  get txn(): number {
    return this.#txn;
  }

  /** @internal a verified node (cached) */
  load(no: number, crc: number): Page {
    const hit = this.cache.get(no, crc);
    if (hit !== undefined) return hit;
    if (this.#closed) {
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
    if (this.#closed) {
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

  #checkOpen(op: string): void {
    if (this.#closed) {
      throw new StoreError("Closed", `Cannot ${op} in store at ${this.path}: the store is closed`);
    }
  }

  /** Point reads are synchronous and keep no reference to the key. */
  readonly syncReads = true;

  /** The stored value of a raw key. */
  get(key: Uint8Array): Uint8Array | undefined {
    this.#checkOpen("get");
    const o = this.#openers;
    if (o !== undefined && (o.solo ? ++this.#soloReads > 1024 && this.#soloLook(o) : true)) {
      this.#follow();
    }
    if (this.#buffer.size > 0) {
      const buffered = this.#buffer.get(key, Infinity);
      if (buffered !== undefined) return buffered ?? undefined;
    }
    return lookup(this, this.#root, key);
  }

  /** Raw entries in `[lo, hi)`. */
  scan(
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
    opts?: RawScanOptions,
  ): Iterable<RawEntry> {
    this.#checkOpen("scan");
    const o = this.#openers;
    if (o !== undefined && (!o.solo || this.#soloLook(o))) this.#follow();
    const reverse = opts?.reverse === true;
    const keysOnly = opts?.keysOnly === true;
    const tree = scanTree(this, undefined, lo, hi, reverse, keysOnly);
    if (this.#buffer.size === 0) return tree;
    return overlay(this.#buffer.entries(lo, hi, reverse, Infinity), tree, reverse, keysOnly);
  }

  /** A pinned view: its pages are not reused until `release`. */
  snapshot(): RawSnapshot {
    this.#checkOpen("snapshot");
    const o = this.#openers;
    if (o !== undefined && (!o.solo || this.#soloLook(o))) this.#follow();
    const root = this.#root;
    const txn = this.#txn;
    const ckpt = this.#viewCkpt;
    this.#ckptPins.set(ckpt, (this.#ckptPins.get(ckpt) ?? 0) + 1);
    // The buffer object is replaced (never emptied) at a checkpoint: it stays this view's.
    const buffer = this.#buffer;
    this.#pins.set(txn, (this.#pins.get(txn) ?? 0) + 1);
    let released = false;
    return {
      get: (key) => {
        const buffered = buffer.get(key, txn);
        return buffered !== undefined ? buffered ?? undefined : lookup(this, root, key);
      },
      scan: (lo, hi, opts) => {
        const reverse = opts?.reverse === true;
        const keysOnly = opts?.keysOnly === true;
        const tree = scanTree(this, root, lo, hi, reverse, keysOnly);
        if (buffer.size === 0) return tree;
        return overlay(buffer.entries(lo, hi, reverse, txn), tree, reverse, keysOnly);
      },
      release: () => {
        if (released) return;
        released = true;
        const n = (this.#pins.get(txn) ?? 1) - 1;
        if (n <= 0) this.#pins.delete(txn);
        else this.#pins.set(txn, n);
        const c = (this.#ckptPins.get(ckpt) ?? 1) - 1;
        if (c <= 0) this.#ckptPins.delete(ckpt);
        else this.#ckptPins.set(ckpt, c);
        if (!this.#closed) this.#publishPin();
        this.#releaseFree();
      },
    };
  }

  #releaseFree(): void {
    // A page freed by commit C is invisible to views at C or later.
    let pins = Infinity;
    for (const t of this.#pins.keys()) if (t < pins) pins = t;
    // Commit ids count per opener; checkpoints (header slots) are the ids all
    // openers share: a snapshot also pins the checkpoint whose tree it reads.
    for (const c of this.#ckptPins.keys()) if (c < pins) pins = c;
    const o = this.#openers;
    const others = o === undefined || o.solo ? Infinity : this.#othersPin;
    this.space.release(Math.min(this.#checkpointTxn, pins, others));
  }

  /**
   * Applies ops atomically: new pages for every changed node (in memory), a
   * log record, then the new root. A commit that cannot be logged is a
   * checkpoint instead.
   */
  apply(ops: RawOp[]): void | Promise<void> {
    this.#checkOpen("apply");
    if (this.#readOnly) {
      throw new StoreError("ReadOnly", `Cannot write to store at ${this.path}: opened read-only`);
    }
    if (this.#failed !== undefined) {
      throw new StoreError(
        "Io",
        `Cannot write to store at ${this.path}: an earlier write or sync failed, so what is ` +
          `on disk is unknown; reopen the store`,
        { cause: this.#failed },
      );
    }
    for (const op of ops) {
      if (op.key.length > MAX_RAW_KEY) {
        throw new StoreError(
          "InvalidInput",
          `Cannot write to store at ${this.path}: raw key of ${op.key.length} bytes is too long`,
        );
      }
    }
    if (this.#memory) {
      const built = this.#build(ops);
      if (built !== undefined) this.#install(built[0], built[1]);
      return;
    }
    const o = this.#openers;
    if (o === undefined || o.solo || o.locked) return this.#applyFile(ops);
    if (o.tryLock()) {
      try {
        this.#caughtUp();
        this.#applyFile(ops);
      } finally {
        this.#unlock();
      }
      return;
    }
    return (async () => {
      await o.lock();
      try {
        this.#caughtUp();
        this.#applyFile(ops);
      } finally {
        this.#unlock();
      }
    })();
  }

  /** A commit to the file; another opener's commits, if any, are caught up with already. */
  #applyFile(ops: RawOp[]): void {
    if (this.#openers !== undefined) this.#tipDirty = true;
    // A big batch of new keys past the end of the tree: written once, by a checkpoint.
    // Other openers learn of a commit by its log record: with them around,
    // every commit that fits in a log is logged (even if written twice).
    const shared = this.#openers?.solo === false;
    if (!shared && this.#appendsOnly(ops)) return this.#direct(ops);
    let large = 0;
    for (const op of ops) large += (op.value?.length ?? 0) > 2048 ? op.value!.length : 0;
    if (shared && this.#log === undefined) this.#checkpointOrFail(); // a log to append to
    // Large values would be written twice (log, then checkpoint): write them once.
    if ((!shared && large > LARGE_VALUE_BYTES) || this.#log === undefined) {
      if (this.#buffer.size > 0) this.#checkpointOrFail();
      return this.#direct(ops);
    }
    if (!this.#append(ops)) {
      this.#checkpointOrFail(); // an empty (perhaps longer) log
      if (!this.#append(ops)) return this.#direct(ops);
    }
    this.#txn++;
    this.#buffer.add(ops, this.#txn, this.#pins.size > 0);
    if (this.#buffer.bytes > BUFFER_MAX_BYTES) this.#checkpointOrFail();
  }

  /**
   * A commit that is its own checkpoint, with nothing buffered: one durable
   * point holds it whole (the buffer only ever holds logged commits, so a
   * checkpoint may merge those in several steps).
   */
  #direct(ops: RawOp[]): void {
    // Other openers cannot read this commit's ops: the tip counts it.
    if (this.#openers?.solo === false) this.#tip = { ...this.#tip, direct: this.#tip.direct + 1 };
    const built = this.#build(ops);
    if (built === undefined) return;
    this.#install(built[0], built[1]);
    this.#checkpointOrFail();
  }

  /** True for a big batch of puts of keys all above the tree's last key, with nothing buffered. */
  #appendsOnly(ops: RawOp[]): boolean {
    if (this.#buffer.size > 0 || ops.length < APPEND_MIN_OPS) return false;
    let min: Uint8Array | undefined;
    for (const op of ops) {
      if (op.value === undefined) return false;
      if (min === undefined || compareBytes(op.key, min) < 0) min = op.key;
    }
    if (this.#root.page === 0) return true;
    for (const [last] of scanTree(this, undefined, undefined, undefined, true, true)) {
      return compareBytes(min!, last) > 0;
    }
    return true;
  }

  /** A checkpoint of commits readers already see; if it fails, the store takes no more writes. */
  #checkpointOrFail(): void {
    try {
      this.#checkpoint(this.#logPages);
    } catch (err) {
      this.#failed = err;
      throw err;
    }
  }

  /**
   * Replays the opened slot's log (at open, before any other commit); a
   * writer then checkpoints, so new records never follow a torn one.
   */
  recover(records: RawOp[][], checkpoint = true): void {
    // Records replay into the buffer: over a tree that a partial checkpoint
    // already merged some of them into, they give the same state again.
    for (const ops of records) {
      this.#txn++;
      this.#buffer.add(ops, this.#txn, false);
    }
    if (checkpoint && !this.#readOnly && this.#log !== undefined) this.#checkpoint(this.#logPages);
    const o = this.#openers;
    if (o !== undefined && o.locked) {
      const raw = o.readTip();
      if (raw !== undefined) this.#tip = decodeTip(raw);
      this.#writeTip();
    }
  }

  /** One commit's new pages and root, not yet installed; undefined when nothing changes. */
  #build(ops: RawOp[]): [Writer, Ref | undefined] | undefined {
    this.#knowSpace();
    const root = this.#root.page === 0 ? undefined : new Ref(this.#root.page, this.#root.crc);
    const w = new Writer(this, root, this.#txn + 1);
    try {
      for (const op of ops) {
        if (op.key.length > MAX_RAW_KEY) {
          throw new StoreError(
            "InvalidInput",
            `Cannot write to store at ${this.path}: raw key of ${op.key.length} bytes is too long`,
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

  /** Appends a commit's record; false when the log is full (it grows at the checkpoint). */
  #append(ops: RawOp[]): boolean {
    if (this.#log!.append(this.pager, ops)) return true;
    this.#logPages = grownLogPages(this.#logPages, this.space.pageCount);
    return false;
  }

  #install(w: Writer, next: Ref | undefined): void {
    this.#root = next === undefined ? { page: 0, crc: 0 } : { page: next.page, crc: next.crc };
    this.#txn = w.txn;
    this.space.addPending(w.txn, w.freed);
    // Superseded nodes leave the cache at once, so it holds the live tree
    // (a snapshot that still reads one loads it again).
    for (const p of w.freed) this.cache.delete(p);
    if (this.#memory) this.#keptTxn = this.#checkpointTxn = w.txn;
    this.#releaseFree();
  }

  /**
   * Merges the buffer into the tree, then writes a header slot naming the
   * new root and a new, empty log of `logPages` pages (0 = none), and syncs.
   * A big buffer is merged in key-range slices, each made durable before the
   * next reuses the pages it freed: the file grows by one slice's worth, not
   * by every leaf the buffer touches. The slices' slots keep naming the old
   * log, whose records replay over a partly merged tree to the same state.
   */
  #checkpoint(logPages: number): void {
    this.#knowSpace();
    const o = this.#openers;
    if (o !== undefined && !o.solo) this.#othersPin = o.othersPin();
    const old = this.#log;
    if (this.#buffer.size > 0) {
      const ops = this.#buffer.ops();
      this.#buffer = new WriteBuffer();
      const step = mergeSliceKeys(ops.length, this.space);
      for (let i = 0; i < ops.length; i += step) {
        const built = this.#build(ops.slice(i, i + step));
        if (built !== undefined) this.#install(built[0], built[1]);
        if (i + step < ops.length) this.#durablePoint(old?.extent);
      }
    }
    const extent = logPages > 0
      ? nextLogExtent(
        // Other openers may still have to read the old log's last records: a new place.
        o !== undefined && !o.solo ? undefined : old?.extent,
        logPages,
        (this.#txn + 1) >>> 0,
        this.space,
        this.pager as DeferredPager,
      )
      : undefined;
    this.#durablePoint(extent);
    this.#log = extent === undefined ? undefined : new CommitLog(extent);
    if (old !== undefined && old.extent.page !== extent?.page) {
      const pages: number[] = [];
      for (let i = 0; i < old.extent.npages; i++) pages.push(old.extent.page + i);
      this.space.addPending(this.#txn, pages);
    }
    this.#releaseFree();
  }

  /** Writes the waiting pages, then a slot naming the current root and `log`, and syncs. */
  #durablePoint(log: LogExtent | undefined): void {
    const pager = this.pager as DeferredPager;
    this.#txn++;
    pager.flush((p) => this.space.isFree(p));
    this.checkpoints++;
    this.#writeSlot(undefined, undefined, log);
    pager.syncNow();
    this.#keptTxn = this.#checkpointTxn = this.#viewCkpt = this.#txn;
    this.#tipDirty = this.#openers !== undefined;
    this.#releaseFree();
  }

  /** Writes the current state into the slot that does not hold the durable state. */
  #writeSlot(
    clean?: { page: number; crc: number; count: number },
    slot?: 0 | 1,
    log?: LogExtent,
  ): void {
    const target = slot ?? (this.#slotTxn[0] === this.#checkpointTxn ? 1 : 0);
    const bytes = encodeSlot({
      txn: this.#txn,
      syncedTxn: this.#checkpointTxn,
      rootPage: this.#root.page,
      rootCrc: this.#root.crc,
      pageCount: this.space.pageCount,
      freePage: clean?.page ?? 0,
      freeCrc: clean?.crc ?? 0,
      freeCount: clean?.count ?? 0,
      clean: clean !== undefined,
      logPage: log?.page ?? 0,
      logPages: log?.npages ?? 0,
      logSalt: log?.salt ?? 0,
    });
    this.pager.writeAt(SLOT_OFFSETS[target], bytes);
    this.#slotTxn[target] = this.#txn;
  }

  /** Makes every applied commit durable; concurrent callers share one fdatasync. */
  async sync(): Promise<void> {
    if (this.#memory || this.#readOnly || this.#closed) return;
    const target = this.#txn;
    while (this.#keptTxn < target) {
      if (this.#syncing !== undefined) {
        await this.#syncing;
        continue;
      }
      const p = this.#doSync();
      this.#syncing = p;
      try {
        await p;
      } finally {
        if (this.#syncing === p) this.#syncing = undefined;
      }
    }
  }

  async #doSync(): Promise<void> {
    // Commits already queued behind the store's lock apply within a few
    // microtask turns; let them, so one (blocking) fdatasync covers them all.
    // (Bounded, so a never-ending stream of commits cannot starve durability.)
    for (let seen = -1, round = 0; seen !== this.#txn && round < 64; round++) {
      seen = this.#txn;
      for (let i = 0; i < 16; i++) await null;
    }
    const t = this.#txn;
    const log = this.#log;
    const seq = log?.seq ?? 0;
    this.syncCalls++;
    try {
      await this.pager.sync();
    } catch (err) {
      // fsyncgate: after a failed fsync the kernel may have dropped the dirty
      // pages, and a retried fsync would succeed without writing them.
      this.#failed = err;
      throw err;
    }
    if (log !== undefined && seq > log.syncedSeq) log.syncedSeq = seq;
    if (t > this.#keptTxn) this.#keptTxn = t;
  }

  /** File size in bytes (0 in memory). */
  sizeOnDisk(): number {
    return this.#closed ? 0 : this.pager.size();
  }

  /** Moves live pages toward the start of the file, then truncates the free tail. */
  async compact(): Promise<void> {
    this.#checkOpen("compact");
    if (this.#readOnly) return;
    const o = this.#openers;
    this.#busy++;
    try {
      if (o !== undefined && !o.solo) {
        await o.lock();
        this.#caughtUp();
      }
      await this.#compactLocked();
    } finally {
      this.#busy--;
      this.#unlock();
    }
  }

  async #compactLocked(): Promise<void> {
    this.#knowSpace();
    await this.#durable();
    if (this.#rewrite(repack)) await this.#durable();
    for (let pass = 0; pass < 4; pass++) {
      const live = this.space.pageCount - 1 - this.space.count - this.space.pendingCount;
      const boundary = 1 + live + Math.max(16, Math.ceil(live / 32));
      if (this.space.pageCount <= boundary) break;
      if (!this.#rewrite((w, root) => relocate(w, root, boundary))) break;
      await this.#durable();
    }
    const before = this.space.pageCount;
    const after = this.space.trimTail();
    if (after < before && !this.#memory) {
      this.#checkpoint(0);
      this.pager.truncate(after * PAGE_SIZE);
    } else if (after < before) this.pager.truncate(after * PAGE_SIZE);
  }

  /** Checkpoints with no log (compaction moves pages, a log would sit in the way). */
  async #durable(): Promise<void> {
    while (this.#syncing !== undefined) await this.#syncing;
    if (this.#memory) this.#keptTxn = this.#checkpointTxn = this.#txn;
    else this.#checkpoint(0);
    this.#releaseFree();
  }

  /** One commit that rewrites part of the tree (compaction); false when nothing changed. */
  #rewrite(build: (w: Writer, root: Ref) => boolean): boolean {
    if (this.#root.page === 0) return false;
    this.#knowSpace();
    const root = new Ref(this.#root.page, this.#root.crc);
    const w = new Writer(this, root, this.#txn + 1);
    let next: Ref | undefined;
    try {
      if (!build(w, root)) return false;
      next = w.commit();
    } catch (err) {
      w.abort();
      throw err;
    }
    this.#install(w, next);
    return true;
  }

  // ---- Several openers (see core/_openers.ts and docs/btree.md) ----

  /** Learns of other openers' commits: one read of the tip when nothing changed. */
  #follow(): void {
    const o = this.#openers!;
    if (o.locked) return;
    const raw = o.readTip();
    if (raw !== undefined) {
      const t = decodeTip(raw);
      const mine = this.#tip;
      if (t.checkpoint === mine.checkpoint && t.seq === mine.seq && t.direct === mine.direct) {
        return;
      }
      this.#catchUp(t);
    } else this.#catchUp(undefined);
  }

  /** Catches up with the header slots and the log (under the writer lock before a commit). */
  #caughtUp(): void {
    const raw = this.#openers!.readTip();
    this.#catchUp(raw === undefined ? undefined : decodeTip(raw));
  }

  #catchUp(tip: Tip | undefined): void {
    const slots = readSlots(this.pager, this.path);
    this.#slotTxn[0] = slots.txns[0];
    this.#slotTxn[1] = slots.txns[1];
    if (slots.newest.txn > this.#viewCkpt) this.#adopt(slots.newest);
    this.#readRecords();
    if (tip !== undefined) {
      if (tip.direct !== this.#tip.direct) this.onExternal?.(undefined);
      this.#tip = tip;
    }
    this.#publishPin();
  }

  /** Learns of other openers' commits now (core calls it before a watch starts). */
  refresh(): void {
    const o = this.#openers;
    if (o !== undefined && !o.solo && !this.#closed) this.#follow();
  }

  /** Takes on another opener's checkpoint: its root, its log, and free space still to learn. */
  #adopt(slot: Slot): void {
    const log = slotLog(slot);
    const cur = this.#log?.extent;
    if (log === undefined || cur === undefined || log.page !== cur.page || log.salt !== cur.salt) {
      // The old log's last records are in the new tree, but watchers and
      // transactions here have to hear of them.
      this.#readRecords();
      this.#log = log === undefined ? undefined : new CommitLog(log);
      if (log !== undefined) this.#logPages = Math.max(LOG_MIN_PAGES, log.npages);
      // Snapshots keep the old buffer object: never emptied, replaced.
      this.#buffer = new WriteBuffer();
    }
    this.#root = { page: slot.rootPage, crc: slot.rootCrc };
    if (slot.txn > this.#txn) this.#txn = slot.txn;
    // The checkpoint's fdatasync covered every record written before it, ours too.
    this.#keptTxn = Math.max(this.#keptTxn, this.#txn);
    this.#checkpointTxn = this.#viewCkpt = slot.txn;
    const space = new FreeSpace(slot.pageCount);
    space.generation = this.space.generation + 1; // unpinned scans re-seek
    this.space = space;
    this.#spaceUnknown = true;
  }

  /** Reads records other openers appended after this opener's position. */
  #readRecords(): void {
    const log = this.#log;
    if (log === undefined) return;
    for (;;) {
      const r = readRecordAt(this.pager, log.extent, log.used, log.seq + 1);
      if (r === undefined) return;
      log.resume(log.used + r.span, log.seq + 1);
      this.#txn++;
      this.#buffer.add(r.ops, this.#txn, this.#pins.size > 0);
      this.onExternal?.(r.ops);
    }
  }

  /** Learns the free space before the tree changes, after another opener's checkpoint. */
  #knowSpace(): void {
    if (!this.#spaceUnknown) return;
    const gen = this.space.generation;
    this.space = followerSpace(
      this,
      this.#root,
      this.space.pageCount,
      this.#log?.extent,
      this.#viewCkpt,
    );
    this.space.generation = gen;
    this.#spaceUnknown = false;
  }

  /** Says which oldest checkpoint this opener may still read. */
  #publishPin(): void {
    const o = this.#openers;
    if (o === undefined || o.solo) return;
    let pin = this.#viewCkpt;
    for (const c of this.#ckptPins.keys()) if (c < pin) pin = c;
    o.publishPin(pin);
  }

  #writeTip(): void {
    this.#tip = { checkpoint: this.#viewCkpt, seq: this.#log?.seq ?? 0, direct: this.#tip.direct };
    this.#openers!.writeTip(encodeTip(this.#tip));
    this.#tipDirty = false;
  }

  /** Releases the writer lock, publishing the tip first if this opener changed the store. */
  #unlock(): void {
    const o = this.#openers;
    if (o === undefined || !o.locked) return;
    try {
      if (this.#tipDirty && !this.#closed) this.#writeTip();
    } finally {
      o.unlock();
    }
  }

  /**
   * Before core builds a commit (a transaction validates there): takes the
   * writer lock and catches up, so the validation sees every commit made
   * anywhere, and nothing slips in before this commit's record.
   */
  beginCommit(): void | Promise<void> {
    const o = this.#openers;
    const solo = o !== undefined && o.solo && (++this.#soloReads < 64 || !this.#soloLook(o));
    this.#inCommit = true;
    if (o === undefined || solo || o.locked || this.#closed) return;
    const caughtUp = () => {
      try {
        this.#caughtUp();
      } catch (err) {
        this.endCommit();
        throw err;
      }
    };
    if (o.tryLock()) return caughtUp();
    return o.lock().then(caughtUp, (err) => {
      this.#inCommit = false;
      throw err;
    });
  }

  /** After the commit (or its failure): releases the writer lock. */
  endCommit(): void {
    this.#inCommit = false;
    this.#unlock();
  }

  /** Every few ms: hand solo mode over to a newcomer, or follow others and take solo back. */
  #tick(): void {
    const o = this.#openers;
    if (o === undefined || this.#closed) return;
    // Watchers wait on this timer for other openers' commits: it keeps the process alive then.
    if (this.watching?.() === true) Deno.refTimer(this.#timer!);
    else Deno.unrefTimer(this.#timer!);
    if (this.#inCommit || this.#busy > 0 || o.locked) return;
    try {
      if (o.solo) {
        this.#soloAt = Date.now();
        if (o.others() > 0) this.#handOver(o);
      } else {
        this.#follow();
        if (!this.#readOnly && o.others() === 0 && o.trySolo()) {
          // Alone now; the last one out may have committed after our last look.
          if (o.tryLock()) {
            try {
              this.#caughtUp();
            } finally {
              this.#unlock();
            }
          }
        }
      }
    } catch {
      // The next read or commit meets the same error and reports it.
    }
  }

  /**
   * A solo opener whose program never yields to timers (a tight loop of
   * commits or reads) still looks for newcomers every few ms; true when it
   * handed solo mode over (the caller goes on as one of several openers).
   */
  #soloLook(o: Openers): boolean {
    this.#soloReads = 0;
    const now = Date.now();
    if (now - this.#soloAt < TICK_MS || this.#busy > 0 || this.#inCommit) return false;
    this.#soloAt = now;
    if (o.others() === 0) return false;
    this.#handOver(o);
    return !o.solo;
  }

  /** A newcomer waits: publish the tip and this opener's pin, then stop running solo. */
  #handOver(o: Openers): void {
    const locked = o.tryLock();
    try {
      if (locked) this.#writeTip();
      o.leaveSolo();
      this.#publishPin();
    } finally {
      if (locked) o.unlock();
    }
  }

  /**
   * @internal The process is gone (the fault tests' simulated power cut or
   * kill): leaves the set of openers, as a killed process's lock release
   * would, and writes nothing. Tests that simulate a crash in-process and
   * reopen must call it, or the reopen sees this handle as a live opener.
   */
  abandon(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#closed = true;
    this.#openers?.close();
  }

  /** Page-cache counters. */
  cacheStats(): { hits: number; misses: number } {
    return { hits: this.cache.hits, misses: this.cache.misses };
  }

  /** Saves the free list, marks the header clean (fast reopen), releases the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const o = this.#openers;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#busy++;
    try {
      if (!this.#memory && !this.#readOnly && this.#failed === undefined) {
        await this.sync();
        while (this.#syncing !== undefined) await this.#syncing;
        if (o === undefined || o.solo) this.#cleanClose();
        else {
          // The last opener out leaves a clean file; others keep the file as it is.
          await o.lock();
          this.#caughtUp();
          if (o.others() === 0) this.#cleanClose();
        }
      }
    } finally {
      this.#closed = true;
      this.cache.clear();
      try {
        this.#unlock();
        this.pager.close();
      } finally {
        try {
          this.#unlockFile();
        } finally {
          o?.close();
        }
      }
    }
  }

  #cleanClose(): void {
    this.#checkpoint(0);
    this.space.release(Infinity);
    // Tree and durable header are the same state now: free pages at the end can go.
    this.space.trimTail();
    const all = this.space.all();
    let m = 0;
    while (m < freeListPages(all.length - m)) m++;
    const listPages = all.slice(0, m);
    const entries = all.slice(m);
    this.pager.truncate(this.space.pageCount * PAGE_SIZE);
    const head = writeFreeList(this, entries, listPages);
    (this.pager as DeferredPager).flush(() => false);
    // The free list is durable before a clean slot names it: recovery never
    // falls back past a clean slot (a power cut could keep the slot, not the list).
    this.pager.syncNow();
    const clean = { page: head.page, crc: head.crc, count: entries.length };
    const first = this.#slotTxn[0] === this.#checkpointTxn ? 1 : 0;
    this.#writeSlot(clean, first);
    this.pager.syncNow();
    this.#writeSlot(clean, first === 0 ? 1 : 0);
    this.pager.syncNow();
  }
}
