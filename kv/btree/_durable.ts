// Making a B-tree file's state durable: checkpoints (merge the write buffer
// into the tree, write the waiting pages, then a header slot naming the new
// root and a fresh log, one fdatasync), group-committed syncs of log
// records, compaction (rewrites that move pages toward the start of the
// file) and the clean close (a saved free list and two clean slots).
import { WriteBuffer } from "./_buffer.ts";
import { mergeSliceKeys, nextLogExtent } from "./_checkpoint.ts";
import { relocate, repack } from "./_compact.ts";
import { encodeSlot, PAGE_SIZE, SLOT_OFFSETS } from "./_format.ts";
import { CommitLog, type LogExtent } from "./_log.ts";
import type { DeferredPager } from "./_pager.ts";
import { freeListPages, writeFreeList } from "./_recover.ts";
import { caughtUp, unlock } from "./_share.ts";
import { build, checkOpen, type EngineCore, install, knowSpace, releaseFree } from "./_state.ts";
import { Ref, Writer } from "./_writer.ts";

/**
 * Merges the buffer into the tree, then writes a header slot naming the
 * new root and a new, empty log of `logPages` pages (0 = none), and syncs.
 * A big buffer is merged in key-range slices, each made durable before the
 * next reuses the pages it freed: the file grows by one slice's worth, not
 * by every leaf the buffer touches. The slices' slots keep naming the old
 * log, whose records replay over a partly merged tree to the same state.
 */
export function checkpoint(e: EngineCore, logPages: number): void {
  knowSpace(e);
  const o = e.openers;
  if (o !== undefined && !o.solo) e.othersPin = o.othersPin();
  const old = e.log;
  if (e.buffer.size > 0) {
    const ops = e.buffer.ops();
    e.buffer = new WriteBuffer();
    const step = mergeSliceKeys(ops.length, e.space);
    for (let i = 0; i < ops.length; i += step) {
      const built = build(e, ops.slice(i, i + step));
      if (built !== undefined) install(e, built[0], built[1]);
      if (i + step < ops.length) durablePoint(e, old?.extent);
    }
  }
  const extent = logPages > 0
    ? nextLogExtent(
      // Other openers may still have to read the old log's last records: a new place.
      o !== undefined && !o.solo ? undefined : old?.extent,
      logPages,
      (e.txn + 1) >>> 0,
      e.space,
      e.pager as DeferredPager,
    )
    : undefined;
  durablePoint(e, extent);
  e.log = extent === undefined ? undefined : new CommitLog(extent);
  if (old !== undefined && old.extent.page !== extent?.page) {
    const pages: number[] = [];
    for (let i = 0; i < old.extent.npages; i++) pages.push(old.extent.page + i);
    e.space.addPending(e.txn, pages);
  }
  releaseFree(e);
}

/** A checkpoint of commits readers already see; if it fails, the store takes no more writes. */
export function checkpointOrFail(e: EngineCore): void {
  try {
    checkpoint(e, e.logPages);
  } catch (err) {
    e.failed = err;
    throw err;
  }
}

/** Writes the waiting pages, then a slot naming the current root and `log`, and syncs. */
function durablePoint(e: EngineCore, log: LogExtent | undefined): void {
  const pager = e.pager as DeferredPager;
  e.txn++;
  pager.flush((p) => e.space.isFree(p));
  e.checkpoints++;
  writeSlot(e, undefined, undefined, log);
  pager.syncNow();
  e.keptTxn = e.checkpointTxn = e.viewCkpt = e.txn;
  e.tipDirty = e.openers !== undefined;
  releaseFree(e);
}

/** Writes the current state into the slot that does not hold the durable state. */
function writeSlot(
  e: EngineCore,
  clean?: { page: number; crc: number; count: number },
  slot?: 0 | 1,
  log?: LogExtent,
): void {
  const target = slot ?? (e.slotTxn[0] === e.checkpointTxn ? 1 : 0);
  const bytes = encodeSlot({
    txn: e.txn,
    syncedTxn: e.checkpointTxn,
    rootPage: e.root.page,
    rootCrc: e.root.crc,
    pageCount: e.space.pageCount,
    freePage: clean?.page ?? 0,
    freeCrc: clean?.crc ?? 0,
    freeCount: clean?.count ?? 0,
    clean: clean !== undefined,
    logPage: log?.page ?? 0,
    logPages: log?.npages ?? 0,
    logSalt: log?.salt ?? 0,
  });
  e.pager.writeAt(SLOT_OFFSETS[target], bytes);
  e.slotTxn[target] = e.txn;
}

