/**
 * {@link LsmEngine}: a log-structured merge tree implementing core's
 * RawEngine. Commits go to a write-ahead log and a memtable; full memtables
 * are flushed to level-0 tables and merged down the levels in the
 * background, in small slices so writers never wait long.
 *
 * @module
 */
import type { LsmOptions, LsmStats } from "./lsm_options.ts";
import type { RawEngine, RawEntry, RawOp, RawScanOptions, RawSnapshot } from "../../core/engine.ts";
import { StoreError, toStoreError } from "../../core/error.ts";
import { type Cursor, LevelCursor, MemCursor, MergeCursor, TableCursor } from "./_cursor.ts";
import { BlockCache } from "./_block_cache.ts";
import {
  type CompactionJob,
  type LevelShape,
  levelTarget,
  MAX_LEVELS,
  pickCompaction,
} from "./_compaction.ts";
import type { LsmFs } from "./_fs.ts";
import { Aborted, type BuildOptions, buildTables, type DeadPolicy, yieldNow } from "./_jobs.ts";
import {
  acquireWorkers,
  type JobWorker,
  releaseWorkers,
  type Workers,
  WorkerUnavailable,
} from "./_worker_client.ts";
import { loadManifest, sortFiles } from "./_recovery.ts";
import { Openers } from "../../core/_openers.ts";
import { decodeManifest, MANIFEST_NAME, type ManifestState } from "./_manifest.ts";
import {
  decodeTip,
  encodeTip,
  JOBS_NAME,
  JobsLock,
  LOCK_NAME,
  type LsmTip,
  READERS_NAME,
  sameTip,
} from "./_shared.ts";
import { Memtable, TOMBSTONE } from "../../core/_memtable.ts";
import { getIn, scanView, type View } from "./_read.ts";
import { tableName } from "./_table_reader.ts";
import type { TableMeta } from "./_table_writer.ts";
import type { Table } from "./_version.ts";
import { VersionSet } from "./_version_set.ts";
import { readRecords, readWal, WAL_HEADER, walName, WalWriter } from "./_wal.ts";
import type { LsmFile } from "./_fs.ts";

/** Longest stretch of commits without an event-loop turn while jobs run. */
const YIELD_MS = 5;
/** How often an opener checks for newcomers (solo) or for others' commits (watch). */
const TICK_MS = 20;

/** The LSM tree over a file system (disk or memory). */
export class LsmEngine implements RawEngine {
  readonly path: string;
  readonly #fs: LsmFs;
  readonly #readOnly: boolean;
  readonly #o: Required<LsmOptions>;
  readonly #cache: BlockCache;
  readonly #shape: LevelShape;
  #mem = new Memtable();
  #wal: WalWriter | undefined;
  #imms: { mem: Memtable; wal: number; bytes: number }[] = [];
  readonly #vs: VersionSet;
  #seq = 0;
  #pins = 0;
  #closing = false;
  #closed = false;
  #paused = false;
  #bgFlush: Promise<void> | undefined;
  #bgCompact: Promise<void> | undefined;
  #bgError: StoreError | undefined;
  #waiters: (() => void)[] = [];
  #pointers: (Uint8Array | undefined)[] = [];
  #userBytes = 0;
  #flushes = 0;
  #compactions = 0;
  #stalls = 0;
  #walSyncs = 0;
  #workers: Workers | undefined;
  #workerWritten = 0;
  #flushWorker: JobWorker | undefined;
  /** The last fdatasync of rotated logs. */
  #oldSync: Promise<void> | undefined;
  #lastYield = 0;
  #compactWorker: JobWorker | undefined;

  // ---- Several openers (see core/_openers.ts and docs/lsm.md) ----
  /** Set by core: commits other openers made, as this one learns of them. */
  onExternal: ((ops: readonly RawOp[] | undefined) => void) | undefined = undefined;
  /** Set by core: true while someone watches (the timer then keeps the process alive). */
  watching: (() => boolean) | undefined = undefined;
  /** The other openers of the directory (undefined in memory). */
  #openers: Openers | undefined;
  /** Flushes and compactions: one process at a time. */
  #jobs: JobsLock = new JobsLock(undefined);
  /** The current log and where the records this opener has applied end. */
  #walNo = 0;
  #walEnd = 0;
  /** The current log of a read-only opener (writers read through their WalWriter). */
  #walReader: LsmFile | undefined;
  /** The tip as this opener last read or wrote it. */
  #tip: LsmTip = { wal: -1, end: -1, edit: -1 };
  #tipDirty = false;
  /** A manifest edit of this process not yet in the tip. */
  #editUnpublished = false;
  /** Files obsolete since a manifest edit, kept while another opener may read an older one. */
  #pending: { name: string; edit: number }[] = [];
  /** Pinned views per manifest edit they read (the lowest is this opener's pin). */
  readonly #viewPins = new Map<number, number>();
  #inCommit = false;
  #busy = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #soloReads = 0;
  #soloAt = 0;
  #openKick: ReturnType<typeof setTimeout> | undefined;

