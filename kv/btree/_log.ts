// The commit log: a run of pages inside the store file where each commit's
// operations are appended as one checksummed record. A durable commit then
// costs one small sequential write and one fdatasync; the tree pages it
// changed stay in memory until a checkpoint writes them all at once (a leaf
// touched by many commits is written once, not once per commit).
import type { RawOp } from "../../core/engine.ts";
import { corruption, hash32, PAGE_SIZE } from "./_format.ts";
import type { Pager } from "./_pager.ts";

/** Records start on sector boundaries, so one never shares a torn sector with the next. */
export const SECTOR = 512;
/** Bytes before a record's operations. */
const HEAD = 32;
const DELETE = 0xffffffff;

/** Where a log lives and which checkpoint it belongs to. */
export interface LogExtent {
  page: number;
  npages: number;
  /** The checkpoint's commit id: records carry it, so stale records never match. */
  salt: number;
}

/** Bytes of a commit's record before padding. */
function recordSize(ops: readonly RawOp[]): number {
  let n = HEAD;
  for (const op of ops) n += 6 + op.key.length + (op.value?.length ?? 0);
  return n;
}

/**
 * One record: hash u32 (of everything after it), payload length u32, salt f64,
 * seq u32, synced seq u32, op count u32, reserved u32, then per op: key length
 * u16, value length u32 (0xffffffff = delete), key, value. Padded to a sector.
 */
export function encodeRecord(
  ops: readonly RawOp[],
  salt: number,
  seq: number,
  syncedSeq: number,
): Uint8Array {
  const size = recordSize(ops);
  const buf = new Uint8Array(Math.ceil(size / SECTOR) * SECTOR);
  const dv = new DataView(buf.buffer);
  dv.setUint32(4, size - HEAD, true);
  dv.setFloat64(8, salt, true);
  dv.setUint32(16, seq, true);
  dv.setUint32(20, syncedSeq, true);
  dv.setUint32(24, ops.length, true);
  let o = HEAD;
  for (const op of ops) {
    dv.setUint16(o, op.key.length, true);
    dv.setUint32(o + 2, op.value === undefined ? DELETE : op.value.length, true);
    buf.set(op.key, o + 6);
    o += 6 + op.key.length;
    if (op.value !== undefined) {
      buf.set(op.value, o);
      o += op.value.length;
    }
  }
  dv.setUint32(0, hash32(buf.subarray(4, size)), true);
  return buf;
}

interface Decoded {
  ops: RawOp[];
  syncedSeq: number;
  /** Bytes the record occupies, padding included. */
  span: number;
}

function decodeRecord(
  buf: Uint8Array,
  at: number,
  salt: number,
  seq: number,
): Decoded | undefined {
  if (at + HEAD > buf.length) return undefined;
  const dv = new DataView(buf.buffer, buf.byteOffset + at, buf.length - at);
  const len = dv.getUint32(4, true);
  if (dv.getFloat64(8, true) !== salt || dv.getUint32(16, true) !== seq) return undefined;
  if (HEAD + len > buf.length - at) return undefined;
  if (hash32(buf.subarray(at + 4, at + HEAD + len)) !== dv.getUint32(0, true)) return undefined;
  const count = dv.getUint32(24, true);
  const ops: RawOp[] = [];
  let o = HEAD;
  const end = HEAD + len;
  for (let i = 0; i < count; i++) {
    if (o + 6 > end) return undefined;
    const klen = dv.getUint16(o, true);
    const vlen = dv.getUint32(o + 2, true);
    const kStart = at + o + 6;
    const vStart = kStart + klen;
    const vEnd = vlen === DELETE ? vStart : vStart + vlen;
    if (vEnd > at + end) return undefined;
    ops.push({
      key: buf.slice(kStart, vStart),
      value: vlen === DELETE ? undefined : buf.slice(vStart, vEnd),
    });
    o = vEnd - at;
  }
  return { ops, syncedSeq: dv.getUint32(20, true), span: Math.ceil(end / SECTOR) * SECTOR };
}