/** Makes every applied commit durable; concurrent callers share one fdatasync. */
export async function sync(e: EngineCore): Promise<void> {
  if (e.memory || e.readOnly || e.closed) return;
  const target = e.txn;
  while (e.keptTxn < target) {
    if (e.syncing !== undefined) {
      await e.syncing;
      continue;
    }
    const p = doSync(e);
    e.syncing = p;
    try {
      await p;
    } finally {
      if (e.syncing === p) e.syncing = undefined;
    }
  }
}

async function doSync(e: EngineCore): Promise<void> {
  // Commits already queued behind the store's lock apply within a few
  // microtask turns; let them, so one (blocking) fdatasync covers them all.
  // (Bounded, so a never-ending stream of commits cannot starve durability.)
  for (let seen = -1, round = 0; seen !== e.txn && round < 64; round++) {
    seen = e.txn;
    for (let i = 0; i < 16; i++) await null;
  }
  const t = e.txn;
  const log = e.log;
  const seq = log?.seq ?? 0;
  e.syncCalls++;
  try {
    await e.pager.sync();
  } catch (err) {
    // fsyncgate: after a failed fsync the kernel may have dropped the dirty
    // pages, and a retried fsync would succeed without writing them.
    e.failed = err;
    throw err;
  }
  if (log !== undefined && seq > log.syncedSeq) log.syncedSeq = seq;
  if (t > e.keptTxn) e.keptTxn = t;
}

/** Moves live pages toward the start of the file, then truncates the free tail. */
export async function compact(e: EngineCore): Promise<void> {
  checkOpen(e, "compact");
  if (e.readOnly) return;
  const o = e.openers;
  e.busy++;
  try {
    if (o !== undefined && !o.solo) {
      await o.lock();
      caughtUp(e);
    }
    await compactLocked(e);
  } finally {
    e.busy--;
    unlock(e);
  }
}

async function compactLocked(e: EngineCore): Promise<void> {
  knowSpace(e);
  await durable(e);
  if (rewrite(e, repack)) await durable(e);
  for (let pass = 0; pass < 4; pass++) {
    const live = e.space.pageCount - 1 - e.space.count - e.space.pendingCount;
    const boundary = 1 + live + Math.max(16, Math.ceil(live / 32));
    if (e.space.pageCount <= boundary) break;
    if (!rewrite(e, (w, root) => relocate(w, root, boundary))) break;
    await durable(e);
  }
  const before = e.space.pageCount;
  const after = e.space.trimTail();
  if (after < before && !e.memory) {
    checkpoint(e, 0);
    e.pager.truncate(after * PAGE_SIZE);
  } else if (after < before) e.pager.truncate(after * PAGE_SIZE);
}

/** Checkpoints with no log (compaction moves pages, a log would sit in the way). */
async function durable(e: EngineCore): Promise<void> {
  while (e.syncing !== undefined) await e.syncing;
  if (e.memory) e.keptTxn = e.checkpointTxn = e.txn;
  else checkpoint(e, 0);
  releaseFree(e);
}

/** One commit that rewrites part of the tree (compaction); false when nothing changed. */
function rewrite(e: EngineCore, edit: (w: Writer, root: Ref) => boolean): boolean {
  if (e.root.page === 0) return false;
  knowSpace(e);
  const root = new Ref(e.root.page, e.root.crc);
  const w = new Writer(e, root, e.txn + 1);
  let next: Ref | undefined;
  try {
    if (!edit(w, root)) return false;
    next = w.commit();
  } catch (err) {
    w.abort();
    throw err;
  }
  install(e, w, next);
  return true;
}

/** Saves the free list and writes both header slots clean (the next open skips recovery). */
export function cleanClose(e: EngineCore): void {
  checkpoint(e, 0);
  e.space.release(Infinity);
  // Tree and durable header are the same state now: free pages at the end can go.
  e.space.trimTail();
  const all = e.space.all();
  let m = 0;
  while (m < freeListPages(all.length - m)) m++;
  const listPages = all.slice(0, m);
  const entries = all.slice(m);
  e.pager.truncate(e.space.pageCount * PAGE_SIZE);
  const head = writeFreeList(e, entries, listPages);
  (e.pager as DeferredPager).flush(() => false);
  // The free list is durable before a clean slot names it: recovery never
  // falls back past a clean slot (a power cut could keep the slot, not the list).
  e.pager.syncNow();
  const clean = { page: head.page, crc: head.crc, count: entries.length };
  const first = e.slotTxn[0] === e.checkpointTxn ? 1 : 0;
  writeSlot(e, clean, first);
  // The slot holding the only durable state is rewritten only once the other
  // slot holds it too. The second write needs no sync of its own: lost, that
  // slot still names the same state (not marked clean), and the next
  // checkpoint's sync makes it durable.
  e.pager.syncNow();
  writeSlot(e, clean, first === 0 ? 1 : 0);
}
