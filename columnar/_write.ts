// Arrow → Parquet through hyparquet-writer: row groups of the raw column values the type
// table gives, written to a sink as they are encoded.
import type * as A from "apache-arrow";
import { ByteWriter, ParquetWriter } from "hyparquet-writer";
import type { ColumnSource } from "hyparquet-writer";
import { StoreError } from "../core/error.ts";
import type { ParquetTarget, WriteOptions } from "./types.ts";
import { fail } from "./_errors.ts";
import { type ByteSink, MemorySink, openSink } from "./_sinks.ts";
import { compressorsFor } from "./_compressors.ts";
import { parquetElements } from "./_parquet_schema.ts";
import { rawColumn } from "./_type_table.ts";
import { combineBatches } from "./_take.ts";

type AnyData = A.Data<A.DataType>;
/** Default rows per row group. */
export const DEFAULT_ROW_GROUP_SIZE = 100_000;

/** hyparquet-writer column sources of a record batch. */
function batchColumns(batch: A.RecordBatch): ColumnSource[] {
  return batch.schema.fields.map((f, k) => ({
    name: f.name,
    data: rawColumn(batch.data.children[k] as AnyData) as ColumnSource["data"],
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
