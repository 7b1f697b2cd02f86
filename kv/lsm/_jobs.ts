// The background jobs, written once and run either in a worker thread (on
// disk) or on the main thread in slices (in memory): build tables from a WAL
// (a flush) or from a merge of tables (a compaction).
import { setImmediate } from "node:timers";
import type { BlockCompression } from "./_block.ts";
import { BlockCache } from "./_block_cache.ts";
import { type Cursor, LevelCursor, MergeCursor, TableCursor } from "./_cursor.ts";
import type { LsmFile, LsmFs } from "./_fs.ts";
import { tableName, TableReader } from "./_table_reader.ts";
import { type TableMeta, TableWriter } from "./_table_writer.ts";
import { Table } from "./_version.ts";
import { walOps } from "./_wal.ts";

/** What to do with tombstones and expired values while writing. */
export type DeadPolicy = "keep" | "tombstone" | "drop";

/** How tables are written. */
export interface BuildOptions {
  blockSize: number;
  compression: BlockCompression;
  /** Split outputs at this size; 0 = one table. */
  tableBytes: number;
  dead: DeadPolicy;
  /** Epoch ms that decides expiry. */
  now: number;
}

/** Thrown into a running job when its engine closes. */
export class Aborted extends Error {}

const SLICE_MS = 4;
const f64 = new DataView(new ArrayBuffer(8));

/** True when a stored value carries core's TTL header with a passed deadline. */
function isExpiredAt(buf: Uint8Array, off: number, len: number, now: number): boolean {
  if (len < 9 || buf[off] !== 1) return false;
  for (let i = 0; i < 8; i++) f64.setUint8(i, buf[off + 1 + i]!);
  return f64.getFloat64(0) <= now;
}

/** Gives the event loop a turn (I/O callbacks included). */
export function yieldNow(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/**
 * Writes the cursor's entries into tables, durable on return. `nextNumber`
 * hands out file numbers; `slices` (main thread only) yields now and then and
 * throws {@link Aborted} when `aborted()` turns true.
 */
export async function buildTables(
  fs: LsmFs,
  src: Cursor,
  o: BuildOptions,
  nextNumber: () => number,
  slices?: { aborted: () => boolean },
): Promise<TableMeta[]> {
  const out: TableMeta[] = [];
  let writer: TableWriter | undefined;
  let file: LsmFile | undefined;
  let number = 0;
  const created: number[] = [];
  let slice = performance.now();
  let n = 0;
  const seal = async () => {
    const meta = writer!.finish(number);
    await file!.syncData();
    file!.close();
    out.push(meta);
    writer = undefined;
    file = undefined;
  };
  try {
    for (; src.valid; src.next()) {
      let vlen = src.vlen;
      // Expired values become tombstones; at the bottom level both go.
      if (o.dead !== "keep" && (vlen === 0 || isExpiredAt(src.vbuf, src.voff, vlen, o.now))) {
        if (o.dead === "drop") continue;
        vlen = 0;
      }
      if (!writer) {
        number = nextNumber();
        created.push(number);
        file = fs.create(tableName(number));
        writer = new TableWriter(file, o.blockSize, o.compression);
      }
      writer.addRaw(src.key, src.klen, src.vbuf, src.voff, vlen);
      if (o.tableBytes > 0 && writer.size >= o.tableBytes) await seal();
      if (slices && (++n & 255) === 0 && performance.now() - slice > SLICE_MS) {
        await yieldNow();
        if (slices.aborted()) throw new Aborted();
        slice = performance.now();
      }
    }
    if (writer) await seal();
    if (created.length) fs.syncDir();
    return out;
  } catch (err) {
    file?.close();
    for (const num of created) fs.remove(tableName(num));
    throw err;
  }
}

/**
 * Flush job: the newest version of every key logged in one (complete) WAL
 * file. Ops are sorted by key (then log order) as offsets into the log bytes,
 * so nothing is copied until the table writer takes the bytes.
 */
export function flushWal(
  fs: LsmFs,
  walFile: string,
  o: BuildOptions,
  nextNumber: () => number,
): Promise<TableMeta[]> {
  const log = fs.readFile(walFile);
  // One row of four int32 per op (key offset, key length, value offset, value
  // length or -1), so the sorted pass touches one cache line per op.
  let ops = new Int32Array(4096 * 4);
  let n = 0;
  walOps(log, walFile, (koff, klen, voff, vlen) => {
    if ((n + 1) * 4 > ops.length) {
      const next = new Int32Array(ops.length * 2);
      next.set(ops);
      ops = next;
    }
    const r = n++ * 4;
    ops[r] = koff;
    ops[r + 1] = klen;
    ops[r + 2] = voff;
    ops[r + 3] = vlen;
  });
  const pre = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = ops[i * 4]!, len = ops[i * 4 + 1]!;
    let p = 0;
    for (let j = 0; j < 6; j++) p = p * 256 + (j < len ? log[k + j]! : 0);
    pre[i] = p;
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => {
    if (pre[a] !== pre[b]) return pre[a]! < pre[b]! ? -1 : 1;
    const c = cmpIn(log, ops[a * 4]!, ops[a * 4 + 1]!, ops[b * 4]!, ops[b * 4 + 1]!);
    return c !== 0 ? c : a - b;
  });
  return buildTables(fs, new SortedLogCursor(log, order, ops), o, nextNumber);
}

