// Several openers of one LSM directory (see core/_openers.ts and docs/lsm.md
// "Many openers"): following the commits and manifest edits others make
// (the tip, their log records, a newer manifest), publishing this opener's
// tip and pin, deleting obsolete files only once no other opener may read
// them, the writer lock around a commit, and solo mode (one opener alone
// skips all of it, and hands it over when a newcomer arrives).
import {
  beginSharedCommit,
  endSharedCommit,
  type Openers,
  type OpenerSteps,
  soloLook as sharedSoloLook,
} from "../../core/_openers.ts";
import { kick } from "./_background.ts";
import { decodeManifest, MANIFEST_NAME, type ManifestState } from "./_manifest.ts";
import { decodeTip, encodeTip, type LsmTip, sameTip } from "./_shared.ts";
import { Memtable } from "../../core/_memtable.ts";
import { applyMem, type LsmState, wake } from "./_state.ts";
import { readRecords, WAL_HEADER, walName, WalWriter } from "./_wal.ts";

/** Learns of other openers' commits: one read of the tip when nothing changed. */
export function follow(e: LsmState): void {
  const o = e.openers!;
  if (o.locked || e.closed) return;
  const raw = o.readTip();
  if (raw === undefined) return;
  const tip = decodeTip(raw);
  if (!sameTip(tip, e.tip)) catchUp(e, tip);
}

/** Catches up with the tip (under the writer lock, before a commit). */
export function caughtUp(e: LsmState): void {
  const raw = e.openers!.readTip();
  if (raw !== undefined) catchUp(e, decodeTip(raw));
}

/**
 * Applies the records other openers logged up to the tip (reporting each),
 * moving through the logs they started, then takes on a newer manifest.
 */
function catchUp(e: LsmState, tip: LsmTip): void {
  if (tip.wal > e.walNo) {
    readTail(e, Infinity);
    for (let n = e.walNo + 1; n <= tip.wal; n++) {
      if (n < tip.wal && !e.fs.exists(walName(n))) continue;
      switchTo(e, n);
      if (n < tip.wal) readTail(e, Infinity);
    }
  }
  if (tip.wal === e.walNo && tip.end > e.walEnd) readTail(e, tip.end);
  e.tip = tip;
  if (tip.edit > e.vs.edit && !e.jobs.held) reloadManifest(e);
  publishPin(e);
}

/** Applies the current log's records from this opener's position up to `end`. */
function readTail(e: LsmState, end: number): void {
  const name = walName(e.walNo);
  let bytes: Uint8Array;
  if (end === Infinity) {
    // A log others moved on from: whole, and no one writes it any more.
    try {
      bytes = e.fs.readFile(name).subarray(e.walEnd);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      throw err;
    }
  } else {
    const file = e.wal?.file ?? e.walReader;
    if (file === undefined) return;
    bytes = file.readAt(e.walEnd, end - e.walEnd);
  }
  e.walEnd += readRecords(bytes, name, (ops) => {
    applyMem(e, ops);
    e.onExternal?.(ops);
  });
}

/** Another opener started log `n`: this memtable is frozen with its log, as after a rotation. */
function switchTo(e: LsmState, n: number): void {
  e.imms.push({ mem: e.mem, wal: e.walNo, bytes: e.walEnd });
  e.mem = new Memtable();
  const old = e.wal;
  if (old !== undefined) {
    // This opener's own records there may still wait for their fdatasync.
    const done = old.finish().finally(() => {
      old.close();
      e.walSyncs += old.syncs;
    });
    const all = Promise.all([e.oldSync, done]).then(() => {});
    e.oldSync = all;
    all.then(() => {
      if (e.oldSync === all) e.oldSync = undefined;
    }, () => {});
  }
  e.walReader?.close();
  e.walReader = undefined;
  e.walNo = n;
  e.walEnd = WAL_HEADER;
  const name = walName(n);
  if (!e.fs.exists(name)) {
    e.wal = undefined;
  } else if (e.readOnly) e.walReader = e.fs.open(name, false);
  else e.wal = new WalWriter(e.fs.open(name, true), n, false, WAL_HEADER);
  kick(e);
}

/**
 * Takes on the manifest on disk if it is newer; false when it covers a log
 * this opener has not read to its end yet (it waits for the tip).
 */
