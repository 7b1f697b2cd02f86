// Arrow → Parquet through hyparquet-writer: schema mapping, raw column values, row groups.
import * as A from "apache-arrow";
import { ByteWriter, ParquetWriter } from "hyparquet-writer";
import type { ColumnSource } from "hyparquet-writer";
import { StoreError } from "../core/error.ts";
import type { ParquetTarget, WriteOptions } from "./types.ts";
import { fail } from "./_errors.ts";
import { type ByteSink, MemorySink, openSink } from "./_sinks.ts";
import { compressorsFor } from "./_compressors.ts";
import { parquetElements } from "./_parquet_schema.ts";
import { decimalWordsToBigInt } from "./_decimal.ts";
import { validAt } from "./_values.ts";
import { combineBatches } from "./_take.ts";

type AnyData = A.Data<A.DataType>;
const MS_PER_DAY = 86_400_000;
/** Default rows per row group. */
export const DEFAULT_ROW_GROUP_SIZE = 100_000;

/** Raw Parquet-side values of a cell: the representation hyparquet-writer expects. */
function rawGetter(data: AnyData): (i: number) => unknown {
  const type = data.type;
  const vals = data.values as unknown as ArrayLike<number | bigint>;
  const nullOr = <T>(f: (i: number) => T) => (i: number) => validAt(data, i) ? f(i) : null;
  if (A.DataType.isTimestamp(type)) {
    const sec = (type as A.Timestamp).unit === A.TimeUnit.SECOND;
    return nullOr((i) => sec ? (vals[i] as bigint) * 1000n : vals[i]);
  }
  if (A.DataType.isDate(type)) {
    if ((type as A.Date_).unit === A.DateUnit.DAY) return nullOr((i) => vals[i]);
    return nullOr((i) => Math.floor(Number(vals[i]) / MS_PER_DAY));
  }
  if (A.DataType.isTime(type)) {
    const sec = (type as A.Time).unit === A.TimeUnit.SECOND;
    return nullOr((i) => sec ? Number(vals[i]) * 1000 : vals[i]);
  }
  if (A.DataType.isDecimal(type)) {
    const stride = (type as A.Decimal).bitWidth / 32;
    return nullOr((i) => decimalWordsToBigInt(data.values as Uint32Array, i, stride));
  }
  if (A.DataType.isList(type) || A.DataType.isFixedSizeList(type)) {
    const child = rawGetter(data.children[0]!);
    const offs = data.valueOffsets as Int32Array | undefined;
    const size = A.DataType.isFixedSizeList(type) ? (type as A.FixedSizeList).listSize : 0;
    return nullOr((i) => {
      const [a, b] = offs ? [offs[i]!, offs[i + 1]!] : [i * size, (i + 1) * size];
      const out = new Array(b - a);
      for (let k = a; k < b; k++) out[k - a] = child(k);
      return out;
    });
  }
  if (A.DataType.isMap(type)) {
    const entries = data.children[0]!;
    const key = rawGetter(entries.children[0]!);
    const value = rawGetter(entries.children[1]!);
    const offs = data.valueOffsets as Int32Array;
    return nullOr((i) => {
      const out = [];
      for (let k = offs[i]!; k < offs[i + 1]!; k++) out.push({ key: key(k), value: value(k) });
      return out;
    });
  }
  if (A.DataType.isStruct(type)) {
    const fields = (type as A.Struct).children;
    const getters = data.children.map(rawGetter);
    return nullOr((i) => {
      const o: Record<string, unknown> = {};
      fields.forEach((f, k) => o[f.name] = getters[k]!(i));
      return o;
    });
  }
  const vec = A.makeVector(data);
  if (A.DataType.isBinary(type) || A.DataType.isFixedSizeBinary(type)) {
    return nullOr((i) => vec.get(i) as Uint8Array);
  }
  return nullOr((i) => vec.get(i));
}

/** The values of one top-level column, typed arrays where there are no nulls. */
function columnValues(data: AnyData): ArrayLike<unknown> {
  const type = data.type;
  const n = data.length;
  if (data.nullCount === 0) {
    const v = data.values as unknown as { subarray(a: number, b: number): ArrayLike<unknown> };
    if (A.DataType.isInt(type)) {
      const t = type as A.Int;
      if (t.bitWidth === 64) {
        return v.subarray(0, n);
      }
      // hyparquet-writer wraps UINT_32 only when given a plain array.
      if (t.bitWidth === 32) return t.isSigned ? v.subarray(0, n) : Array.from(v.subarray(0, n));
      return Int32Array.from(v.subarray(0, n) as Int8Array);
    }
    if (A.DataType.isFloat(type) && (type as A.Float).precision !== A.Precision.HALF) {
      return v.subarray(0, n);
    }
    if (A.DataType.isTimestamp(type) && (type as A.Timestamp).unit !== A.TimeUnit.SECOND) {
      return v.subarray(0, n);
    }
    if (A.DataType.isDate(type) && (type as A.Date_).unit === A.DateUnit.DAY) {
      return v.subarray(0, n);
    }
  }
  if (A.DataType.isUtf8(type)) return utf8Strings(data);
  if (A.DataType.isBool(type)) {
    const bits = data.values as Uint8Array;
    const out = new Array<boolean | null>(n);
    for (let i = 0; i < n; i++) {
      const j = data.offset + i;
      out[i] = validAt(data, i) ? ((bits[j >> 3]! >> (j & 7)) & 1) === 1 : null;
    }
    return out;
  }
  const get = rawGetter(data);
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = get(i);
  return out;
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder();

/**
 * The strings of a Utf8 column. When the bytes are all ASCII, one decode of the whole
 * buffer and a substring per cell is several times faster than a decode per cell.
 */
function utf8Strings(data: AnyData): (string | null)[] {
  const n = data.length;
  const offs = data.valueOffsets as Int32Array;
  const bytes = (data.values as Uint8Array).subarray(offs[0]!, offs[n]!);
  const base = offs[0]!;
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! > 0x7f) {
      ascii = false;
      break;
    }
  }
  const out = new Array<string | null>(n);
  const text = ascii ? latin1.decode(bytes) : "";
  for (let i = 0; i < n; i++) {
    if (!validAt(data, i)) out[i] = null;
    else if (ascii) out[i] = text.substring(offs[i]! - base, offs[i + 1]! - base);
    else out[i] = utf8.decode(bytes.subarray(offs[i]! - base, offs[i + 1]! - base));
  }
  return out;
}