function cmpIn(b: Uint8Array, ao: number, al: number, bo: number, bl: number): number {
  const n = al < bl ? al : bl;
  for (let i = 0; i < n; i++) {
    const d = b[ao + i]! - b[bo + i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return al === bl ? 0 : al < bl ? -1 : 1;
}

/** The newest op per key of a sorted log, as a cursor. */
class SortedLogCursor implements Cursor {
  valid = true;
  key: Uint8Array = new Uint8Array(4096);
  klen = 0;
  vbuf: Uint8Array;
  voff = 0;
  vlen = 0;
  #i = 0;
  constructor(
    readonly log: Uint8Array,
    readonly order: Uint32Array,
    readonly ops: Int32Array,
  ) {
    this.vbuf = log;
    this.next();
  }
  next(): void {
    const { log, order, ops } = this;
    const n = order.length;
    let i = this.#i;
    if (i >= n) {
      this.valid = false;
      return;
    }
    // Skip to the last op of this key's run: the newest one wins.
    let cur = order[i]! * 4;
    while (i + 1 < n) {
      const nx = order[i + 1]! * 4;
      if (cmpIn(log, ops[cur]!, ops[cur + 1]!, ops[nx]!, ops[nx + 1]!) !== 0) break;
      cur = nx;
      i++;
    }
    this.#i = i + 1;
    const k = ops[cur]!, len = ops[cur + 1]!;
    const key = this.key;
    for (let j = 0; j < len; j++) key[j] = log[k + j]!;
    this.klen = len;
    const vlen = ops[cur + 3]!;
    this.voff = vlen < 0 ? 0 : ops[cur + 2]!;
    this.vlen = vlen < 0 ? 0 : vlen;
  }
}

/** Compaction job by file numbers: `first` are merged newest first, each a sorted run. */
export function compactFiles(
  fs: LsmFs,
  runs: number[][],
  o: BuildOptions,
  nextNumber: () => number,
): Promise<TableMeta[]> {
  const cache = new BlockCache(0);
  const readers: TableReader[] = [];
  try {
    const kids: Cursor[] = runs.map((run) => {
      const tables = run.map((num) => {
        const r = new TableReader(fs.open(tableName(num), false), num, tableName(num), cache);
        readers.push(r);
        return new Table({
          number: num,
          size: r.size,
          entries: r.entryCount,
          smallest: EMPTY,
          largest: EMPTY,
        }, r);
      });
      return tables.length === 1
        ? new TableCursor(tables[0]!.reader, undefined)
        : new LevelCursor(tables, undefined);
    });
    return buildTables(fs, new MergeCursor(kids), o, nextNumber).finally(() => {
      for (const r of readers) r.close();
    });
  } catch (err) {
    for (const r of readers) r.close();
    throw err;
  }
}

const EMPTY = new Uint8Array(0);
