/**
 * Reading Parquet: whole tables, bounded record batches, and footer metadata.
 *
 * @module
 */
import * as A from "apache-arrow";
import type { ParquetMetadata, ParquetSource, ReadOptions } from "./types.ts";
import { ColumnarTable } from "./columnar_table.ts";
import { fail } from "./_errors.ts";
import { evolveBatch, planEvolution } from "./_evolve.ts";
import {
  type Compiled,
  compilePredicate,
  matchBatch,
  mayMatch,
  predicateColumns,
} from "./_predicate.ts";
import { ParquetReader } from "./_reader.ts";
import { takeBatch } from "./_take.ts";
import { formatDecimal } from "./_decimal.ts";

interface Plan {
  /** Columns read from the file. */
  read: string[];
  /** The schema of what the caller gets. */
  output: A.Schema;
  filter: Compiled | undefined;
  /** Row groups that may hold matching rows. */
  groups: number[];
}

function plan(reader: ParquetReader, opts: ReadOptions): Plan {
  const name = reader.src.name;
  const fileCols = reader.columns;
  if (opts.columns !== undefined) {
    if (!Array.isArray(opts.columns)) {
      fail("InvalidInput", `Cannot read ${name}: columns must be an array of names`);
    }
    for (const c of opts.columns) {
      const known = opts.schema
        ? opts.schema.fields.some((f) => f.name === c)
        : fileCols.includes(c);
      if (!known) {
        fail(
          "InvalidInput",
          `Cannot read column ${JSON.stringify(c)} from ${name}: no such column (have ${
            (opts.schema ? opts.schema.fields.map((f) => f.name) : fileCols).join(", ")
          })`,
        );
      }
    }
  }
  let full: A.Schema;
  if (opts.schema) {
    if (!(opts.schema instanceof A.Schema)) {
      fail("InvalidInput", `Cannot read ${name}: schema must be an apache-arrow Schema`);
    }
    planEvolution(reader.schema, opts.schema, name);
    full = opts.schema;
  } else {
    full = reader.schema;
  }
  const output = opts.columns
    ? new A.Schema(opts.columns.map((c) => full.fields.find((f) => f.name === c)!))
    : full;
  const filter = opts.filter ? compilePredicate(opts.filter, full) : undefined;
  const needed = new Set(output.fields.map((f) => f.name));
  if (opts.filter) { for (const c of predicateColumns(opts.filter)) needed.add(c); }
  const read = [...needed].filter((c) => fileCols.includes(c));
  const groups: number[] = [];
  reader.metadata.row_groups.forEach((g, i) => {
    if (Number(g.num_rows) === 0) return;
    if (filter && !mayMatch(filter, (c) => reader.keyStats(i, c))) return;
    groups.push(i);
  });
  return { read, output, filter, groups };
}

/** Reads, evolves, filters and projects one row group. */
async function groupBatch(
  reader: ParquetReader,
  p: Plan,
  g: number,
  opts: ReadOptions,
): Promise<A.RecordBatch> {
  let batch = await reader.readGroup(g, p.read);
  const name = reader.src.name;
  // With a filter, work in the schema the filter was compiled against (plus its columns).
  if (opts.schema) {
    const cols = new Set([...p.output.fields.map((f) => f.name), ...p.read]);
    const wide = new A.Schema(opts.schema.fields.filter((f) => cols.has(f.name)));
    batch = evolveBatch(batch, wide, name);
  }
  if (p.filter) batch = takeBatch(batch, matchBatch(p.filter, batch));
  return project(batch, p.output);
}

function project(batch: A.RecordBatch, schema: A.Schema): A.RecordBatch {
  const names = schema.fields.map((f) => f.name);
  const same = batch.schema.fields.length === names.length &&
    batch.schema.fields.every((f, i) => f.name === names[i]);
  if (same) return batch;
  const children = names.map((n) => batch.getChild(n)!.data[0]!);
  const struct = A.makeData({ type: new A.Struct(schema.fields), length: batch.numRows, children });
  return new A.RecordBatch(schema, struct);
}

/**
 * Reads a Parquet file (path, bytes, or `{ store, key }`) into a table. Only the
 * requested columns' chunks of the row groups that may match `filter` are fetched;
 * page CRCs are checked where present. Not Parquet, truncated or bad CRC →
 * `Corruption`; I/O failure → `Io`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ColumnarTable, readParquet } from "@cooljapan/oxistore/columnar";
 * const rows = Array.from({ length: 100 }, (_, i) => ({ id: i, tag: i % 2 ? "odd" : "even" }));
 * const bytes = await ColumnarTable.fromRows(rows).toParquet({ rowGroupSize: 10 });
 * const t = await readParquet(bytes, { columns: ["id"], filter: { column: "id", op: "lt", value: 15 } });
 * deepStrictEqual(t.numRows, 15);
 * ```
 */
export async function readParquet(
  source: ParquetSource,
  opts: ReadOptions = {},
): Promise<ColumnarTable> {
  const reader = await ParquetReader.open(source);
  try {
    const p = plan(reader, opts);
    const batches: A.RecordBatch[] = [];
    for (const g of p.groups) {
      const b = await groupBatch(reader, p, g, opts);
      if (b.numRows > 0) batches.push(b);
    }
    return ColumnarTable.fromArrow(new A.Table(p.output, batches));
  } finally {
    reader.close();
  }
}

