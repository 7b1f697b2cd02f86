// The background jobs, written once and run either in a worker thread (on
// disk) or on the main thread in slices (in memory): build tables from a WAL
// (a flush) or from a merge of tables (a compaction).
import { setImmediate } from "node:timers";
import type { BlockCompression } from "./_block.ts";
import { BlockCache } from "./_block_cache.ts";
import { type Cursor, LevelCursor, MemCursor, MergeCursor, TableCursor } from "./_cursor.ts";
import type { LsmFile, LsmFs } from "./_fs.ts";
import { Memtable, TOMBSTONE } from "./_memtable.ts";
import { tableName, TableReader } from "./_table_reader.ts";
import { type TableMeta, TableWriter } from "./_table_writer.ts";
import { Table } from "./_version.ts";
import { readWal } from "./_wal.ts";

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

/** Flush job: the newest version of every key logged in one (complete) WAL file. */
export function flushWal(
  fs: LsmFs,
  walFile: string,
  o: BuildOptions,
  nextNumber: () => number,
): Promise<TableMeta[]> {
  const mem = new Memtable();
  let seq = 0;
  for (const ops of readWal(fs.readFile(walFile), walFile, false)) {
    seq++;
    for (const op of ops) mem.put(op.key, op.value ?? TOMBSTONE, seq, false);
  }
  return buildTables(fs, new MemCursor(mem, undefined, Infinity), o, nextNumber);
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