/** The records of a log, in commit order. */
export interface Replay {
  records: RawOp[][];
  /** Bytes the whole records occupy (where the next one goes). */
  end: number;
}

/**
 * Reads a log's whole records. The first record that does not check out ends
 * the log (a commit torn by a crash was never acknowledged) — unless a later
 * record says that one was already durable: then the log is damaged and the
 * store is `Corruption`, never silently missing an acknowledged commit.
 */
export function readLog(pager: Pager, path: string, log: LogExtent, pageCount: number): Replay {
  if (log.page <= 0 || log.page + log.npages > pageCount) {
    throw corruption(path, `the commit log at page ${log.page} lies outside the file`);
  }
  const buf = pager.read(log.page, log.npages);
  const records: RawOp[][] = [];
  let at = 0;
  let seq = 1;
  for (;;) {
    const r = decodeRecord(buf, at, log.salt, seq);
    if (r === undefined) break;
    records.push(r.ops);
    at += r.span;
    seq++;
  }
  for (let later = at + SECTOR, s = seq + 1; later + HEAD <= buf.length; later += SECTOR) {
    const dv = new DataView(buf.buffer, buf.byteOffset + later, HEAD);
    if (dv.getFloat64(8, true) !== log.salt) continue;
    const lseq = dv.getUint32(16, true);
    if (lseq < s) continue;
    const r = decodeRecord(buf, later, log.salt, lseq);
    if (r !== undefined && r.syncedSeq >= seq) {
      throw corruption(path, `commit log record ${seq} fails its checksum`);
    }
  }
  return { records, end: at };
}

/**
 * The record `seq` at byte `offset` of a log, if a whole one is there (a
 * commit another opener appended): one read of a sector, a second for the
 * rest of a longer record.
 */
export function readRecordAt(
  pager: Pager,
  log: LogExtent,
  offset: number,
  seq: number,
): { ops: RawOp[]; span: number } | undefined {
  const cap = log.npages * PAGE_SIZE;
  if (offset + HEAD > cap) return undefined;
  const base = log.page * PAGE_SIZE + offset;
  let buf = pager.readAt(base, SECTOR);
  const dv = new DataView(buf.buffer, buf.byteOffset, HEAD);
  if (dv.getFloat64(8, true) !== log.salt || dv.getUint32(16, true) !== seq) return undefined;
  const span = Math.ceil((HEAD + dv.getUint32(4, true)) / SECTOR) * SECTOR;
  if (offset + span > cap) return undefined;
  if (span > SECTOR) buf = pager.readAt(base, span);
  const r = decodeRecord(buf, 0, log.salt, seq);
  return r === undefined ? undefined : { ops: r.ops, span: r.span };
}

/** The open log a store appends to. */
export class CommitLog {
  readonly extent: LogExtent;
  /** Records appended. */
  seq = 0;
  /** Records known durable. */
  syncedSeq = 0;
  #offset = 0;

  constructor(extent: LogExtent) {
    this.extent = extent;
  }

  /** Bytes the log can hold. */
  get capacity(): number {
    return this.extent.npages * PAGE_SIZE;
  }

  /** Bytes used so far. */
  get used(): number {
    return this.#offset;
  }

  /** Continues after `seq` records ending at byte `offset` (replayed, or appended elsewhere). */
  resume(offset: number, seq: number): void {
    this.#offset = offset;
    this.seq = seq;
  }

  /** Appends a record for `ops`; false (nothing written) when it does not fit. */
  append(pager: Pager, ops: readonly RawOp[]): boolean {
    if (this.#offset + recordSize(ops) > this.capacity) return false;
    const rec = encodeRecord(ops, this.extent.salt, this.seq + 1, this.syncedSeq);
    if (this.#offset + rec.length > this.capacity) return false;
    pager.writeAt(this.extent.page * PAGE_SIZE + this.#offset, rec);
    this.#offset += rec.length;
    this.seq++;
    return true;
  }
}
