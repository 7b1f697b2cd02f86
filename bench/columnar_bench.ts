// Columnar: write and read 1M rows × 5 columns (int64, float64, string, bool,
// timestamp) through oxistore vs hyparquet / hyparquet-writer used directly, and
// predicate pushdown over sorted data. Run: deno bench -A bench/columnar_bench.ts
import * as A from "apache-arrow";
import { parquetMetadata as hyMetadata, parquetRead } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { ColumnarTable, parquetMetadata, readParquet } from "../columnar/mod.ts";
import { MemoryBlobStore } from "../blob/memory_blob_store.ts";
import type { BlobStore } from "../blob/types.ts";

/** Byte ranges of each row group of a Parquet file (for the pushdown report). */
function groupRanges(bytes: Uint8Array): [number, number][] {
  const md = hyMetadata(bytes.slice().buffer);
  return md.row_groups.map((g) => {
    const starts = g.columns.map((c) =>
      Number(c.meta_data!.dictionary_page_offset || c.meta_data!.data_page_offset)
    );
    const ends = g.columns.map((c, k) => starts[k]! + Number(c.meta_data!.total_compressed_size));
    return [Math.min(...starts), Math.max(...ends)];
  });
}

const N = 1_000_000;
const ROW_GROUP = 100_000;
const id = new BigInt64Array(N);
const score = new Float64Array(N);
const name = new Array<string>(N);
const ok = new Array<boolean>(N);
const at = new BigInt64Array(N);
for (let i = 0; i < N; i++) {
  id[i] = BigInt(i);
  score[i] = i * 0.37;
  name[i] = `user-${(i * 7919) % 50_000}`;
  ok[i] = i % 3 === 0;
  at[i] = BigInt(1_700_000_000_000 + i * 1000);
}

const table = ColumnarTable.fromArrow(
  new A.Table({
    id: A.makeVector(id),
    score: A.makeVector(score),
    name: A.vectorFromArray(name, new A.Utf8()),
    ok: A.vectorFromArray(ok, new A.Bool()),
    at: A.makeVector(
      A.makeData({ type: new A.TimestampMillisecond("UTC"), length: N, data: at }),
    ),
  }),
);

// The same Parquet schema oxistore writes, handed to hyparquet-writer directly.
const schema = [
  { name: "root", num_children: 5 },
  { name: "id", type: "INT64", repetition_type: "REQUIRED" },
  { name: "score", type: "DOUBLE", repetition_type: "REQUIRED" },
  { name: "name", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
  { name: "ok", type: "BOOLEAN", repetition_type: "REQUIRED" },
  {
    name: "at",
    type: "INT64",
    converted_type: "TIMESTAMP_MILLIS",
    repetition_type: "REQUIRED",
    logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" },
  },
];
const columnData = [
  { name: "id", data: id },
  { name: "score", data: score },
  { name: "name", data: name },
  { name: "ok", data: ok },
  { name: "at", data: at },
];
const direct = () =>
  new Uint8Array(
    parquetWriteBuffer({ schema: schema as never, columnData, rowGroupSize: ROW_GROUP }),
  );

const ours = await table.toParquet({ rowGroupSize: ROW_GROUP });
const theirs = direct();
console.log(
  `file size: oxistore ${ours.length} bytes, hyparquet-writer ${theirs.length} bytes ` +
    `(${((ours.length / theirs.length - 1) * 100).toFixed(2)}%)`,
);

// Pushdown: the file is sorted by id, 100 row groups of 10,000 rows.
const store = new MemoryBlobStore();
await table.writeParquet({ store, key: "sorted.parquet" }, { rowGroupSize: 10_000 });
const sortedBytes = await store.get("sorted.parquet");
const reads: [number, number][] = [];
const counting = new Proxy(store, {
  get(target, prop) {
    if (prop === "getStream") {
      return (key: string, range: { start: number; end: number }) => {
        reads.push([range.start, range.end]);
        return target.getStream(key, range);
      };
    }
    const v = Reflect.get(target, prop);
    return typeof v === "function" ? v.bind(target) : v;
  },
}) as BlobStore;
const filter = {
  and: [
    { column: "id", op: "ge" as const, value: 500_000 },
    { column: "id", op: "lt" as const, value: 505_000 },
  ],
};
const md = await parquetMetadata(sortedBytes);
reads.length = 0;
const hit = await readParquet({ store: counting, key: "sorted.parquet" }, { filter });
const dataBytes = reads.filter(([, e]) => e < sortedBytes.length - 8)
  .reduce((s, [a, b]) => s + b - a, 0);
const touched =
  groupRanges(sortedBytes).filter(([s, e]) =>
    reads.some(([a, b]) => a < e && b > s && b < sortedBytes.length - 8)
  ).length;
console.log(
  `pushdown: ${hit.numRows} rows; row groups read ${touched} of ${md.numRowGroups} ` +
    `(${(100 - (touched / md.numRowGroups) * 100).toFixed(1)}% skipped); ` +
    `${dataBytes} of ${sortedBytes.length} bytes fetched`,
);

Deno.bench({
  name: "write 1M×5: oxistore ColumnarTable.toParquet",
  group: "write",
  n: 5,
  warmup: 1,
  async fn() {
    await table.toParquet({ rowGroupSize: ROW_GROUP });
  },
});
Deno.bench({
  name: "write 1M×5: hyparquet-writer directly",
  group: "write",
  baseline: true,
  n: 5,
  warmup: 1,
  fn() {
    direct();
  },
});
Deno.bench({
  name: "read 1M×5: oxistore readParquet → Arrow",
  group: "read",
  n: 5,
  warmup: 1,
  async fn() {
    await readParquet(ours);
  },
});
Deno.bench({
  name: "read 1M×5: hyparquet parquetRead (columns)",
  group: "read",
  baseline: true,
  n: 5,
  warmup: 1,
  async fn() {
    const cols: unknown[] = [];
    await parquetRead({ file: theirs.buffer as ArrayBuffer, onChunk: (c) => cols.push(c) });
  },
});
Deno.bench({
  name: "pushdown: 5k of 1M sorted rows with a range filter",
  group: "pushdown",
  n: 10,
  warmup: 1,
  async fn() {
    await readParquet(sortedBytes, { filter });
  },
});
Deno.bench({
  name: "pushdown: read all 1M rows, then filter in memory",
  group: "pushdown",
  baseline: true,
  n: 3,
  warmup: 1,
  async fn() {
    (await readParquet(sortedBytes)).filter(filter);
  },
});
