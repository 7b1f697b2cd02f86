// Several openers of one B-tree file (see core/_openers.ts and docs/btree.md):
// following the commits and checkpoints other openers make (the tip, the
// header slots, their log records), publishing this opener's tip and pin,
// the writer lock around a commit, and solo mode (one opener alone skips
// all of it, and hands it over when a newcomer arrives).
import {
  beginSharedCommit,
  endSharedCommit,
  type Openers,
  type OpenerSteps,
  soloLook as sharedSoloLook,
} from "../../core/_openers.ts";
import { WriteBuffer } from "./_buffer.ts";
import { LOG_MIN_PAGES } from "./_checkpoint.ts";
import { decodeTip, encodeTip, readSlots, slotLog, type Tip } from "./_follow.ts";
import type { Slot } from "./_format.ts";
import { FreeSpace } from "./_freespace.ts";
import { CommitLog, readRecordAt } from "./_log.ts";
import { type EngineCore, TICK_MS } from "./_state.ts";

/** Learns of other openers' commits: one read of the tip when nothing changed. */
export function follow(e: EngineCore): void {
  const o = e.openers!;
  if (o.locked) return;
  const raw = o.readTip();
  if (raw !== undefined) {
    const t = decodeTip(raw);
    const mine = e.tip;
    if (t.checkpoint === mine.checkpoint && t.seq === mine.seq && t.direct === mine.direct) {
      return;
    }
    catchUp(e, t);
  } else catchUp(e, undefined);
}

/** Follows other openers before a scan or snapshot (a solo opener looks for newcomers first). */
export function followIfShared(e: EngineCore): void {
  const o = e.openers;
  if (o !== undefined && (!o.solo || soloLook(e, o))) follow(e);
}

/** Catches up with the header slots and the log (under the writer lock before a commit). */
export function caughtUp(e: EngineCore): void {
  const raw = e.openers!.readTip();
  catchUp(e, raw === undefined ? undefined : decodeTip(raw));
}

function catchUp(e: EngineCore, tip: Tip | undefined): void {
  const slots = readSlots(e.pager, e.path);
  e.slotTxn[0] = slots.txns[0];
  e.slotTxn[1] = slots.txns[1];
  if (slots.newest.txn > e.viewCkpt) adopt(e, slots.newest);
  readRecords(e);
  if (tip !== undefined) {
    if (tip.direct !== e.tip.direct) e.onExternal?.(undefined);
    e.tip = tip;
  }
  publishPin(e);
}

/** Takes on another opener's checkpoint: its root, its log, and free space still to learn. */
function adopt(e: EngineCore, slot: Slot): void {
  const log = slotLog(slot);
  const cur = e.log?.extent;
  if (log === undefined || cur === undefined || log.page !== cur.page || log.salt !== cur.salt) {
    // The old log's last records are in the new tree, but watchers and
    // transactions here have to hear of them.
    readRecords(e);
    e.log = log === undefined ? undefined : new CommitLog(log);
    if (log !== undefined) e.logPages = Math.max(LOG_MIN_PAGES, log.npages);
    // Snapshots keep the old buffer object: never emptied, replaced.
    e.buffer = new WriteBuffer();
  }
  e.root = { page: slot.rootPage, crc: slot.rootCrc };
  if (slot.txn > e.txn) e.txn = slot.txn;
  // The checkpoint's fdatasync covered every record written before it, ours too.
  e.keptTxn = Math.max(e.keptTxn, e.txn);
  e.checkpointTxn = e.viewCkpt = slot.txn;
  const space = new FreeSpace(slot.pageCount);
  space.generation = e.space.generation + 1; // unpinned scans re-seek
  e.space = space;
  e.spaceUnknown = true;
}

/** Reads records other openers appended after this opener's position. */
function readRecords(e: EngineCore): void {
  const log = e.log;
  if (log === undefined) return;
  for (;;) {
    const r = readRecordAt(e.pager, log.extent, log.used, log.seq + 1);
    if (r === undefined) return;
    log.resume(log.used + r.span, log.seq + 1);
    e.txn++;
    e.buffer.add(r.ops, e.txn, e.pins.size > 0);
    e.onExternal?.(r.ops);
  }
}

/** Says which oldest checkpoint this opener may still read. */
export function publishPin(e: EngineCore): void {
  const o = e.openers;
  if (o === undefined || o.solo) return;
  let pin = e.viewCkpt;
  for (const c of e.ckptPins.keys()) if (c < pin) pin = c;
  o.publishPin(pin);
}

/** Publishes this opener's tip (its checkpoint and log position) to the others. */
export function writeTip(e: EngineCore): void {
  e.tip = { checkpoint: e.viewCkpt, seq: e.log?.seq ?? 0, direct: e.tip.direct };
  e.openers!.writeTip(encodeTip(e.tip));
  e.tipDirty = false;
}

/** Releases the writer lock, publishing the tip first if this opener changed the store. */
export function unlock(e: EngineCore): void {
  const o = e.openers;
  if (o === undefined || !o.locked) return;
  try {
    if (e.tipDirty && !e.closed) writeTip(e);
  } finally {
    o.unlock();
  }
}

/** The B-tree's steps of the shared commit and solo-look protocol. */
const STEPS: OpenerSteps<EngineCore> = { caughtUp, unlock, handOver };

/** Takes the writer lock and catches up before core builds a commit. */
export function beginCommit(e: EngineCore): void | Promise<void> {
  return beginSharedCommit(e, STEPS);
}

/** After the commit (or its failure): releases the writer lock. */
export function endCommit(e: EngineCore): void {
  endSharedCommit(e, STEPS);
}

/** Starts the timer that hands solo mode over or follows others (file stores). */
export function startTicking(e: EngineCore): void {
  const timer = setInterval(() => tick(e), TICK_MS);
  Deno.unrefTimer(timer);
  e.timer = timer;
}

/** Every few ms: hand solo mode over to a newcomer, or follow others and take solo back. */
function tick(e: EngineCore): void {
  const o = e.openers;
  if (o === undefined || e.closed) return;
  // Watchers wait on this timer for other openers' commits: it keeps the process alive then.
  if (e.watching?.() === true) Deno.refTimer(e.timer!);
  else Deno.unrefTimer(e.timer!);
  if (e.inCommit || e.busy > 0 || o.locked) return;
  try {
    if (o.solo) {
      e.soloAt = Date.now();
      if (o.others() > 0) handOver(e, o);
    } else {
      follow(e);
      if (!e.readOnly && o.others() === 0 && o.trySolo()) {
        // Alone now; the last one out may have committed after our last look.
        if (o.tryLock()) {
          try {
            caughtUp(e);
          } finally {
            unlock(e);
          }
        }
      }
    }
  } catch {
    // The next read or commit meets the same error and reports it.
  }
}

/** Looks for newcomers from a loop that never yields; true when it handed solo mode over. */
export function soloLook(e: EngineCore, o: Openers): boolean {
  return sharedSoloLook(e, o, STEPS);
}

/** A newcomer waits: publish the tip and this opener's pin, then stop running solo. */
function handOver(e: EngineCore, o: Openers): void {
  const locked = o.tryLock();
  try {
    if (locked) writeTip(e);
    o.leaveSolo();
    publishPin(e);
  } finally {
    if (locked) o.unlock();
  }
}
