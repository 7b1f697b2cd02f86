// Opening a store: the file, its lock, page 0, choosing a header slot, and
// rebuilding the free space (saved list after a clean close, a verifying
// walk of the tree after a crash).
import { DENO_FS, type FileCalls, type FsCalls, parentDir, syncDir } from "../../core/_fs_calls.ts";
import { ioStoreError, StoreError } from "../../core/error.ts";
import { BTreeEngine, type EngineState } from "./_engine.ts";
import {
  checkHost,
  corruption,
  decodeSlot,
  FORMAT_VERSION,
  hasMagic,
  initialHeader,
  PAGE_SIZE,
  type Slot,
  SLOT_OFFSETS,
  SLOT_SIZE,
} from "./_format.ts";
import { FreeSpace } from "./_freespace.ts";
import { Openers } from "../../core/_openers.ts";
import { attach, LOCK_SUFFIX, READERS_SUFFIX } from "./_follow.ts";
import { DeferredPager, FilePager, MemoryPager, type Pager } from "./_pager.ts";
import { type LogExtent, readLog } from "./_log.ts";
import type { RawOp } from "../../core/engine.ts";
import { readFreeList, walkUsed } from "./_recover.ts";

/** Engine options (the B-tree's share of StoreConfig). */
export interface EngineOptions {
  cacheSizeBytes?: number | undefined;
  syncWrites?: boolean | undefined;
  readOnly?: boolean | undefined;
  /** The file system (the fault tests pass a simulated disk); default the real one. */
  fs?: FsCalls | undefined;
}

const DEFAULT_CACHE = 64 * 1024 * 1024;

function cacheSize(opts: EngineOptions): number {
  const c = opts.cacheSizeBytes;
  if (c === undefined) return DEFAULT_CACHE;
  if (typeof c !== "number" || !Number.isFinite(c) || c < 0) {
    throw new StoreError(
      "InvalidInput",
      `Invalid cacheSizeBytes: expected a finite number >= 0, got ${String(c)}`,
    );
  }
  return c;
}

/** A fresh in-memory engine. */
export function openMemoryEngine(opts: EngineOptions = {}): BTreeEngine {
  checkHost();
  const pager = new MemoryPager();
  pager.writeAt(0, initialHeader());
  return new BTreeEngine({
    pager,
    path: ":memory:",
    memory: true,
    readOnly: false,
    cacheSizeBytes: cacheSize(opts),
    root: { page: 0, crc: 0 },
    txn: 0,
    keptTxn: 0,
    slotTxn: [0, 0],
    space: new FreeSpace(1),
    unlock: () => {},
  });
}

