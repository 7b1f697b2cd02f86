// Following a B-tree file that other openers write to: reading the header
// slots they wrote, the tip they publish, and rebuilding this opener's free
// space after another opener's checkpoint (its free pages are known only to
// it; here they are every page the current tree and log do not use).
import { corruption, decodeSlot, type Slot, SLOT_OFFSETS, SLOT_SIZE } from "./_format.ts";
import { FreeSpace } from "./_freespace.ts";
import { type LogExtent, readLog } from "./_log.ts";
import type { Recovered } from "./_open.ts";
import type { Pager } from "./_pager.ts";
import { walkUsed } from "./_recover.ts";
import type { TreeIO } from "./_writer.ts";

/** The writer lock file (and tip) next to a store file. */
export const LOCK_SUFFIX = "-lock";
/** The directory of reader slots next to a store file. */
export const READERS_SUFFIX = "-readers";

/**
 * The newest state of a file other openers have open (no recovery: it is
 * live, and the caller holds the writer lock): the newest slot and its log.
 */
export function attach(pager: Pager, path: string): Recovered {
  const { txns, newest } = readSlots(pager, path);
  const log = slotLog(newest);
  const replay = log === undefined
    ? { records: [], end: 0 }
    : readLog(pager, path, log, newest.pageCount);
  return {
    root: { page: newest.rootPage, crc: newest.rootCrc },
    txn: newest.txn,
    keptTxn: newest.txn,
    slotTxn: txns,
    space: new FreeSpace(newest.pageCount),
    spaceUnknown: true,
    log,
    records: replay.records,
    logEnd: { offset: replay.end, seq: replay.records.length },
  };
}

/** Both header slots (undefined: torn or invalid) and the newest valid one. */
export interface Slots {
  txns: [number, number];
  newest: Slot;
}

/** Reads page 0's two slots (one read). */
export function readSlots(pager: Pager, path: string): Slots {
  const from = SLOT_OFFSETS[0];
  const bytes = pager.readAt(from, SLOT_OFFSETS[1] + SLOT_SIZE - from);
  const slots = SLOT_OFFSETS.map((o) => decodeSlot(bytes.subarray(o - from, o - from + SLOT_SIZE)));
  const a = slots[0], b = slots[1];
  const newest = a === undefined ? b : b === undefined || a.txn > b.txn ? a : b;
  if (newest === undefined) throw corruption(path, "both header slots fail their checksums");
  return { txns: [a?.txn ?? -1, b?.txn ?? -1], newest };
}

/** The log a slot names, if any. */
export function slotLog(slot: Slot): LogExtent | undefined {
  return slot.logPage === 0
    ? undefined
    : { page: slot.logPage, npages: slot.logPages, salt: slot.logSalt };
}

/** What the tip says: the newest checkpoint and the log's end. */
export interface Tip {
  checkpoint: number;
  seq: number;
  /** Commits written as their own checkpoint (no log record): counted, not described. */
  direct: number;
}

/** The tip's payload (after its 4-byte hash). */
export function encodeTip(t: Tip): Uint8Array {
  const b = new Uint8Array(28);
  const dv = new DataView(b.buffer);
  dv.setFloat64(0, t.checkpoint, true);
  dv.setUint32(8, t.seq, true);
  dv.setUint32(12, t.direct >>> 0, true);
  return b;
}

/** Reads a tip from the 32 bytes `Openers.readTip` returns. */
export function decodeTip(b: Uint8Array): Tip {
  const dv = new DataView(b.buffer, b.byteOffset + 4, 28);
  return {
    checkpoint: dv.getFloat64(0, true),
    seq: dv.getUint32(8, true),
    direct: dv.getUint32(12, true),
  };
}

/**
 * Free space for the state `root`/`pageCount` with log `log`: pages the tree
 * and the log do not use are free, but pending at `txn` — another opener may
 * still read them in an older state, so they wait for every pin to pass it.
 */
export function followerSpace(
  io: TreeIO,
  root: { page: number; crc: number },
  pageCount: number,
  log: LogExtent | undefined,
  txn: number,
): FreeSpace {
  const space = new FreeSpace(pageCount);
  // Every node is checked against its parent's hash on the way (no overflow reads).
  const used = walkUsed(io, root.page, root.crc, pageCount, Infinity);
  if (log !== undefined) { for (let i = 0; i < log.npages; i++) used[log.page + i] = 1; }
  const pages: number[] = [];
  for (let p = 1; p < pageCount; p++) if (used[p] !== 1) pages.push(p);
  space.addPending(txn, pages);
  return space;
}
