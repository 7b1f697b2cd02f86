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
import { lockDir } from "./_lock.ts";
import { loadManifest, sortFiles } from "./_recovery.ts";
import { Memtable, TOMBSTONE } from "../../core/_memtable.ts";
import { getIn, scanView, type View } from "./_read.ts";
import { tableName } from "./_table_reader.ts";
import type { TableMeta } from "./_table_writer.ts";
import type { Table } from "./_version.ts";
import { VersionSet } from "./_version_set.ts";
import { readWal, walName, WalWriter } from "./_wal.ts";

/** Longest stretch of commits without an event-loop turn while jobs run. */
const YIELD_MS = 5;

/** The LSM tree over a file system (disk or memory). */
export class LsmEngine implements RawEngine {
  readonly path: string;
  readonly #fs: LsmFs;
  readonly #readOnly: boolean;
  readonly #o: Required<LsmOptions>;
  readonly #cache: BlockCache;
  readonly #shape: LevelShape;
  #release: () => void = () => {};
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
    if (!fs.inMemory) e.#release = lockDir(fs.path, !readOnly).release;
    if (e.#o.backgroundThreads && !fs.inMemory && !readOnly && typeof Worker === "function") {
      e.#workers = acquireWorkers();
      e.#flushWorker = e.#workers.flush;
      e.#compactWorker = e.#workers.compact;
    }
    try {
      await e.#recover();
    } catch (err) {
      if (e.#workers) releaseWorkers(e.#workers);
      e.#closeFiles();
      e.#release();
      throw err;
    }
    return e;
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
    for (const w of wals) {
      const name = walName(w);
      const { batches, torn } = readWal(fs.readFile(name), name, true);
      for (const ops of batches) this.#applyMem(ops);
      if (torn) break;
    }
    if (this.#readOnly) return;
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

  /** Starts a new log; the directory fsync that makes it durable runs in the background. */
  #openWal(): Promise<void> {
    const n = this.#vs.nextFile++;
    this.#wal = new WalWriter(this.#fs.create(walName(n)), n, true);
    this.#wal.writeOut();
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
    // Also give the event loop a turn now and then while background jobs run,
    // so their replies are handled even when commits never wait for I/O.
    if (
      this.#full() || this.#mustStall() ||
      ((this.#bgFlush || this.#bgCompact) && performance.now() - this.#lastYield > YIELD_MS)
    ) return this.#applySlow(ops);
    this.#wal!.add(ops);
    this.#applyMem(ops);
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
    if (this.#imms.length === 0) {
      const v = this.#mem.get(key, Infinity);
      if (v !== undefined) return v.length === 0 ? undefined : v.slice();
      return getIn({ seq: Infinity, mems: [], version: this.#vs.current }, key);
    }
    return getIn(this.#liveView(), key);
  }

  #pin(): View {
    const view = this.#liveView();
    view.seq = this.#seq;
    view.version.refs++;
    this.#pins++;
    return view;
  }

  #unpin(view: View): void {
    this.#pins--;
    this.#vs.unref(view.version);
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
    if (!this.#bgFlush && this.#imms.length > 0) {
      this.#bgFlush = this.#flushLoop().catch((err) => this.#fail(err)).finally(() => {
        this.#bgFlush = undefined;
        this.#kick();
      });
    }
    if (!this.#bgCompact && pickCompaction(this.#vs.current.levels, this.#shape, [])) {
      this.#bgCompact = this.#compactLoop().catch((err) => this.#fail(err)).finally(() => {
        this.#bgCompact = undefined;
        this.#kick();
      });
    }
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
    const nextLog = this.#imms[1]?.wal ?? this.#wal!.number;
    await this.#vs.install(metas.map((m) => [0, m]), new Set(), nextLog);
    this.#imms.shift();
    this.#flushes++;
    if (this.#oldSync) await this.#oldSync.catch(() => {});
    for (let n = imm.wal; n < nextLog; n++) this.#fs.remove(walName(n));
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
      return;
    }
    const runs = job.level === 0 ? job.inputs.map((t) => [t]) : [job.inputs];
    if (job.next.length) runs.push(job.next);
    const metas = await this.#mergeRuns(runs, job.bottom ? "drop" : "tombstone", background);
    await this.#vs.install(metas.map((m) => [job.outLevel, m]), remove);
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
    try {
      await this.waitIdle();
      if (this.#mem.count > 0) this.#rotate();
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
    } finally {
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
  }

  /** Stops background work, makes the log durable, releases files and the lock. */
  async close(): Promise<void> {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    // The last store to close ends the shared threads, aborting its own jobs;
    // otherwise the jobs still running for this store are waited for below.
    if (this.#workers) releaseWorkers(this.#workers);
    this.#workers = undefined;
    try {
      await Promise.allSettled([this.#bgFlush, this.#bgCompact, this.#oldSync]);
      if (this.#wal) await this.#wal.finish();
    } finally {
      this.#closed = true;
      this.#wake();
      this.#closeFiles();
      this.#release();
    }
  }
}
