/**
 * `ParquetStreamWriter`: writes a Parquet file batch by batch with bounded memory.
 *
 * @module
 */
import * as A from "apache-arrow";
import type { ArrowSchema, ParquetTarget, WriteOptions } from "./types.ts";
import type { ColumnarTable } from "./columnar_table.ts";
import { schemaDifference } from "./columnar_table.ts";
import { fail } from "./_errors.ts";
import { compressorsFor } from "./_compressors.ts";
import { combineBatches } from "./_take.ts";
import { DEFAULT_ROW_GROUP_SIZE, ParquetEncoder } from "./_write.ts";
import { openSink } from "./_sinks.ts";

/**
 * Writes a Parquet file incrementally: rows are buffered until a row group is full,
 * then encoded and handed to the file or blob, so memory holds at most one row group.
 * A local file appears atomically at `close()` (temp file + rename); `abort()` leaves
 * nothing behind.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ColumnarTable, ParquetStreamWriter, parquetMetadata } from "@cooljapan/oxistore/columnar";
 * const path = await Deno.makeTempFile({ suffix: ".parquet" });
 * const first = ColumnarTable.fromRows([{ n: 1 }, { n: 2 }]);
 * const w = await ParquetStreamWriter.create(path, first.schema, { rowGroupSize: 2 });
 * await w.write(first);
 * await w.write(ColumnarTable.fromRows([{ n: 3 }]));
 * await w.close();
 * deepStrictEqual((await parquetMetadata(path)).numRowGroups, 2);
 * await Deno.remove(path);
 * ```
 */
export class ParquetStreamWriter {
  /** The schema every written batch must have. */
  readonly schema: ArrowSchema;
  #enc: ParquetEncoder;
  #rowGroupSize: number;
  #pending: A.RecordBatch[] = [];
  #pendingRows = 0;
  #done = false;
  /** Rows written so far (including buffered ones). */
  rowsWritten = 0;

  private constructor(schema: A.Schema, enc: ParquetEncoder, rowGroupSize: number) {
    this.schema = schema;
    this.#enc = enc;
    this.#rowGroupSize = rowGroupSize;
  }

  /**
   * Opens a writer on a path or `{ store, key }` for tables of `schema`.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { Field, Int32, Schema } from "apache-arrow";
   * import { ParquetStreamWriter } from "@cooljapan/oxistore/columnar";
   * const path = await Deno.makeTempFile();
   * const w = await ParquetStreamWriter.create(path, new Schema([new Field("x", new Int32())]));
   * deepStrictEqual(w.schema.fields.map((f) => f.name), ["x"]);
   * await w.abort();
   * await Deno.remove(path);
   * ```
   */
  static async create(
    target: ParquetTarget,
    schema: A.Schema,
    opts: WriteOptions = {},
  ): Promise<ParquetStreamWriter> {
    if (!(schema instanceof A.Schema)) {
      return fail("InvalidInput", "Cannot create a Parquet writer: schema must be an Arrow Schema");
    }
    const rowGroupSize = opts.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
    if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1) {
      return fail("InvalidInput", `Cannot create a Parquet writer: rowGroupSize ${rowGroupSize}`);
    }
    compressorsFor(opts.compression ?? "SNAPPY");
    const what = typeof target === "string"
      ? `Parquet file ${target}`
      : `Parquet blob ${target.key}`;
    const sink = await openSink(target);
    try {
      return new ParquetStreamWriter(
        schema,
        new ParquetEncoder(schema, sink, opts, what),
        rowGroupSize,
      );
    } catch (err) {
      await sink.abort();
      throw err;
    }
  }

  /**
   * Adds rows (a record batch, an Arrow table or a ColumnarTable of the same schema).
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable, ParquetStreamWriter, readParquet } from "@cooljapan/oxistore/columnar";
   * const t = ColumnarTable.fromRows([{ s: "a" }]);
   * const path = await Deno.makeTempFile();
   * const w = await ParquetStreamWriter.create(path, t.schema);
   * await w.write(t.toArrow());
   * await w.close();
   * deepStrictEqual((await readParquet(path)).toRows(), [{ s: "a" }]);
   * await Deno.remove(path);
   * ```
   */
  async write(rows: A.RecordBatch | A.Table | ColumnarTable): Promise<void> {
    if (this.#done) return fail("Closed", "Cannot write: the Parquet writer is closed");
    const table = rows instanceof A.RecordBatch
      ? new A.Table([rows])
      : rows instanceof A.Table
      ? rows
      : rows && typeof (rows as ColumnarTable).toArrow === "function"
      ? (rows as ColumnarTable).toArrow()
      : fail("InvalidInput", "Cannot write: expected a RecordBatch, Table or ColumnarTable");
    const diff = schemaDifference(this.schema, table.schema);
    if (diff) return fail("InvalidInput", `Cannot write to the Parquet writer: ${diff}`);
    for (const b of table.batches) {
      if (b.numRows === 0) continue;
      this.#pending.push(b);
      this.#pendingRows += b.numRows;
      this.rowsWritten += b.numRows;
    }
    try {
      while (this.#pendingRows >= this.#rowGroupSize) await this.#flush(this.#rowGroupSize);
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  async #flush(rows: number): Promise<void> {
    const all = combineBatches(new A.Table(this.schema, this.#pending));
    const group = all.slice(0, rows);
    const rest = all.slice(rows);
    await this.#enc.writeBatch(group, rows);
    this.#pending = rest.numRows ? [rest] : [];
    this.#pendingRows = rest.numRows;
  }

  /**
   * Writes the last row group and the footer, and publishes the file.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable, ParquetStreamWriter, readParquet } from "@cooljapan/oxistore/columnar";
   * const t = ColumnarTable.fromRows([{ v: 1.5 }]);
   * const path = await Deno.makeTempFile();
   * const w = await ParquetStreamWriter.create(path, t.schema);
   * await w.write(t);
   * await w.close();
   * deepStrictEqual((await readParquet(path)).numRows, 1);
   * await Deno.remove(path);
   * ```
   */
  async close(): Promise<void> {
    if (this.#done) return;
    try {
      if (this.#pendingRows > 0) await this.#flush(this.#pendingRows);
      this.#done = true;
      await this.#enc.finish();
    } catch (err) {
      this.#done = true;
      await this.#enc.abort();
      throw err;
    }
  }

  /**
   * Drops the file (or upload) being written.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable, ParquetStreamWriter } from "@cooljapan/oxistore/columnar";
   * const t = ColumnarTable.fromRows([{ v: 1 }]);
   * const dir = await Deno.makeTempDir();
   * const w = await ParquetStreamWriter.create(`${dir}/x.parquet`, t.schema);
   * await w.abort();
   * deepStrictEqual([...Deno.readDirSync(dir)].length, 0);
   * await Deno.remove(dir);
   * ```
   */
  async abort(): Promise<void> {
    this.#done = true;
    this.#pending = [];
    await this.#enc.abort();
  }
}