/** Opens (or, unless read-only, creates) the store file at `path`. */
export async function openFileEngine(path: string, opts: EngineOptions = {}): Promise<BTreeEngine> {
  if (typeof path !== "string" || path === "") {
    throw new StoreError("InvalidInput", `Invalid store path: expected a non-empty string`);
  }
  checkHost();
  const readOnly = opts.readOnly === true;
  const cache = cacheSize(opts);
  const fs = opts.fs ?? DENO_FS;
  let file: FileCalls;
  try {
    // Opened synchronously: an open is one quick syscall, and the async
    // call's hop through the thread pool was most of a reopen's time.
    file = fs.openSync(path, readOnly ? { read: true } : { read: true, write: true, create: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new StoreError("NotFound", `Cannot open store at ${path}: no store there`, {
        cause: err,
      });
    }
    // A missing permission is Unsupported naming the flag, as on every engine.
    throw ioStoreError(err, `open store at ${path}`);
  }
  let openers: Openers | undefined;
  try {
    // Any number of openers (processes, isolates, handles) share the file.
    openers = await Openers.join(path, `${path}${LOCK_SUFFIX}`, `${path}${READERS_SUFFIX}`);
    await openers.lock();
    // Alone, the file is as the last opener (or a crash) left it: recover it.
    // Otherwise it is live: take its newest state as it is.
    const alone = openers.others() === 0;
    const filePager = new FilePager(file, path);
    // Others registered but the file is not a store yet: they are creating
    // it too (or were killed doing it). Whoever takes the lock first does.
    const size = filePager.size();
    const creating = !readOnly && (size === 0 || unfinishedCreation(filePager, size));
    // A new file's name is durable only once its directory is synced.
    const state = alone || creating
      ? recover(filePager, path, readOnly, () => syncDir(fs, parentDir(path)))
      : attach(filePager, path);
    const engine = new BTreeEngine({
      ...state,
      pager: new DeferredPager(filePager),
      path,
      memory: false,
      readOnly,
      cacheSizeBytes: cache,
      unlock: () => {},
      openers,
    });
    // On failure the catch below releases the file: nothing more was written.
    engine.recover(state.records, alone);
    openers.unlock();
    if (alone) openers.trySolo();
    return engine;
  } catch (err) {
    openers?.close();
    try {
      file.close();
    } catch { /* already closed */ }
    throw ioStoreError(err, `open store at ${path}`);
  }
}

export type Recovered =
  & Pick<
    EngineState,
    "root" | "txn" | "keptTxn" | "slotTxn" | "space" | "log" | "logEnd" | "spaceUnknown"
  >
  & {
    /** The log's whole records, to replay on top of the slot's tree. */
    records: RawOp[][];
  };

function recover(
  pager: FilePager,
  path: string,
  readOnly: boolean,
  created: () => void,
): Recovered {
  let size = pager.size();
  if (size === 0 || unfinishedCreation(pager, size)) {
    if (readOnly) {
      throw new StoreError(
        "Corruption",
        `Cannot open store at ${path}: file is not an oxistore B-tree (empty file)`,
      );
    }
    pager.write(0, initialHeader());
    pager.syncNow();
    created();
    size = PAGE_SIZE;
  }
  const head = size >= 16 ? pager.readAt(0, Math.min(size, PAGE_SIZE)) : new Uint8Array(0);
  if (!hasMagic(head)) {
    throw new StoreError(
      "Corruption",
      `Cannot open store at ${path}: file is not an oxistore B-tree (bad magic bytes)`,
    );
  }
  const dv = new DataView(head.buffer, head.byteOffset, 16);
  const version = dv.getUint32(8, true);
  if ((version !== 1 && version !== FORMAT_VERSION) || dv.getUint32(12, true) !== PAGE_SIZE) {
    throw corruption(path, `unsupported format version ${dv.getUint32(8, true)}`);
  }
  if (size < PAGE_SIZE) throw corruption(path, "file is truncated inside its header page");
  const slots = SLOT_OFFSETS.map((o) => decodeSlot(head.subarray(o, o + SLOT_SIZE)));
  const slotTxn: [number, number] = [slots[0]?.txn ?? -1, slots[1]?.txn ?? -1];
  const order = slots.filter((s): s is Slot => s !== undefined).sort((a, b) => b.txn - a.txn);
  if (order.length === 0) throw corruption(path, "both header slots fail their checksums");
  const newest = order[0]!.txn;
  let firstErr: unknown;
  for (const slot of order) {
    const log = slot.logPage === 0
      ? undefined
      : { page: slot.logPage, npages: slot.logPages, salt: slot.logSalt };
    let space: FreeSpace;
    try {
      space = rebuild(pager, path, slot, size);
    } catch (err) {
      if (!(err instanceof StoreError) || err.kind !== "Corruption") throw err;
      firstErr ??= err;
      // A clean header was durable before it was written, and so was a
      // checkpoint whose log holds a record: never fall back past either.
      if (slot.clean || (log !== undefined && logHasRecords(pager, path, log, slot))) break;
      continue;
    }
    // A damaged log is Corruption: the older slot would silently lose its commits.
    const records = log === undefined ? [] : readLog(pager, path, log, slot.pageCount).records;
    if (log !== undefined) {
      const pages: number[] = [];
      for (let i = 0; i < log.npages; i++) pages.push(log.page + i);
      space.take(pages);
    }
    // Truncating away pages of abandoned (torn) commits keeps the file honest.
    const torn = size > slot.pageCount * PAGE_SIZE;
    if (!readOnly && torn) pager.truncate(slot.pageCount * PAGE_SIZE);
    // New commits treat the opened state as durable: make it so, unless a
    // clean close already did (reopening a closed store costs no fdatasync).
    if (!readOnly && (torn || !slot.clean)) pager.syncNow();
    return {
      root: { page: slot.rootPage, crc: slot.rootCrc },
      txn: newest,
      keptTxn: slot.txn,
      slotTxn,
      space,
      log,
      records,
    };
  }
  throw firstErr;
}

/**
 * True for a file whose creation a power cut interrupted: one page,
 * each 512-byte sector either still zero or already the new header's (the
 * sectors of one write reach the disk each on its own), and not the whole
 * header. No commit was ever made to it, so it is created again.
 */
function unfinishedCreation(pager: FilePager, size: number): boolean {
  // A shorter file is a cut store, not a cut creation (one write sets the size).
  if (size !== PAGE_SIZE) return false;
  const bytes = pager.readAt(0, size);
  const header = initialHeader();
  let whole = true;
  for (let at = 0; at < size; at += 512) {
    const end = Math.min(at + 512, size);
    let zero = true;
    let same = true;
    for (let i = at; i < end; i++) {
      zero &&= bytes[i] === 0;
      same &&= bytes[i] === header[i];
    }
    if (!zero && !same) return false;
    whole &&= same;
  }
  return !whole;
}

function logHasRecords(pager: Pager, path: string, log: LogExtent, slot: Slot): boolean {
  // A log past the file's end was never written: the checkpoint that named it
  // did not finish (a power cut kept its header slot but not its pages).
  if ((log.page + log.npages) * PAGE_SIZE > pager.size()) return false;
  try {
    return readLog(pager, path, log, slot.pageCount).records.length > 0;
  } catch {
    return true;
  }
}

/** Free space of the state a slot names. */
function rebuild(pager: Pager, path: string, slot: Slot, size: number): FreeSpace {
  const space = new FreeSpace(slot.pageCount);
  // A throwaway engine gives the walk verified page loads with a small cache.
  const io = new BTreeEngine({
    pager,
    path,
    memory: false,
    readOnly: true,
    cacheSizeBytes: 1 << 20,
    root: { page: slot.rootPage, crc: slot.rootCrc },
    txn: slot.txn,
    keptTxn: slot.txn,
    slotTxn: [slot.txn, slot.txn],
    space,
    unlock: () => {},
  });
  if (slot.clean) {
    if (size < slot.pageCount * PAGE_SIZE) {
      throw corruption(
        path,
        `file is truncated (${size} bytes, header needs ${slot.pageCount} pages)`,
      );
    }
    const list = readFreeList(io, slot.freePage, slot.freeCrc, slot.freeCount, slot.pageCount);
    for (const p of list.entries) space.markFree(p);
    space.addPending(slot.txn + 1, list.pages);
    return space;
  }
  const used = walkUsed(io, slot.rootPage, slot.rootCrc, slot.pageCount, slot.syncedTxn);
  for (let p = 1; p < slot.pageCount; p++) if (used[p] !== 1) space.markFree(p);
  return space;
}