export function reloadManifest(e: LsmState): boolean {
  let state: ManifestState;
  try {
    state = decodeManifest(e.fs.readFile(MANIFEST_NAME), e.path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
  if (state.edit <= e.vs.edit) return true;
  if (state.logNumber > e.walNo) return false;
  e.vs.reload(state);
  // Frozen memtables the manifest covers are in its tables now.
  while (e.imms.length > 0 && e.imms[0]!.wal < state.logNumber) {
    obsolete(e, walName(e.imms.shift()!.wal), state.edit);
  }
  publishPin(e);
  wake(e);
  return true;
}

/**
 * A file no version of this opener reads since manifest edit `edit`:
 * deleted now when alone, else once every other opener reads that edit or
 * a later one (a killed opener's slot stops counting).
 */
export function obsolete(e: LsmState, name: string, edit: number): void {
  const o = e.openers;
  if (e.readOnly) return;
  if (o === undefined || o.solo) {
    e.fs.remove(name);
    return;
  }
  e.pending.push({ name, edit });
}

/** Deletes the obsolete files no other opener may still read. */
export function reap(e: LsmState): void {
  const o = e.openers;
  if (e.pending.length === 0 || o === undefined || e.readOnly) return;
  const others = o.solo ? Infinity : o.othersPin();
  const keep: { name: string; edit: number }[] = [];
  for (const p of e.pending) {
    if (p.edit <= others) {
      try {
        e.fs.remove(p.name);
      } catch { /* removed by another opener */ }
    } else keep.push(p);
  }
  e.pending = keep;
}

/** After this process edited the manifest: others learn of it through the tip. */
export function edited(e: LsmState): void {
  const o = e.openers;
  if (o === undefined || o.solo) return;
  if (o.locked) e.tipDirty = true;
  else if (o.tryLock()) {
    try {
      caughtUp(e);
      e.tipDirty = true;
    } finally {
      unlock(e);
    }
  } else e.editUnpublished = true;
  reap(e);
}

/** Says which oldest manifest edit this opener may still read. */
export function publishPin(e: LsmState): void {
  const o = e.openers;
  if (o === undefined || o.solo || e.closed) return;
  let pin = e.vs.edit;
  for (const edit of e.viewPins.keys()) if (edit < pin) pin = edit;
  o.publishPin(pin);
}

/** Publishes where this opener's log ends and the newest manifest edit. */
export function writeTip(e: LsmState): void {
  const edit = Math.max(e.vs.edit, e.tip.edit);
  e.tip = { wal: e.walNo, end: e.walEnd, edit };
  e.openers!.writeTip(encodeTip(e.tip));
  e.tipDirty = false;
  e.editUnpublished = false;
}

/** Releases the writer lock, publishing the tip first if this opener changed the store. */
export function unlock(e: LsmState): void {
  const o = e.openers;
  if (o === undefined || !o.locked) return;
  try {
    if ((e.tipDirty || e.editUnpublished) && !e.closed) writeTip(e);
  } finally {
    o.unlock();
  }
}

/** Learns of other openers' commits now (core calls it before a watch starts). */
export function refresh(e: LsmState): void {
  const o = e.openers;
  if (o === undefined || e.closed) return;
  // A watch starts: the timer that follows other openers keeps the
  // process alive while it waits (the next tick lets go if no one watches).
  if (e.timer !== undefined) Deno.refTimer(e.timer);
  if (!o.solo) follow(e);
}

/** The LSM's steps of the shared commit and solo-look protocol. */
const STEPS: OpenerSteps<LsmState> = { caughtUp, unlock, handOver };

/** Takes the writer lock and catches up before core builds a commit. */
export function beginCommit(e: LsmState): void | Promise<void> {
  return beginSharedCommit(e, STEPS);
}

/** After the commit (or its failure): releases the writer lock. */
export function endCommit(e: LsmState): void {
  endSharedCommit(e, STEPS);
}

/** Every few ms: hand solo mode over to a newcomer, or follow others and take solo back. */
export function tick(e: LsmState): void {
  const o = e.openers;
  if (o === undefined || e.closed || e.closing) return;
  // Watchers wait on this timer for other openers' commits: it keeps the process alive then.
  if (e.watching?.() === true) Deno.refTimer(e.timer!);
  else Deno.unrefTimer(e.timer!);
  if (e.inCommit || e.busy > 0 || o.locked) return;
  try {
    if (o.solo) {
      e.soloAt = Date.now();
      if (o.others() > 0) handOver(e, o);
      return;
    }
    follow(e);
    if (e.editUnpublished) edited(e);
    reap(e);
    // The jobs lock may be free again (its holder closed or was killed).
    kick(e);
    if (!e.readOnly && o.others() === 0 && o.trySolo()) {
      // Alone now; the last one out may have committed after our last look.
      if (o.tryLock()) {
        try {
          caughtUp(e);
          // Solo commits append where the log ends, without looking.
          e.wal?.resumeAt(e.walEnd);
        } finally {
          unlock(e);
        }
      } else o.leaveSolo();
      reap(e);
    }
  } catch {
    // The next read or commit meets the same error and reports it.
  }
}

/** Looks for newcomers from a loop that never yields; true when it handed solo mode over. */
export function soloLook(e: LsmState, o: Openers): boolean {
  return sharedSoloLook(e, o, STEPS);
}

/** A newcomer waits: write out the log, publish the tip and this opener's pin, leave solo. */
function handOver(e: LsmState, o: Openers): void {
  if (o.locked || !o.tryLock()) return;
  try {
    const wal = e.wal;
    if (wal !== undefined) {
      wal.writeOut();
      e.walNo = wal.number;
      e.walEnd = wal.size;
    }
    writeTip(e);
    o.leaveSolo();
    publishPin(e);
  } finally {
    o.unlock();
  }
}