/**
 * Streams a Parquet file as record batches of at most `batchRows` rows (default 65,536),
 * holding one row group in memory at a time.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ColumnarTable, streamParquet } from "@cooljapan/oxistore/columnar";
 * const rows = Array.from({ length: 25 }, (_, i) => ({ n: i }));
 * const bytes = await ColumnarTable.fromRows(rows).toParquet({ rowGroupSize: 10 });
 * const sizes: number[] = [];
 * for await (const batch of streamParquet(bytes, { batchRows: 4 })) sizes.push(batch.numRows);
 * deepStrictEqual(sizes, [4, 4, 2, 4, 4, 2, 4, 1]);
 * ```
 */
export async function* streamParquet(
  source: ParquetSource,
  opts: ReadOptions & { batchRows?: number } = {},
): AsyncIterableIterator<A.RecordBatch> {
  const batchRows = opts.batchRows ?? 65_536;
  if (!Number.isInteger(batchRows) || batchRows < 1) {
    fail("InvalidInput", `Cannot stream Parquet: batchRows ${batchRows} is not a positive integer`);
  }
  const reader = await ParquetReader.open(source);
  try {
    const p = plan(reader, opts);
    for (const g of p.groups) {
      const b = await groupBatch(reader, p, g, opts);
      for (let at = 0; at < b.numRows; at += batchRows) {
        yield b.slice(at, Math.min(at + batchRows, b.numRows));
      }
    }
  } finally {
    reader.close();
  }
}

function userValue(type: A.DataType | undefined, v: unknown, scale?: number): unknown {
  if (scale !== undefined && typeof v === "bigint") return formatDecimal(v, scale);
  if (v === undefined || type === undefined) return v;
  if (A.DataType.isTimestamp(type) && typeof v === "bigint") {
    const unit = (type as A.Timestamp).unit;
    const per = unit === A.TimeUnit.NANOSECOND ? 1e6 : unit === A.TimeUnit.MICROSECOND ? 1e3 : 1;
    return new Date(Number(v) / per);
  }
  if (A.DataType.isDate(type) && typeof v === "bigint") return new Date(Number(v) * 86_400_000);
  return v;
}

/**
 * The footer of a Parquet file: rows, row groups, top-level columns, key-value
 * metadata, and per row group the statistics of every leaf column (nested leaves named
 * `a.b.c`; dates and timestamps as `Date`, decimals as exact decimal strings).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ColumnarTable, parquetMetadata } from "@cooljapan/oxistore/columnar";
 * const rows = Array.from({ length: 30 }, (_, i) => ({ n: i }));
 * const bytes = await ColumnarTable.fromRows(rows).toParquet({ rowGroupSize: 10, metadata: { by: "me" } });
 * const md = await parquetMetadata(bytes);
 * deepStrictEqual([md.numRowGroups, md.rowGroups[1]?.columns.n?.min, md.keyValueMetadata.by], [3, 10, "me"]);
 * ```
 */
export async function parquetMetadata(source: ParquetSource): Promise<ParquetMetadata> {
  const reader = await ParquetReader.open(source);
  try {
    const md = reader.metadata;
    const kv: Record<string, string> = {};
    for (const { key, value } of md.key_value_metadata ?? []) kv[key] = value ?? "";
    return {
      numRows: Number(md.num_rows),
      numRowGroups: md.row_groups.length,
      columns: reader.columns,
      keyValueMetadata: kv,
      rowGroups: md.row_groups.map((g) => {
        const columns: ParquetMetadata["rowGroups"][number]["columns"] = {};
        for (const c of g.columns) {
          const m = c.meta_data!;
          const path = m.path_in_schema;
          const field = path.length === 1
            ? reader.schema.fields.find((f) => f.name === path[0])
            : undefined;
          const st = m.statistics;
          const scale = reader.decimalScale(path);
          const stats: { min?: unknown; max?: unknown; nullCount?: number } = {};
          const min = st?.min_value ?? st?.min;
          const max = st?.max_value ?? st?.max;
          if (min !== undefined) stats.min = userValue(field?.type, min, scale);
          if (max !== undefined) stats.max = userValue(field?.type, max, scale);
          if (st?.null_count !== undefined) stats.nullCount = Number(st.null_count);
          columns[path.join(".")] = stats;
        }
        return { numRows: Number(g.num_rows), columns };
      }),
    };
  } finally {
    reader.close();
  }
}

/**
 * Opens an existing Parquet table (the facade's `openColumnar`): `readParquet(path)`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ColumnarTable, openColumnar } from "@cooljapan/oxistore/columnar";
 * const path = await Deno.makeTempFile({ suffix: ".parquet" });
 * await ColumnarTable.fromRows([{ a: 1 }]).writeParquet(path);
 * deepStrictEqual((await openColumnar(path)).numRows, 1);
 * await Deno.remove(path);
 * ```
 */
export function openColumnar(path: string): Promise<ColumnarTable> {
  return readParquet(path);
}
