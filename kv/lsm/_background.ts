// The LSM engine's background work: flushes of frozen memtables to level-0
// tables and compactions down the levels, run in loops (in worker threads
// when there are some) while the jobs lock says this process may; a full
// compaction on request; and the clean close's last flush.
import { StoreError } from "../../core/error.ts";
import { type Cursor, LevelCursor, MemCursor, MergeCursor, TableCursor } from "./_cursor.ts";
import { type CompactionJob, levelTarget, MAX_LEVELS, pickCompaction } from "./_compaction.ts";
import { Aborted, type BuildOptions, buildTables, type DeadPolicy } from "./_jobs.ts";
import { type JobWorker, WorkerUnavailable } from "./_worker_client.ts";
import { caughtUp, edited, follow, obsolete, reloadManifest, unlock } from "./_many_openers.ts";
import { checkUsable, fail, type LsmState } from "./_state.ts";
import { tableName } from "./_table_reader.ts";
import type { TableMeta } from "./_table_writer.ts";
import type { Table } from "./_version.ts";
import { walName } from "./_wal.ts";
import { rotate } from "./_writes.ts";

/** Starts the flush and compaction loops this store needs, if it may take the jobs lock. */
export function kick(e: LsmState): void {
  if (e.paused || e.closing || e.closed || e.readOnly || e.bgError) return;
  // Taking the jobs lock catches up with other openers, which may kick too.
  if (!e.bgFlush && e.imms.length > 0 && takeJobs(e)) {
    if (e.bgFlush || e.imms.length === 0) e.jobs.release();
    else {
      e.bgFlush = flushLoop(e).catch((err) => fail(e, err)).finally(() => {
        e.bgFlush = undefined;
        e.jobs.release();
        kick(e);
      });
    }
  }
  if (
    !e.bgCompact && pickCompaction(e.vs.current.levels, e.shape, []) &&
    takeJobs(e)
  ) {
    if (e.bgCompact) e.jobs.release();
    else {
      e.bgCompact = compactLoop(e).catch((err) => fail(e, err)).finally(() => {
        e.bgCompact = undefined;
        e.jobs.release();
        kick(e);
      });
    }
  }
}

/**
 * Takes the jobs lock unless another process holds it. Just taken, the
 * manifest on disk may be newer than this opener's (the last holder
 * edited it): jobs start from it, or not at all.
 */
function takeJobs(e: LsmState): boolean {
  const got = e.jobs.tryAcquire();
  if (got === undefined) return false;
  if (!got.fresh || e.openers === undefined) return true;
  try {
    if (!e.openers.solo) follow(e);
    if (reloadManifest(e)) return true;
  } catch { /* the next read or commit meets it */ }
  e.jobs.release();
  return false;
}

/** Flushes the frozen memtables, oldest first. */
async function flushLoop(e: LsmState): Promise<void> {
  while (e.imms.length > 0 && !e.closing && !e.paused) {
    await flushOldest(e, true);
  }
}

/** Writes the oldest frozen memtable as level-0 tables; its logs become obsolete. */
async function flushOldest(e: LsmState, background: boolean): Promise<void> {
  const imm = e.imms[0]!;
  const w = e.flushWorker;
  let metas: TableMeta[];
  const useWorker = w && background && imm.bytes >= e.options.workerMinBytes;
  const numbers = useWorker ? reserve(e, 1) : [];
  const viaWorker = useWorker
    ? await inWorker(e, w, numbers, {
      kind: "flush",
      dir: e.fs.path,
      wal: walName(imm.wal),
      numbers,
      o: buildOptions(e, "keep", false),
    })
    : undefined;
  if (viaWorker) metas = viaWorker;
  else {
    metas = await build(e, new MemCursor(imm.mem, undefined, Infinity), "keep", background);
  }
  const nextLog = e.imms[1]?.wal ?? e.walNo;
  await e.vs.install(metas.map((m) => [0, m]), new Set(), nextLog);
  e.imms.shift();
  e.flushes++;
  if (e.oldSync) await e.oldSync.catch(() => {});
  for (let n = imm.wal; n < nextLog; n++) obsolete(e, walName(n), e.vs.edit);
  edited(e);
  kick(e);
}

/** Runs the compactions the levels call for, one slice at a time. */
async function compactLoop(e: LsmState): Promise<void> {
  while (!e.closing && !e.paused) {
    const job = pickCompaction(e.vs.current.levels, e.shape, e.pointers);
    if (!job) return;
    await runJob(e, job, true);
  }
}

/** One compaction: a trivial move, or a merge of its inputs into the next level. */
async function runJob(e: LsmState, job: CompactionJob, background: boolean): Promise<void> {
  e.compactions++;
  const remove = new Set([...job.inputs, ...job.next]);
  if (job.trivial) {
    await e.vs.install(job.inputs.map((t) => [job.outLevel, t]), remove);
    edited(e);
    return;
  }
  const runs = job.level === 0 ? job.inputs.map((t) => [t]) : [job.inputs];
  if (job.next.length) runs.push(job.next);
  const metas = await mergeRuns(e, runs, job.bottom ? "drop" : "tombstone", background);
  await e.vs.install(metas.map((m) => [job.outLevel, m]), remove);
  edited(e);
}