/** hyparquet-writer column sources of a record batch. */
function batchColumns(batch: A.RecordBatch): ColumnSource[] {
  return batch.schema.fields.map((f, k) => ({
    name: f.name,
    data: columnValues(batch.data.children[k] as AnyData) as ColumnSource["data"],
  }));
}

function writeError(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new StoreError("InvalidInput", `Cannot write ${what}: ${msg}`, { cause: err });
}

/** Low-level encoder: schema fixed up front, row groups written as they are given. */
export class ParquetEncoder {
  readonly schema: A.Schema;
  #sink: ByteSink;
  #bytes = new ByteWriter();
  #writer: ParquetWriter;
  #what: string;

  constructor(schema: A.Schema, sink: ByteSink, opts: WriteOptions, what: string) {
    this.schema = schema;
    this.#sink = sink;
    this.#what = what;
    const codec = opts.compression ?? "SNAPPY";
    const compressors = compressorsFor(codec);
    const kv = Object.entries(opts.metadata ?? {}).map(([key, value]) => {
      if (typeof value !== "string") {
        fail("InvalidInput", `Cannot write ${what}: metadata value of ${key} is not a string`);
      }
      return { key, value };
    });
    const bytes = this.#bytes;
    // hyparquet-writer calls flush() after each row group and awaits it: hand the
    // encoded bytes to the sink and start the buffer over, so memory stays bounded.
    (bytes as unknown as { flush: () => Promise<void> }).flush = () => this.#drain();
    try {
      this.#writer = new ParquetWriter({
        writer: bytes,
        // hyparquet-writer pins its own hyparquet release: the element types are the same shape.
        schema: parquetElements(schema) as never,
        codec,
        compressors,
        statistics: true,
        ...(kv.length ? { kvMetadata: kv } : {}),
        createdBy: "oxistore (hyparquet-writer)",
      });
    } catch (err) {
      throw writeError(err, what);
    }
  }

  #drain(): Promise<void> {
    const b = this.#bytes as unknown as { buffer: ArrayBuffer; index: number };
    if (b.index === 0) return Promise.resolve();
    const chunk = new Uint8Array(b.buffer.slice(0, b.index));
    b.index = 0;
    return this.#sink.write(chunk);
  }

  /** Encodes `batch` as row groups of at most `rowGroupSize` rows. */
  async writeBatch(batch: A.RecordBatch, rowGroupSize: number): Promise<void> {
    if (batch.numRows === 0) return;
    try {
      await this.#writer.write({ columnData: batchColumns(batch), rowGroupSize });
    } catch (err) {
      throw writeError(err, this.#what);
    }
  }

  /** Writes the footer and closes the sink. */
  async finish(): Promise<void> {
    try {
      await this.#writer.finish();
    } catch (err) {
      throw writeError(err, this.#what);
    }
    await this.#drain();
    await this.#sink.close();
  }

  /** Drops everything written (removes the temp file / aborts the upload). */
  abort(): Promise<void> {
    return this.#sink.abort();
  }
}

function checkRowGroupSize(opts: WriteOptions): number {
  const n = opts.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  if (!Number.isInteger(n) || n < 1) {
    return fail(
      "InvalidInput",
      `Cannot write Parquet: rowGroupSize ${n} is not a positive integer`,
    );
  }
  return n;
}

async function encodeTable(table: A.Table, sink: ByteSink, opts: WriteOptions, what: string) {
  const rowGroupSize = checkRowGroupSize(opts);
  const enc = new ParquetEncoder(table.schema, sink, opts, what);
  try {
    // One batch, so row groups have exactly rowGroupSize rows whatever the chunking.
    await enc.writeBatch(combineBatches(table), rowGroupSize);
    await enc.finish();
  } catch (err) {
    await enc.abort();
    throw err;
  }
}

/** The table as Parquet bytes. */
export async function tableToParquet(table: A.Table, opts: WriteOptions): Promise<Uint8Array> {
  const sink = new MemorySink();
  await encodeTable(table, sink, opts, "Parquet bytes");
  return sink.bytes();
}

/** Writes the table as Parquet to a path or blob. */
export async function writeTableTo(
  table: A.Table,
  target: ParquetTarget,
  opts: WriteOptions,
): Promise<void> {
  const what = typeof target === "string" ? `Parquet file ${target}` : `Parquet blob ${target.key}`;
  checkRowGroupSize(opts);
  compressorsFor(opts.compression ?? "SNAPPY");
  const sink = await openSink(target);
  await encodeTable(table, sink, opts, what);
}
