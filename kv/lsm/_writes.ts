// Writes to an LSM store: a commit is appended to the write-ahead log and
// applied to the memtable. A full memtable is frozen with its log (a
// rotation) for the background to flush; too many frozen memtables or
// level-0 tables stall writers until the background catches up. With
// other openers around, records go to the file at once under the writer
// lock, and the tip names their end.
import type { RawOp } from "../../core/engine.ts";
import { StoreError, toStoreError } from "../../core/error.ts";
import { kick } from "./_background.ts";
import { yieldNow } from "./_jobs.ts";
import { Memtable } from "../../core/_memtable.ts";
import { caughtUp, reloadManifest, unlock } from "./_many_openers.ts";
import { applyMem, checkUsable, fail, type LsmState, progress } from "./_state.ts";
import { walName, WalWriter } from "./_wal.ts";

/** Longest stretch of commits without an event-loop turn while jobs run. */
const YIELD_MS = 5;

/** Logs and applies one commit. */
export function apply(e: LsmState, ops: RawOp[]): void | Promise<void> {
  checkUsable(e, "write");
  if (e.readOnly) {
    throw new StoreError("ReadOnly", `Cannot write to LSM store at ${e.path}: read-only`);
  }
  const o = e.openers;
  if (o !== undefined && !o.solo) {
    if (o.locked) return applyShared(e, ops);
    return (async () => {
      await o.lock();
      try {
        caughtUp(e);
        await applyShared(e, ops);
      } finally {
        unlock(e);
      }
    })();
  }
  // Also give the event loop a turn now and then while background jobs run,
  // so their replies are handled even when commits never wait for I/O.
  if (
    full(e) || mustStall(e) ||
    ((e.bgFlush || e.bgCompact) && performance.now() - e.lastYield > YIELD_MS)
  ) return applySlow(e, ops);
  e.wal!.add(ops);
  applyMem(e, ops);
}

/**
 * A commit with other openers around (the writer lock is held and this
 * opener has caught up): the record is written to the file at once, and
 * the tip written at unlock names its end.
 */
function applyShared(e: LsmState, ops: RawOp[]): void | Promise<void> {
  const wal = e.wal!;
  wal.resumeAt(e.walEnd);
  if (full(e)) rotate(e);
  if (mustStall(e)) return stallShared(e, ops);
  appendShared(e, ops);
}

function appendShared(e: LsmState, ops: RawOp[]): void {
  const wal = e.wal!;
  wal.add(ops);
  wal.writeOut();
  applyMem(e, ops);
  e.walEnd = wal.size;
  e.tipDirty = true;
}

/** Waits for the process holding the jobs lock (perhaps this one) to flush or compact. */
async function stallShared(e: LsmState, ops: RawOp[]): Promise<void> {
  while (mustStall(e)) {
    e.stalls++;
    kick(e);
    await new Promise((r) => setTimeout(r, 2));
    checkUsable(e, "write");
    if (!e.jobs.held) reloadManifest(e);
  }
  appendShared(e, ops);
}

/** The memtable, or its log (overwrites grow only the log), reached the limit. */
function full(e: LsmState): boolean {
  const limit = e.options.memtableBytes;
  return e.mem.bytes >= limit || e.wal!.size >= limit;
}

function mustStall(e: LsmState): boolean {
  return e.imms.length >= e.options.maxImmutable ||
    (e.vs.current.levels[0]?.length ?? 0) >= e.options.l0Stop;
}

async function applySlow(e: LsmState, ops: RawOp[]): Promise<void> {
  if (full(e)) rotate(e);
  else {
    await yieldNow();
    checkUsable(e, "write");
  }
  e.lastYield = performance.now();
  while (mustStall(e)) {
    e.stalls++;
    kick(e);
    await progress(e);
    checkUsable(e, "write");
  }
  e.wal!.add(ops);
  applyMem(e, ops);
}

/**
 * Freezes the memtable and starts a new log. The old log's last fdatasync
 * and the directory fsync run in the background; `sync()` waits for them.
 */
export function rotate(e: LsmState): void {
  const old = e.wal!;
  old.writeOut();
  const shared = e.openers?.locked === true;
  if (shared) {
    // Frozen, the log ends at its last whole record; others append to the
    // next one at once, so this one must be durable first.
    old.resumeAt(e.walEnd);
    old.file.syncDataSync();
  }
  // The new log first: if it cannot be made, the old one stays (and no
  // background sync is left without a listener); the store takes no more writes.
  let dir: Promise<void>;
  try {
    dir = openWal(e);
  } catch (err) {
    e.wal = old;
    fail(e, err);
    throw err;
  }
  const done = old.finish().finally(() => {
    old.close();
    e.walSyncs += old.syncs;
  });
  const all = Promise.all([e.oldSync, done, dir]).then(() => {});
  e.oldSync = all;
  all.then(() => {
    if (e.oldSync === all) e.oldSync = undefined;
  }, () => {});
  if (shared) {
    // Others commit to the new log at once: its name must be durable first.
    // The background syncs above already have a listener, so a failure here
    // fails the store, never the process.
    try {
      e.fs.syncDir();
    } catch (err) {
      fail(e, err);
      throw err;
    }
    e.tipDirty = true;
  }
  e.imms.push({ mem: e.mem, wal: old.number, bytes: old.size });
  e.mem = new Memtable();
  kick(e);
}

/**
 * Starts the next log; the directory fsync that makes it durable runs in
 * the background. Logs are numbered one after another, so the next
 * writer to start a log after one that was killed doing it starts the same
 * file again.
 */
export function openWal(e: LsmState): Promise<void> {
  const n = e.walNo + 1;
  e.wal = new WalWriter(e.fs.create(walName(n)), n, true);
  e.wal.writeOut();
  e.walNo = n;
  e.walEnd = e.wal.size;
  return e.fs.syncDirAsync();
}

/** Durable up to the latest commit; concurrent calls share one fdatasync. */
export function sync(e: LsmState): Promise<void> {
  if (e.closed || !e.wal) return Promise.resolve();
  const p = e.wal.sync();
  const all = e.oldSync ? Promise.all([e.oldSync, p]).then(() => {}) : p;
  return all.catch((err) => {
    // fsyncgate: after a failed fsync the kernel may have dropped the dirty
    // pages, and a retried fsync would succeed without writing them.
    e.bgError ??= toStoreError(
      err,
      `sync LSM store at ${e.path}, so what is on disk is unknown; reopen the store`,
    );
    throw err;
  });
}