/** Merges sorted runs (newest first) into new tables, in a worker when there is one. */
async function mergeRuns(
  e: LsmState,
  runs: Table[][],
  dead: DeadPolicy,
  background: boolean,
): Promise<TableMeta[]> {
  const w = e.compactWorker;
  let bytes = 0;
  for (const run of runs) for (const t of run) bytes += t.meta.size;
  if (w && background && bytes >= e.options.workerMinBytes) {
    const numbers = reserve(e, 2 * Math.ceil(bytes / e.options.tableBytes) + 4);
    const metas = await inWorker(e, w, numbers, {
      kind: "compact",
      dir: e.fs.path,
      runs: runs.map((run) => run.map((t) => t.meta.number)),
      numbers,
      o: buildOptions(e, dead, true),
    });
    if (metas) return metas;
  }
  const kids: Cursor[] = runs.map((run) =>
    run.length === 1 ? new TableCursor(run[0]!.reader, undefined) : new LevelCursor(run, undefined)
  );
  return build(e, new MergeCursor(kids), dead, background, true);
}

/** How tables are built: the store's options, what becomes of dead entries, one table or several. */
function buildOptions(e: LsmState, dead: DeadPolicy, split: boolean): BuildOptions {
  return {
    blockSize: e.options.blockSize,
    compression: e.options.compression,
    tableBytes: split ? e.options.tableBytes : 0,
    dead,
    now: Date.now(),
  };
}

/** Builds tables on this thread (in slices when in the background). */
export function build(
  e: LsmState,
  src: Cursor,
  dead: DeadPolicy,
  background: boolean,
  split = false,
): Promise<TableMeta[]> {
  return buildTables(
    e.fs,
    src,
    buildOptions(e, dead, split),
    () => e.vs.nextFile++,
    background ? { aborted: () => e.closing } : undefined,
  );
}

/** File numbers for a worker's tables, taken up front. */
function reserve(e: LsmState, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(e.vs.nextFile++);
  return out;
}

/**
 * Runs a job in a worker; on failure removes whatever it left behind.
 * Undefined when no worker can run (the caller then works on this thread).
 */
async function inWorker(
  e: LsmState,
  w: JobWorker,
  numbers: number[],
  job: Parameters<JobWorker["run"]>[0],
): Promise<TableMeta[] | undefined> {
  try {
    const { metas, written } = await w.run(job);
    e.workerWritten += written;
    if (e.closing) throw new Aborted();
    return metas;
  } catch (err) {
    for (const n of numbers) e.fs.remove(tableName(n));
    if (err instanceof WorkerUnavailable && !e.closing) {
      e.flushWorker = e.compactWorker = undefined;
      return undefined;
    }
    throw err;
  }
}

/** Waits until no background work is running or needed. */
export async function waitIdle(e: LsmState): Promise<void> {
  if (e.openKick !== undefined) {
    // The jobs an open put off start now.
    clearTimeout(e.openKick);
    e.openKick = undefined;
    kick(e);
  }
  while (e.bgFlush || e.bgCompact) {
    await Promise.allSettled([e.bgFlush, e.bgCompact]);
  }
  if (e.bgError) throw e.bgError;
}

/** Full compaction: everything is merged into one sorted level, dead entries dropped. */
export async function compact(e: LsmState): Promise<void> {
  checkUsable(e, "compact");
  if (e.readOnly) {
    throw new StoreError("ReadOnly", `Cannot compact LSM store at ${e.path}: read-only`);
  }
  e.paused = true;
  e.busy++;
  let jobs = false;
  try {
    await waitIdle(e);
    const o = e.openers;
    if (o !== undefined && !o.solo) {
      // The memtable becomes a log of its own (under the writer lock, as a
      // commit would), then the jobs lock: compaction waits for another
      // process's running job, never the other way round.
      await o.lock();
      try {
        caughtUp(e);
        if (e.mem.count > 0) rotate(e);
      } finally {
        unlock(e);
      }
    } else if (e.mem.count > 0) rotate(e);
    const got = await e.jobs.acquire();
    jobs = true;
    if (got.fresh && o !== undefined && !reloadManifest(e)) {
      // The last holder flushed a log this opener has not read to its end yet.
      await o.lock();
      try {
        caughtUp(e);
      } finally {
        unlock(e);
      }
      reloadManifest(e);
    }
    // Same jobs as in the background (worker threads when there are some), so
    // reads go on while a large store compacts; writers wait on core's lock.
    while (e.imms.length > 0) await flushOldest(e, true);
    const levels = e.vs.current.levels;
    const all = levels.flat();
    if (all.length === 0) return;
    let total = 0;
    for (const t of all) total += t.meta.size;
    let outLevel = 1;
    while (outLevel < MAX_LEVELS - 1 && levelTarget(e.shape, outLevel) < total) outLevel++;
    const runs: Table[][] = (levels[0] ?? []).map((t) => [t]);
    for (let l = 1; l < levels.length; l++) if (levels[l]!.length) runs.push(levels[l]!);
    const metas = await mergeRuns(e, runs, "drop", true);
    e.compactions++;
    await e.vs.install(metas.map((m) => [outLevel, m]), new Set(all));
    edited(e);
  } finally {
    if (jobs) e.jobs.release();
    e.busy--;
    e.paused = false;
    kick(e);
  }
}

/**
 * A lone writer's clean close writes its memtables as tables and leaves
 * one empty log, so the next open replays nothing and writes nothing. A
 * failure leaves the logs as they are (the next open replays them).
 */
export async function flushAtClose(e: LsmState): Promise<void> {
  const o = e.openers;
  if (o === undefined || !o.solo || e.readOnly || e.bgError || !e.wal) return;
  if (e.mem.count === 0 && e.imms.length === 0) return;
  if (!e.jobs.tryAcquire()) return;
  try {
    if (e.mem.count > 0) rotate(e);
    while (e.imms.length > 0) await flushOldest(e, false);
    await e.oldSync;
  } catch {
    // The logs still hold every commit.
  } finally {
    e.jobs.release();
  }
}
