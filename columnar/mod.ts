/**
 * Columnar tables for oxistore: apache-arrow tables (`ColumnarTable`) read from and
 * written to Parquet files — local paths, bytes or blobs — with column projection,
 * predicates pushed down to row-group statistics, page CRC checks, schema evolution,
 * bounded streaming in both directions, and Hive-partitioned datasets.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ColumnarTable, readParquet } from "@cooljapan/oxistore/columnar";
 * const t = ColumnarTable.fromRows([{ city: "Oslo", temp: 3.5 }, { city: "Rome", temp: 18 }]);
 * const bytes = await t.toParquet({ compression: "ZSTD" });
 * const warm = await readParquet(bytes, { filter: { column: "temp", op: "gt", value: 10 } });
 * deepStrictEqual(warm.toRows(), [{ city: "Rome", temp: 18 }]);
 * ```
 *
 * @module
 */
export type {
  ArrowSchema,
  BlobSource,
  ColumnStats,
  CompareOp,
  ParquetMetadata,
  ParquetSource,
  ParquetTarget,
  Predicate,
  ReadOptions,
  WriteCompression,
  WriteOptions,
} from "./types.ts";
export { ColumnarTable, schemaDifference } from "./columnar_table.ts";
export { openColumnar, parquetMetadata, readParquet, streamParquet } from "./read_parquet.ts";
export { ParquetStreamWriter } from "./parquet_stream_writer.ts";
export { PartitionedDataset, type PartitionInfo } from "./partitioned_dataset.ts";
export type { BlobRoot } from "./_dataset_storage.ts";
// The blob store types a BlobSource names, so the columnar page documents them.
export type {
  BlobData,
  BlobMeta,
  BlobStore,
  ChunkedUpload,
  GetRangeOptions,
  ListOptions,
  ListResult,
  PresignOptions,
  PutOptions,
} from "../blob/types.ts";
export type { Digest } from "../blob/digest.ts";