  private constructor(fs: LsmFs, readOnly: boolean, opts: LsmOptions) {
    this.#fs = fs;
    this.path = fs.path;
    this.#readOnly = readOnly;
    this.#o = {
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
    this.#cache = new BlockCache(this.#o.cacheSizeBytes);
    this.#vs = new VersionSet(fs, this.#cache, () => this.#wake());
    this.#shape = this.#o;
  }

  /**
   * Opens (or, unless read-only, creates) the store on `fs`: reads the
   * manifest, opens its tables, replays the write-ahead logs.
   */
  static async open(fs: LsmFs, readOnly: boolean, opts: LsmOptions = {}): Promise<LsmEngine> {
    const e = new LsmEngine(fs, readOnly, opts);
    if (e.#o.backgroundThreads && !fs.inMemory && !readOnly && typeof Worker === "function") {
      e.#workers = acquireWorkers();
      e.#flushWorker = e.#workers.flush;
      e.#compactWorker = e.#workers.compact;
    }
    try {
      if (fs.inMemory) await e.#recover();
      else await e.#join();
    } catch (err) {
      if (e.#workers) releaseWorkers(e.#workers);
      e.#closeFiles();
      e.#leave();
      throw err;
    }
    return e;
  }

  /**
   * Joins the directory's openers. Alone, the directory is as the last
   * opener (or a crash) left it: recover it. Otherwise it is live: take its
   * newest state as it is, touching nothing.
   */
  async #join(): Promise<void> {
    const dir = this.#fs.path;
    const o = await Openers.join(dir, `${dir}/${LOCK_NAME}`, `${dir}/${READERS_NAME}`);
    this.#openers = o;
    if (!this.#readOnly) this.#jobs = new JobsLock(`${dir}/${JOBS_NAME}`);
    this.#vs.obsolete = (name) => this.#obsolete(name, this.#vs.edit);
    await o.lock();
    let alone: boolean;
    try {
      alone = o.others() === 0;
      if (alone) {
        await this.#recover();
        // The tip may be stale (a crash, or a lone opener that never wrote
        // it): it is the recovered state now.
        this.#writeTip();
      } else this.#attach();
    } finally {
      o.unlock();
    }
    if (alone) o.trySolo();
    this.#publishPin();
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    Deno.unrefTimer(this.#timer);
  }

  /** The newest state of a directory other openers have open (the writer lock is held). */
  #attach(): void {
    const fs = this.#fs;
    const state = loadManifest(fs, true);
    this.#vs.load(state);
    const raw = this.#openers!.readTip();
    let tip = raw === undefined ? undefined : decodeTip(raw);
    const wals = fs.list().map(walNumber).filter((n): n is number =>
      n !== undefined && n >= state.logNumber
    ).sort((a, b) => a - b);
    if (tip === undefined || !wals.includes(tip.wal)) {
      tip = { wal: wals.at(-1) ?? state.logNumber, end: Infinity, edit: state.edit };
    }
    this.#walNo = tip.wal;
    this.#walEnd = WAL_HEADER;
    for (const w of wals) {
      if (w > tip.wal) break;
      const name = walName(w);
      const bytes = fs.readFile(name);
      const to = w === tip.wal ? Math.min(tip.end, bytes.length) : bytes.length;
      const used = readRecords(bytes.subarray(WAL_HEADER, to), name, (ops) => this.#applyMem(ops));
      if (w < tip.wal) {
        this.#imms.push({ mem: this.#mem, wal: w, bytes: bytes.length });
        this.#mem = new Memtable();
      } else this.#walEnd = WAL_HEADER + used;
    }
    const name = walName(this.#walNo);
    if (this.#readOnly) {
      if (fs.exists(name)) this.#walReader = fs.open(name, false);
    } else if (fs.exists(name)) {
      this.#wal = new WalWriter(fs.open(name, true), this.#walNo, false, this.#walEnd);
    } else {
      this.#wal = new WalWriter(fs.create(name), this.#walNo, true);
      this.#wal.writeOut();
      fs.syncDir();
      this.#walEnd = this.#wal.size;
      this.#tipDirty = true;
    }
    this.#tip = raw === undefined ? tip : decodeTip(raw);
  }

  async #recover(): Promise<void> {
    const fs = this.#fs;
    const state = loadManifest(fs, this.#readOnly);
    this.#vs.load(state);
    const { wals, nextFile } = sortFiles(fs, state, this.#readOnly);
    this.#vs.nextFile = nextFile;
    // A log cut short by a crash ends the replay, also when it is not the
    // newest one: a rotated log's last fdatasync runs in the background and
    // no later commit is acknowledged before it completes.
    this.#walNo = Math.max(state.logNumber - 1, ...wals);
    let whole = true;
    for (const w of wals) {
      const name = walName(w);
      const { batches, torn, end } = readWal(fs.readFile(name), name, true);
      for (const ops of batches) this.#applyMem(ops);
      this.#walNo = w;
      this.#walEnd = end;
      whole = !torn;
      if (torn) break;
    }
    if (this.#readOnly) {
      if (fs.exists(walName(this.#walNo))) this.#walReader = fs.open(walName(this.#walNo), false);
      return;
    }
    // After a clean close: one empty, whole log the manifest names. It goes on
    // as it is (no table to write, no manifest edit, no new log: a fast open).
    if (
      wals.length === 1 && wals[0] === state.logNumber && whole && this.#mem.count === 0 &&
      this.#walEnd === WAL_HEADER
    ) {
      this.#wal = new WalWriter(fs.open(walName(wals[0]), true), wals[0], false, WAL_HEADER);
      // Compactions the tables may need start after the open (and its first reads).
      this.#openKick = setTimeout(() => {
        this.#openKick = undefined;
        this.#kick();
      }, 0);
      return;
    }
    // The new log comes after every old one (they are all deleted below).
    this.#walNo = Math.max(state.logNumber - 1, ...wals);
    await this.#openWal();
    if (this.#mem.count > 0) {
      const mem = this.#mem;
      this.#mem = new Memtable();
      const metas = await this.#build(new MemCursor(mem, undefined, Infinity), "keep", false);
      await this.#vs.install(metas.map((m) => [0, m]), new Set(), this.#wal!.number);
      this.#flushes++;
    } else {
      await this.#vs.install([], new Set(), this.#wal!.number);
    }
    for (const w of wals) fs.remove(walName(w));
    this.#kick();
  }

  /**
   * Starts the next log; the directory fsync that makes it durable runs in
   * the background. Logs are numbered one after another, so the next
   * writer to start a log after one that was killed doing it starts the same
   * file again.
   */
  #openWal(): Promise<void> {
    const n = this.#walNo + 1;
    this.#wal = new WalWriter(this.#fs.create(walName(n)), n, true);
    this.#wal.writeOut();
    this.#walNo = n;
    this.#walEnd = this.#wal.size;
    return this.#fs.syncDirAsync();
  }

  // ---------------------------------------------------------------- writes

  #applyMem(ops: RawOp[]): void {
    const seq = ++this.#seq;
    const keep = this.#pins > 0;
    const mem = this.#mem;
    for (const op of ops) {
      mem.put(op.key, op.value ?? TOMBSTONE, seq, keep);
      this.#userBytes += op.key.length + (op.value?.length ?? 0);
    }
  }

  #check(op: string): void {
    if (this.#closed || this.#closing) {
      throw new StoreError("Closed", `Cannot ${op} in LSM store at ${this.path}: it is closed`);
    }
    // After a failure writes stop until a reopen; reads go on from what is in memory and on disk.
    if (this.#bgError && (op === "write" || op === "compact")) throw this.#bgError;
  }

  /** Logs and applies one commit. */
  apply(ops: RawOp[]): void | Promise<void> {
    this.#check("write");
    if (this.#readOnly) {
      throw new StoreError("ReadOnly", `Cannot write to LSM store at ${this.path}: read-only`);
    }
    const o = this.#openers;
    if (o !== undefined && !o.solo) {
      if (o.locked) return this.#applyShared(ops);
      return (async () => {
        await o.lock();
        try {
          this.#caughtUp();
          await this.#applyShared(ops);
        } finally {
          this.#unlock();
        }
      })();
    }
    // Also give the event loop a turn now and then while background jobs run,
    // so their replies are handled even when commits never wait for I/O.
    if (
      this.#full() || this.#mustStall() ||
      ((this.#bgFlush || this.#bgCompact) && performance.now() - this.#lastYield > YIELD_MS)
    ) return this.#applySlow(ops);
    this.#wal!.add(ops);
    this.#applyMem(ops);
  }

  /**
   * A commit with other openers around (the writer lock is held and this
   * opener has caught up): the record is written to the file at once, and
   * the tip written at unlock names its end.
   */
  #applyShared(ops: RawOp[]): void | Promise<void> {
    const wal = this.#wal!;
    wal.resumeAt(this.#walEnd);
    if (this.#full()) this.#rotate();
    if (this.#mustStall()) return this.#stallShared(ops);
    this.#appendShared(ops);
  }

  #appendShared(ops: RawOp[]): void {
    const wal = this.#wal!;
    wal.add(ops);
    wal.writeOut();
    this.#applyMem(ops);
    this.#walEnd = wal.size;
    this.#tipDirty = true;
  }

  /** Waits for the process holding the jobs lock (perhaps this one) to flush or compact. */
  async #stallShared(ops: RawOp[]): Promise<void> {
    while (this.#mustStall()) {
      this.#stalls++;
      this.#kick();
      await new Promise((r) => setTimeout(r, 2));
      this.#check("write");
      if (!this.#jobs.held) this.#reloadManifest();
    }
    this.#appendShared(ops);
  }

  /** The memtable, or its log (overwrites grow only the log), reached the limit. */
  #full(): boolean {
    const limit = this.#o.memtableBytes;
    return this.#mem.bytes >= limit || this.#wal!.size >= limit;
  }

  #mustStall(): boolean {
    return this.#imms.length >= this.#o.maxImmutable ||
      (this.#vs.current.levels[0]?.length ?? 0) >= this.#o.l0Stop;
  }

  async #applySlow(ops: RawOp[]): Promise<void> {
    if (this.#full()) this.#rotate();
    else {
      await yieldNow();
      this.#check("write");
    }
    this.#lastYield = performance.now();
    while (this.#mustStall()) {
      this.#stalls++;
      this.#kick();
      await this.#progress();
      this.#check("write");
    }
    this.#wal!.add(ops);
    this.#applyMem(ops);
  }

  /**
   * Freezes the memtable and starts a new log. The old log's last fdatasync
   * and the directory fsync run in the background; `sync()` waits for them.
   */
  #rotate(): void {
    const old = this.#wal!;
    old.writeOut();
    const shared = this.#openers?.locked === true;
    if (shared) {
      // Frozen, the log ends at its last whole record; others append to the
      // next one at once, so this one must be durable first.
      old.resumeAt(this.#walEnd);
      old.file.syncDataSync();
    }
    // The new log first: if it cannot be made, the old one stays (and no
    // background sync is left without a listener); the store takes no more writes.
    let dir: Promise<void>;
    try {
      dir = this.#openWal();
    } catch (err) {
      this.#wal = old;
      this.#fail(err);
      throw err;
    }
    const done = old.finish().finally(() => {
      old.close();
      this.#walSyncs += old.syncs;
    });
    if (shared) {
      // Others commit to the new log at once: its name must be durable first.
      this.#fs.syncDir();
      this.#tipDirty = true;
    }
    const all = Promise.all([this.#oldSync, done, dir]).then(() => {});
    this.#oldSync = all;
    all.then(() => {
      if (this.#oldSync === all) this.#oldSync = undefined;
    }, () => {});
    this.#imms.push({ mem: this.#mem, wal: old.number, bytes: old.size });
    this.#mem = new Memtable();
    this.#kick();
  }

  #progress(): Promise<void> {
    return new Promise((r) => this.#waiters.push(r));
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const r of w) r();
  }

  /** Durable up to the latest commit; concurrent calls share one fdatasync. */
  sync(): Promise<void> {
    if (this.#closed || !this.#wal) return Promise.resolve();
    const p = this.#wal.sync();
    const all = this.#oldSync ? Promise.all([this.#oldSync, p]).then(() => {}) : p;
    return all.catch((err) => {
      // fsyncgate: after a failed fsync the kernel may have dropped the dirty
      // pages, and a retried fsync would succeed without writing them.
      this.#bgError ??= toStoreError(
        err,
        `sync LSM store at ${this.path}, so what is on disk is unknown; reopen the store`,
      );
      throw err;
    });
  }

  // ---------------------------------------------------------------- reads

  #liveView(): View {
    const mems = [this.#mem];
    for (let i = this.#imms.length - 1; i >= 0; i--) mems.push(this.#imms[i]!.mem);
    return { seq: Infinity, mems, version: this.#vs.current };
  }

  /** Point reads are synchronous and keep no reference to the key. */
  readonly syncReads = true;

  /** The stored value, or undefined. */
  get(key: Uint8Array): Uint8Array | undefined {
    this.#check("get");
    const o = this.#openers;
    if (o !== undefined && (o.solo ? ++this.#soloReads > 1024 && this.#soloLook(o) : true)) {
      this.#follow();
    }
    if (this.#imms.length === 0) {
      const v = this.#mem.get(key, Infinity);
      if (v !== undefined) return v.length === 0 ? undefined : v.slice();
      return getIn({ seq: Infinity, mems: [], version: this.#vs.current }, key);
    }
    return getIn(this.#liveView(), key);
  }

  #pin(): View {
    const o = this.#openers;
    if (o !== undefined && (!o.solo || this.#soloLook(o))) this.#follow();
    const view = this.#liveView();
    view.seq = this.#seq;
    view.version.refs++;
    this.#pins++;
    const e = view.version.edit;
    this.#viewPins.set(e, (this.#viewPins.get(e) ?? 0) + 1);
    return view;
  }

  #unpin(view: View): void {
    this.#pins--;
    const e = view.version.edit;
    const n = (this.#viewPins.get(e) ?? 1) - 1;
    if (n <= 0) this.#viewPins.delete(e);
    else this.#viewPins.set(e, n);
    this.#vs.unref(view.version);
    if (this.#openers?.solo === false && !this.#closed) {
      this.#publishPin();
      this.#reap();
    }
  }

  /** Entries in `[lo, hi)` as of the call (a pinned point-in-time view). */
  *scan(
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
    opts?: RawScanOptions,
  ): Generator<RawEntry> {
    this.#check("scan");
    const view = this.#pin();
    try {
      yield* scanView(view, lo, hi, opts);
    } finally {
      this.#unpin(view);
    }
  }

  /** A pinned view: sequence number, memtables and tables stay until release. */
  snapshot(): RawSnapshot {
    this.#check("snapshot");
    const view = this.#pin();
    let released = false;
    return {
      get: (key) => {
        if (released) throw new StoreError("InvalidInput", `Snapshot of ${this.path} released`);
        return getIn(view, key);
      },
      scan: (lo, hi, opts) => {
        if (released) throw new StoreError("InvalidInput", `Snapshot of ${this.path} released`);
        return scanView(view, lo, hi, opts);
      },
      release: () => {
        if (released) return;
        released = true;
        this.#unpin(view);
      },
    };
  }

  // ---------------------------------------------------------------- versions

  // ---------------------------------------------------------------- background

  #kick(): void {
    if (this.#paused || this.#closing || this.#closed || this.#readOnly || this.#bgError) return;
    // Taking the jobs lock catches up with other openers, which may kick too.
    if (!this.#bgFlush && this.#imms.length > 0 && this.#takeJobs()) {
      if (this.#bgFlush || this.#imms.length === 0) this.#jobs.release();
      else {
        this.#bgFlush = this.#flushLoop().catch((err) => this.#fail(err)).finally(() => {
          this.#bgFlush = undefined;
          this.#jobs.release();
          this.#kick();
        });
      }
    }
    if (
      !this.#bgCompact && pickCompaction(this.#vs.current.levels, this.#shape, []) &&
      this.#takeJobs()
    ) {
      if (this.#bgCompact) this.#jobs.release();
      else {
        this.#bgCompact = this.#compactLoop().catch((err) => this.#fail(err)).finally(() => {
          this.#bgCompact = undefined;
          this.#jobs.release();
          this.#kick();
        });
      }
    }
  }

  /**
   * Takes the jobs lock unless another process holds it. Just taken, the
   * manifest on disk may be newer than this opener's (the last holder
   * edited it): jobs start from it, or not at all.
   */
  #takeJobs(): boolean {
    const got = this.#jobs.tryAcquire();
    if (got === undefined) return false;
    if (!got.fresh || this.#openers === undefined) return true;
    try {
      if (!this.#openers.solo) this.#follow();
      if (this.#reloadManifest()) return true;
    } catch { /* the next read or commit meets it */ }
    this.#jobs.release();
    return false;
  }

  #fail(err: unknown): void {
    if (err instanceof Aborted) return;
    this.#bgError ??= toStoreError(
      err,
      `run background work in LSM store at ${this.path} (it takes no writes until reopened)`,
    );
    this.#wake();
  }

  async #flushLoop(): Promise<void> {
    while (this.#imms.length > 0 && !this.#closing && !this.#paused) {
      await this.#flushOldest(true);
    }
  }

  async #flushOldest(background: boolean): Promise<void> {
    const imm = this.#imms[0]!;
    const w = this.#flushWorker;
    let metas: TableMeta[];
    const useWorker = w && background && imm.bytes >= this.#o.workerMinBytes;
    const numbers = useWorker ? this.#reserve(1) : [];
    const viaWorker = useWorker
      ? await this.#inWorker(w, numbers, {
        kind: "flush",
        dir: this.#fs.path,
        wal: walName(imm.wal),
        numbers,
        o: this.#buildOptions("keep", false),
      })
      : undefined;
    if (viaWorker) metas = viaWorker;
    else {
      metas = await this.#build(new MemCursor(imm.mem, undefined, Infinity), "keep", background);
    }
    const nextLog = this.#imms[1]?.wal ?? this.#walNo;
    await this.#vs.install(metas.map((m) => [0, m]), new Set(), nextLog);
    this.#imms.shift();
    this.#flushes++;
    if (this.#oldSync) await this.#oldSync.catch(() => {});
    for (let n = imm.wal; n < nextLog; n++) this.#obsolete(walName(n), this.#vs.edit);
    this.#edited();
    this.#kick();
  }

  async #compactLoop(): Promise<void> {
    while (!this.#closing && !this.#paused) {
      const job = pickCompaction(this.#vs.current.levels, this.#shape, this.#pointers);
      if (!job) return;
      await this.#runJob(job, true);
    }
  }

  async #runJob(job: CompactionJob, background: boolean): Promise<void> {
    this.#compactions++;
    const remove = new Set([...job.inputs, ...job.next]);
    if (job.trivial) {
      await this.#vs.install(job.inputs.map((t) => [job.outLevel, t]), remove);
      this.#edited();
      return;
    }
    const runs = job.level === 0 ? job.inputs.map((t) => [t]) : [job.inputs];
    if (job.next.length) runs.push(job.next);
    const metas = await this.#mergeRuns(runs, job.bottom ? "drop" : "tombstone", background);
    await this.#vs.install(metas.map((m) => [job.outLevel, m]), remove);
    this.#edited();
  }

  /** Merges sorted runs (newest first) into new tables, in a worker when there is one. */
  async #mergeRuns(
    runs: Table[][],
    dead: DeadPolicy,
    background: boolean,
  ): Promise<TableMeta[]> {
    const w = this.#compactWorker;
    let bytes = 0;
    for (const run of runs) for (const t of run) bytes += t.meta.size;
    if (w && background && bytes >= this.#o.workerMinBytes) {
      const numbers = this.#reserve(2 * Math.ceil(bytes / this.#o.tableBytes) + 4);
      const metas = await this.#inWorker(w, numbers, {
        kind: "compact",
        dir: this.#fs.path,
        runs: runs.map((run) => run.map((t) => t.meta.number)),
        numbers,
        o: this.#buildOptions(dead, true),
      });
      if (metas) return metas;
    }
    const kids: Cursor[] = runs.map((run) =>
      run.length === 1
        ? new TableCursor(run[0]!.reader, undefined)
        : new LevelCursor(run, undefined)
    );
    return this.#build(new MergeCursor(kids), dead, background, true);
  }

  #buildOptions(dead: DeadPolicy, split: boolean): BuildOptions {
    return {
      blockSize: this.#o.blockSize,
      compression: this.#o.compression,
      tableBytes: split ? this.#o.tableBytes : 0,
      dead,
      now: Date.now(),
    };
  }

  /** Builds tables on this thread (in slices when in the background). */
  #build(src: Cursor, dead: DeadPolicy, background: boolean, split = false): Promise<TableMeta[]> {
    return buildTables(
      this.#fs,
      src,
      this.#buildOptions(dead, split),
      () => this.#vs.nextFile++,
      background ? { aborted: () => this.#closing } : undefined,
    );
  }

  #reserve(n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.#vs.nextFile++);
    return out;
  }

  /**
   * Runs a job in a worker; on failure removes whatever it left behind.
   * Undefined when no worker can run (the caller then works on this thread).
   */
  async #inWorker(
    w: JobWorker,
    numbers: number[],
    job: Parameters<JobWorker["run"]>[0],
  ): Promise<TableMeta[] | undefined> {
    try {
      const { metas, written } = await w.run(job);
      this.#workerWritten += written;
      if (this.#closing) throw new Aborted();
      return metas;
    } catch (err) {
      for (const n of numbers) this.#fs.remove(tableName(n));
      if (err instanceof WorkerUnavailable && !this.#closing) {
        this.#flushWorker = this.#compactWorker = undefined;
        return undefined;
      }
      throw err;
    }
  }

  /** Waits until no background work is running or needed. */
  async waitIdle(): Promise<void> {
    if (this.#openKick !== undefined) {
      // The jobs an open put off start now.
      clearTimeout(this.#openKick);
      this.#openKick = undefined;
      this.#kick();
    }
    while (this.#bgFlush || this.#bgCompact) {
      await Promise.allSettled([this.#bgFlush, this.#bgCompact]);
    }
    if (this.#bgError) throw this.#bgError;
  }

  // ---------------------------------------------------------------- maintenance

  /** Full compaction: everything is merged into one sorted level, dead entries dropped. */
  async compact(): Promise<void> {
    this.#check("compact");
    if (this.#readOnly) {
      throw new StoreError("ReadOnly", `Cannot compact LSM store at ${this.path}: read-only`);
    }
    this.#paused = true;
    this.#busy++;
    let jobs = false;
    try {
      await this.waitIdle();
      const o = this.#openers;
      if (o !== undefined && !o.solo) {
        // The memtable becomes a log of its own (under the writer lock, as a
        // commit would), then the jobs lock: compaction waits for another
        // process's running job, never the other way round.
        await o.lock();
        try {
          this.#caughtUp();
          if (this.#mem.count > 0) this.#rotate();
        } finally {
          this.#unlock();
        }
      } else if (this.#mem.count > 0) this.#rotate();
      const got = await this.#jobs.acquire();
      jobs = true;
      if (got.fresh && o !== undefined && !this.#reloadManifest()) {
        // The last holder flushed a log this opener has not read to its end yet.
        await o.lock();
        try {
          this.#caughtUp();
        } finally {
          this.#unlock();
        }
        this.#reloadManifest();
      }
      // Same jobs as in the background (worker threads when there are some), so
      // reads go on while a large store compacts; writers wait on core's lock.
      while (this.#imms.length > 0) await this.#flushOldest(true);
      const levels = this.#vs.current.levels;
      const all = levels.flat();
      if (all.length === 0) return;
      let total = 0;
      for (const t of all) total += t.meta.size;
      let outLevel = 1;
      while (outLevel < MAX_LEVELS - 1 && levelTarget(this.#shape, outLevel) < total) outLevel++;
      const runs: Table[][] = (levels[0] ?? []).map((t) => [t]);
      for (let l = 1; l < levels.length; l++) if (levels[l]!.length) runs.push(levels[l]!);
      const metas = await this.#mergeRuns(runs, "drop", true);
      this.#compactions++;
      await this.#vs.install(metas.map((m) => [outLevel, m]), new Set(all));
      this.#edited();
    } finally {
      if (jobs) this.#jobs.release();
      this.#busy--;
      this.#paused = false;
      this.#kick();
    }
  }

  /** Bytes of the store's files (0 in memory). */
  sizeOnDisk(): number {
    this.#check("sizeOnDisk");
    return this.#fs.totalSize();
  }

  /** Block cache counters. */
  cacheStats(): { hits: number; misses: number } {
    return { hits: this.#cache.hits, misses: this.#cache.misses };
  }

  /** Counters of the engine's own work. */
  stats(): LsmStats {
    const disk = this.#fs.written.bytes + this.#workerWritten;
    return {
      userBytes: this.#userBytes,
      diskBytesWritten: disk,
      writeAmplification: this.#userBytes === 0 ? 0 : disk / this.#userBytes,
      tablesPerLevel: this.#vs.current.levels.map((l) => l.length),
      flushes: this.#flushes,
      compactions: this.#compactions,
      stalls: this.#stalls,
      walSyncs: this.#walSyncs + (this.#wal?.syncs ?? 0),
    };
  }

  #closeFiles(): void {
    this.#vs.close();
    this.#wal?.close();
    this.#walReader?.close();
  }

  /** Leaves the set of openers (nothing pinned any more). */
  #leave(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    clearTimeout(this.#openKick);
    this.#timer = undefined;
    this.#jobs.close();
    this.#openers?.close();
  }

  /** Stops background work, makes the log durable, releases files and the lock. */
  async close(): Promise<void> {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    clearTimeout(this.#openKick);
    // The last store to close ends the shared threads, aborting its own jobs;
    // otherwise the jobs still running for this store are waited for below.
    if (this.#workers) releaseWorkers(this.#workers);
    this.#workers = undefined;
    try {
      await Promise.allSettled([this.#bgFlush, this.#bgCompact, this.#oldSync]);
      await this.#flushAtClose();
      if (this.#wal) await this.#wal.finish();
    } finally {
      this.#closed = true;
      this.#wake();
      this.#closeFiles();
      this.#leave();
    }
  }

  /**
   * A lone writer's clean close writes its memtables as tables and leaves
   * one empty log, so the next open replays nothing and writes nothing. A
   * failure leaves the logs as they are (the next open replays them).
   */
  async #flushAtClose(): Promise<void> {
    const o = this.#openers;
    if (o === undefined || !o.solo || this.#readOnly || this.#bgError || !this.#wal) return;
    if (this.#mem.count === 0 && this.#imms.length === 0) return;
    if (!this.#jobs.tryAcquire()) return;
    try {
      if (this.#mem.count > 0) this.#rotate();
      while (this.#imms.length > 0) await this.#flushOldest(false);
      await this.#oldSync;
    } catch {
      // The logs still hold every commit.
    } finally {
      this.#jobs.release();
    }
  }

  // ---- Several openers (see core/_openers.ts and docs/lsm.md "Many openers") ----

  /** Learns of other openers' commits: one read of the tip when nothing changed. */
  #follow(): void {
    const o = this.#openers!;
    if (o.locked || this.#closed) return;
    const raw = o.readTip();
    if (raw === undefined) return;
    const tip = decodeTip(raw);
    if (!sameTip(tip, this.#tip)) this.#catchUp(tip);
  }

  /** Catches up with the tip (under the writer lock, before a commit). */
  #caughtUp(): void {
    const raw = this.#openers!.readTip();
    if (raw !== undefined) this.#catchUp(decodeTip(raw));
  }

  /**
   * Applies the records other openers logged up to the tip (reporting each),
   * moving through the logs they started, then takes on a newer manifest.
   */
  #catchUp(tip: LsmTip): void {
    if (tip.wal > this.#walNo) {
      this.#readTail(Infinity);
      for (let n = this.#walNo + 1; n <= tip.wal; n++) {
        if (n < tip.wal && !this.#fs.exists(walName(n))) continue;
        this.#switchTo(n);
        if (n < tip.wal) this.#readTail(Infinity);
      }
    }
    if (tip.wal === this.#walNo && tip.end > this.#walEnd) this.#readTail(tip.end);
    this.#tip = tip;
    if (tip.edit > this.#vs.edit && !this.#jobs.held) this.#reloadManifest();
    this.#publishPin();
  }

  /** Applies the current log's records from this opener's position up to `end`. */
  #readTail(end: number): void {
    const name = walName(this.#walNo);
    let bytes: Uint8Array;
    if (end === Infinity) {
      // A log others moved on from: whole, and no one writes it any more.
      try {
        bytes = this.#fs.readFile(name).subarray(this.#walEnd);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return;
        throw err;
      }
    } else {
      const file = this.#wal?.file ?? this.#walReader;
      if (file === undefined) return;
      bytes = file.readAt(this.#walEnd, end - this.#walEnd);
    }
    this.#walEnd += readRecords(bytes, name, (ops) => {
      this.#applyMem(ops);
      this.onExternal?.(ops);
    });
  }

  /** Another opener started log `n`: this memtable is frozen with its log, as after a rotation. */
  #switchTo(n: number): void {
    this.#imms.push({ mem: this.#mem, wal: this.#walNo, bytes: this.#walEnd });
    this.#mem = new Memtable();
    const old = this.#wal;
    if (old !== undefined) {
      // This opener's own records there may still wait for their fdatasync.
      const done = old.finish().finally(() => {
        old.close();
        this.#walSyncs += old.syncs;
      });
      const all = Promise.all([this.#oldSync, done]).then(() => {});
      this.#oldSync = all;
      all.then(() => {
        if (this.#oldSync === all) this.#oldSync = undefined;
      }, () => {});
    }
    this.#walReader?.close();
    this.#walReader = undefined;
    this.#walNo = n;
    this.#walEnd = WAL_HEADER;
    const name = walName(n);
    if (!this.#fs.exists(name)) {
      this.#wal = undefined;
    } else if (this.#readOnly) this.#walReader = this.#fs.open(name, false);
    else this.#wal = new WalWriter(this.#fs.open(name, true), n, false, WAL_HEADER);
    this.#kick();
  }

  /**
   * Takes on the manifest on disk if it is newer; false when it covers a log
   * this opener has not read to its end yet (it waits for the tip).
   */
  #reloadManifest(): boolean {
    let state: ManifestState;
    try {
      state = decodeManifest(this.#fs.readFile(MANIFEST_NAME), this.path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
    if (state.edit <= this.#vs.edit) return true;
    if (state.logNumber > this.#walNo) return false;
    this.#vs.reload(state);
    // Frozen memtables the manifest covers are in its tables now.
    while (this.#imms.length > 0 && this.#imms[0]!.wal < state.logNumber) {
      this.#obsolete(walName(this.#imms.shift()!.wal), state.edit);
    }
    this.#publishPin();
    this.#wake();
    return true;
  }

  /**
   * A file no version of this opener reads since manifest edit `edit`:
   * deleted now when alone, else once every other opener reads that edit or
   * a later one (a killed opener's slot stops counting).
   */
  #obsolete(name: string, edit: number): void {
    const o = this.#openers;
    if (this.#readOnly) return;
    if (o === undefined || o.solo) {
      this.#fs.remove(name);
      return;
    }
    this.#pending.push({ name, edit });
  }

  /** Deletes the obsolete files no other opener may still read. */
  #reap(): void {
    const o = this.#openers;
    if (this.#pending.length === 0 || o === undefined || this.#readOnly) return;
    const others = o.solo ? Infinity : o.othersPin();
    const keep: { name: string; edit: number }[] = [];
    for (const p of this.#pending) {
      if (p.edit <= others) {
        try {
          this.#fs.remove(p.name);
        } catch { /* removed by another opener */ }
      } else keep.push(p);
    }
    this.#pending = keep;
  }

  /** After this process edited the manifest: others learn of it through the tip. */
  #edited(): void {
    const o = this.#openers;
    if (o === undefined || o.solo) return;
    if (o.locked) this.#tipDirty = true;
    else if (o.tryLock()) {
      try {
        this.#caughtUp();
        this.#tipDirty = true;
      } finally {
        this.#unlock();
      }
    } else this.#editUnpublished = true;
    this.#reap();
  }

  /** Says which oldest manifest edit this opener may still read. */
  #publishPin(): void {
    const o = this.#openers;
    if (o === undefined || o.solo || this.#closed) return;
    let pin = this.#vs.edit;
    for (const e of this.#viewPins.keys()) if (e < pin) pin = e;
    o.publishPin(pin);
  }

  #writeTip(): void {
    const edit = Math.max(this.#vs.edit, this.#tip.edit);
    this.#tip = { wal: this.#walNo, end: this.#walEnd, edit };
    this.#openers!.writeTip(encodeTip(this.#tip));
    this.#tipDirty = false;
    this.#editUnpublished = false;
  }

  /** Releases the writer lock, publishing the tip first if this opener changed the store. */
  #unlock(): void {
    const o = this.#openers;
    if (o === undefined || !o.locked) return;
    try {
      if ((this.#tipDirty || this.#editUnpublished) && !this.#closed) this.#writeTip();
    } finally {
      o.unlock();
    }
  }

  /** Learns of other openers' commits now (core calls it before a watch starts). */
  refresh(): void {
    const o = this.#openers;
    if (o === undefined || this.#closed) return;
    // A watch starts: the timer that follows other openers keeps the
    // process alive while it waits (the next tick lets go if no one watches).
    if (this.#timer !== undefined) Deno.refTimer(this.#timer);
    if (!o.solo) this.#follow();
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
    if (o === undefined || solo || o.locked || this.#closed || this.#readOnly) return;
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
    if (o === undefined || this.#closed || this.#closing) return;
    // Watchers wait on this timer for other openers' commits: it keeps the process alive then.
    if (this.watching?.() === true) Deno.refTimer(this.#timer!);
    else Deno.unrefTimer(this.#timer!);
    if (this.#inCommit || this.#busy > 0 || o.locked) return;
    try {
      if (o.solo) {
        this.#soloAt = Date.now();
        if (o.others() > 0) this.#handOver(o);
        return;
      }
      this.#follow();
      if (this.#editUnpublished) this.#edited();
      this.#reap();
      // The jobs lock may be free again (its holder closed or was killed).
      this.#kick();
      if (!this.#readOnly && o.others() === 0 && o.trySolo()) {
        // Alone now; the last one out may have committed after our last look.
        if (o.tryLock()) {
          try {
            this.#caughtUp();
            // Solo commits append where the log ends, without looking.
            this.#wal?.resumeAt(this.#walEnd);
          } finally {
            this.#unlock();
          }
        } else o.leaveSolo();
        this.#reap();
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

  /** A newcomer waits: write out the log, publish the tip and this opener's pin, leave solo. */
  #handOver(o: Openers): void {
    if (o.locked || !o.tryLock()) return;
    try {
      const wal = this.#wal;
      if (wal !== undefined) {
        wal.writeOut();
        this.#walNo = wal.number;
        this.#walEnd = wal.size;
      }
      this.#writeTip();
      o.leaveSolo();
      this.#publishPin();
    } finally {
      o.unlock();
    }
  }
}

function walNumber(name: string): number | undefined {
  if (!name.endsWith(".wal")) return undefined;
  const n = Number(name.slice(0, -4));
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}
