// The on-disk format of a B-tree store: constants, the page hash and the two
// header slots. docs/btree.md describes the layout byte by byte.
import { StoreError } from "../../core/error.ts";
import { xxhash32 } from "../../core/xxhash32.ts";

/** Every page is this many bytes; nodes and overflow values use runs of pages. */
export const PAGE_SIZE = 4096;
/** Format version written into page 0 and each slot (version 1 files, without a log, open too). */
export const FORMAT_VERSION = 2;
/** "OXIBTREE" — the first 8 bytes of every store file. */
export const MAGIC: Uint8Array = new Uint8Array([0x4f, 0x58, 0x49, 0x42, 0x54, 0x52, 0x45, 0x45]);
/** Byte offsets of the two header slots inside page 0 (separate 512-byte sectors). */
export const SLOT_OFFSETS: readonly [number, number] = [512, 1024];
/** Bytes of one slot. */
export const SLOT_SIZE = 64;
/** A node never grows beyond this (u16 offsets inside a node). */
export const MAX_NODE_BYTES = 65536;
/** Longest raw key the engine accepts (core sends at most 2048 + 257 bytes). */
export const MAX_RAW_KEY = 2400;
/** A value is stored inline when key + value fit in this many bytes; else in overflow pages. */
export const INLINE_MAX = 2040;

/** Node offsets are read through a Uint16Array: the engine needs a little-endian host. */
export const LITTLE_ENDIAN: boolean = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Throws `Unsupported` on a big-endian host. */
export function checkHost(): void {
  if (!LITTLE_ENDIAN) {
    throw new StoreError(
      "Unsupported",
      "Cannot open a B-tree store: big-endian hosts are not supported",
    );
  }
}

/**
 * The hash of pages, slots and log records: xxHash32 (core/xxhash32.ts). It
 * guards against torn writes and flipped bits, not against attackers.
 */
export const hash32: (input: Uint8Array) => number = xxhash32;

/** What one header slot records: a whole committed state of the store. */
export interface Slot {
  /** Commit id; the valid slot with the larger one is the newest state. */
  txn: number;
  /** The last commit known durable when this slot was written. */
  syncedTxn: number;
  /** Root node page (0 = empty tree) and the hash of its bytes. */
  rootPage: number;
  rootCrc: number;
  /** Pages in use by the file (page 0 included). */
  pageCount: number;
  /** First page of the saved free list (only meaningful when `clean`). */
  freePage: number;
  freeCrc: number;
  freeCount: number;
  /** Written by a clean close: the free list is saved, no recovery walk needed. */
  clean: boolean;
  /** The commit log's first page and length in pages (0 = no log), and its records' salt. */
  logPage: number;
  logPages: number;
  logSalt: number;
}

/** Encodes a slot (64 bytes, hash first). */
export function encodeSlot(s: Slot): Uint8Array {
  const out = new Uint8Array(SLOT_SIZE);
  const dv = new DataView(out.buffer);
  dv.setUint32(4, FORMAT_VERSION, true);
  dv.setFloat64(8, s.txn, true);
  dv.setFloat64(16, s.syncedTxn, true);
  dv.setUint32(24, s.rootPage, true);
  dv.setUint32(28, s.rootCrc, true);
  dv.setUint32(32, s.pageCount, true);
  dv.setUint32(36, s.freePage, true);
  dv.setUint32(40, s.freeCrc, true);
  dv.setUint32(44, s.freeCount, true);
  dv.setUint32(48, s.clean ? 1 : 0, true);
  dv.setUint32(52, s.logPage, true);
  dv.setUint32(56, s.logPages, true);
  dv.setUint32(60, s.logSalt, true);
  dv.setUint32(0, hash32(out.subarray(4)), true);
  return out;
}

/** Decodes a slot, or undefined when its hash or version does not check out. */
export function decodeSlot(bytes: Uint8Array): Slot | undefined {
  if (bytes.length < SLOT_SIZE) return undefined;
  const b = bytes.slice(0, SLOT_SIZE);
  const dv = new DataView(b.buffer);
  if (dv.getUint32(0, true) !== hash32(b.subarray(4))) return undefined;
  const version = dv.getUint32(4, true);
  if (version !== 1 && version !== FORMAT_VERSION) return undefined;
  const s: Slot = {
    txn: dv.getFloat64(8, true),
    syncedTxn: dv.getFloat64(16, true),
    rootPage: dv.getUint32(24, true),
    rootCrc: dv.getUint32(28, true),
    pageCount: dv.getUint32(32, true),
    freePage: dv.getUint32(36, true),
    freeCrc: dv.getUint32(40, true),
    freeCount: dv.getUint32(44, true),
    clean: dv.getUint32(48, true) === 1,
    logPage: version === 1 ? 0 : dv.getUint32(52, true),
    logPages: version === 1 ? 0 : dv.getUint32(56, true),
    logSalt: version === 1 ? 0 : dv.getUint32(60, true),
  };
  if (!Number.isSafeInteger(s.txn) || s.txn < 0 || s.pageCount < 1) return undefined;
  return s;
}

/** Page 0 of a new store: magic, version, page size and two empty slots. */
export function initialHeader(): Uint8Array {
  const page = new Uint8Array(PAGE_SIZE);
  page.set(MAGIC, 0);
  const dv = new DataView(page.buffer);
  dv.setUint32(8, FORMAT_VERSION, true);
  dv.setUint32(12, PAGE_SIZE, true);
  const slot = encodeSlot({
    txn: 0,
    syncedTxn: 0,
    rootPage: 0,
    rootCrc: 0,
    pageCount: 1,
    freePage: 0,
    freeCrc: 0,
    freeCount: 0,
    clean: true,
    logPage: 0,
    logPages: 0,
    logSalt: 0,
  });
  page.set(slot, SLOT_OFFSETS[0]);
  page.set(slot, SLOT_OFFSETS[1]);
  return page;
}

/** True when `bytes` starts with the B-tree magic. */
export function hasMagic(bytes: Uint8Array): boolean {
  if (bytes.length < MAGIC.length) return false;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) return false;
  return true;
}

/** A `Corruption` error naming the store and what failed. */
export function corruption(path: string, what: string): StoreError {
  return new StoreError("Corruption", `Cannot read B-tree store at ${path}: ${what}`);
}
