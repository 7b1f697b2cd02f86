/**
 * Shared option and source types of the columnar module.
 *
 * @module
 */
import type { Table } from "apache-arrow";
import type { BlobStore } from "../blob/types.ts";

/**
 * apache-arrow's `Schema` (the columnar API takes and returns apache-arrow's own
 * schema objects; construct them with `new Schema(...)` from "apache-arrow"). Named
 * here through `Table["schema"]` so the documentation can show it.
 *
 * @example
 * ```ts
 * import type { ArrowSchema } from "@cooljapan/oxistore/columnar";
 * import { ColumnarTable } from "@cooljapan/oxistore/columnar";
 * const schema: ArrowSchema = ColumnarTable.fromRows([{ a: 1 }]).schema;
 * if (schema.fields[0]?.name !== "a") throw new Error("unexpected schema");
 * ```
 */
export type ArrowSchema = Table["schema"];

/** A Parquet file on a blob store. */
export interface BlobSource {
  /** The store holding the file. */
  store: BlobStore;
  /** The blob key of the file. */
  key: string;
}

/** Where a Parquet file comes from: a local path, the bytes themselves, or a blob. */
export type ParquetSource = string | Uint8Array | BlobSource;

/** Where a Parquet file goes: a local path or a blob. */
export type ParquetTarget = string | BlobSource;

/** A comparison operator of a {@linkcode Predicate}. */
export type CompareOp = "eq" | "ne" | "lt" | "le" | "gt" | "ge";

/**
 * A row predicate, evaluated with SQL's three-valued logic (as DuckDB's `WHERE`): a
 * comparison or `in` with a null cell is unknown, `not` of unknown stays unknown,
 * `and`/`or` are Kleene's, and a row is kept only when the predicate is true — so
 * `{ not: { column, op: "eq", value } }` drops nulls; `isNull`/`isNotNull` are never
 * unknown. Values: numbers or bigints for integer and float columns; decimal strings,
 * numbers or bigints for decimal columns (compared exactly); strings; booleans; `Date`
 * (or epoch milliseconds) for dates and timestamps, a bigint for a timestamp compares
 * in the column's own unit; `Uint8Array` for binary columns.
 *
 * @example
 * ```ts
 * import { ColumnarTable, type Predicate } from "@cooljapan/oxistore/columnar";
 * const t = ColumnarTable.fromRows([{ n: 5 }, { n: null }, { n: 7 }]);
 * const notFive: Predicate = { not: { column: "n", op: "eq", value: 5 } };
 * if (t.filter(notFive).numRows !== 1) throw new Error("a null n is unknown, not kept");
 * ```
 */
export type Predicate =
  | { column: string; op: CompareOp; value: unknown }
  | { column: string; op: "in"; values: unknown[] }
  | { column: string; op: "isNull" | "isNotNull" }
  | { and: Predicate[] }
  | { or: Predicate[] }
  | { not: Predicate };

/** Options of `readParquet` and `streamParquet`. */
export interface ReadOptions {
  /** Top-level columns to read (default: all), in this order. */
  columns?: string[];
  /** Rows to keep; row groups whose statistics rule it out are never read. */
  filter?: Predicate;
  /** Target schema (schema evolution): missing nullable columns read as nulls. */
  schema?: ArrowSchema;
}

/** A Parquet compression codec that oxistore writes. */
export type WriteCompression = "UNCOMPRESSED" | "SNAPPY" | "GZIP" | "ZSTD";

/** Options of Parquet writing. */
export interface WriteOptions {
  /** Rows per row group (default 100,000). */
  rowGroupSize?: number;
  /** Page compression (default `"SNAPPY"`). */
  compression?: WriteCompression;
  /** Key-value metadata stored in the file footer. */
  metadata?: Record<string, string>;
}

/**
 * Statistics of one column chunk, as `parquetMetadata` reports them: dates and
 * timestamps as `Date`, decimals as exact decimal strings (the form `toRows` gives).
 */
export interface ColumnStats {
  /** Smallest value, if the writer recorded it. */
  min?: unknown;
  /** Largest value, if the writer recorded it. */
  max?: unknown;
  /** Number of nulls, if the writer recorded it. */
  nullCount?: number;
}

/** What `parquetMetadata` returns. */
export interface ParquetMetadata {
  /** Rows in the file. */
  numRows: number;
  /** Row groups in the file. */
  numRowGroups: number;
  /** Top-level column names. */
  columns: string[];
  /** Footer key-value metadata. */
  keyValueMetadata: Record<string, string>;
  /** Per row group: rows and per-leaf-column statistics (nested leaves as `a.b.c`). */
  rowGroups: { numRows: number; columns: Record<string, ColumnStats> }[];
}
