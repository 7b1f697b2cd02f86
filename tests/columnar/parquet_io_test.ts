// Parquet reading and writing: pushdown proven by counting byte-range reads, metadata,
// streaming both ways, codecs, blob sources/targets, evolution and error kinds.
import * as A from "apache-arrow";
import { parquetMetadata as hyMetadata, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { assert, assertEquals, assertRejectsKind } from "../_support/assert.ts";
import {
  ColumnarTable,
  parquetMetadata,
  ParquetStreamWriter,
  readParquet,
  streamParquet,
} from "../../columnar/mod.ts";
import { MemoryBlobStore } from "../../blob/memory_blob_store.ts";
import type { BlobStore } from "../../blob/types.ts";

const F = <T extends A.DataType>(name: string, type: T, nullable = true) =>
  new A.Field<T>(name, type, nullable);

/** A blob store that records every ranged read. */
function countingStore(inner: BlobStore): { store: BlobStore; reads: [number, number][] } {
  const reads: [number, number][] = [];
  const store = new Proxy(inner, {
    get(target, prop, recv) {
      if (prop === "getStream") {
        return (key: string, range?: { start: number; end?: number }) => {
          reads.push([range?.start ?? 0, range?.end ?? Infinity]);
          return target.getStream(key, range);
        };
      }
      if (prop === "get") throw new Error("whole-blob get must not be used by the reader");
      const v = Reflect.get(target, prop, recv);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { store, reads };
}

function sortedRows(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    id: BigInt(i),
    name: `name-${String(i).padStart(6, "0")}`,
    score: i / 10,
    ok: i % 3 === 0,
    at: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
  }));
}

Deno.test("pushdown: a selective predicate on sorted data never reads pruned row groups", async () => {
  const mem = new MemoryBlobStore();
  const table = ColumnarTable.fromRows(sortedRows(20_000));
  await table.writeParquet({ store: mem, key: "t.parquet" }, { rowGroupSize: 1000 });
  const { store, reads } = countingStore(mem);
  const src = { store, key: "t.parquet" };
  const md = await parquetMetadata(src);
  assertEquals(md.numRowGroups, 20);
  const footerReads = reads.length;
  // Byte ranges of each row group's chunks, from the footer.
  const bytes = await mem.get("t.parquet");
  const meta = hyMetadata(bytes.buffer as ArrayBuffer);
  const groupRange = meta.row_groups.map((g) => {
    const starts = g.columns.map((c) =>
      Number(c.meta_data!.dictionary_page_offset ?? c.meta_data!.data_page_offset)
    );
    const ends = g.columns.map((c, k) => starts[k]! + Number(c.meta_data!.total_compressed_size));
    return [Math.min(...starts), Math.max(...ends)] as const;
  });
  reads.length = 0;
  const t = await readParquet(src, {
    filter: {
      and: [{ column: "id", op: "ge", value: 12_345 }, { column: "id", op: "lt", value: 12_400 }],
    },
  });
  assertEquals(t.numRows, 55);
  assertEquals(t.toRows()[0]!.id, 12_345n);
  const touched = new Set<number>();
  // Footer reads end at the end of the file; they may overlap the last row groups.
  for (const [s, e] of reads.filter(([, e]) => e < bytes.length)) {
    groupRange.forEach(([gs, ge], g) => {
      if (s < ge && e > gs) touched.add(g);
    });
  }
  assertEquals([...touched], [12], "only row group 12 may be read");
  assert(footerReads >= 1);
  // Projection: only the asked column's chunk is fetched.
  reads.length = 0;
  const names = await readParquet(src, {
    columns: ["name"],
    filter: { column: "id", op: "eq", value: 5 },
  });
  assertEquals(names.toRows(), [{ name: "name-000005" }]);
  const nameChunk = meta.row_groups[0]!.columns[1]!.meta_data!;
  const nameStart = Number(nameChunk.dictionary_page_offset ?? nameChunk.data_page_offset);
  const dataReads = reads.filter(([, e]) => e < bytes.length);
  assert(dataReads.length >= 1);
  for (const [s, e] of dataReads) {
    assert(s >= groupRange[0]![0] && e <= groupRange[0]![1]);
  }
  // "id" (predicate) and "name" (projection) chunks only: nothing past the name chunk.
  const nameEnd = nameStart + Number(nameChunk.total_compressed_size);
  assert(dataReads.every(([, e]) => e <= nameEnd), "score/ok/at chunks must not be read");
});

Deno.test("pushdown + row filter give exact results on strings, floats, bools, timestamps, nulls, in/or/not", async () => {
  const rows = sortedRows(3000).map((r, i) => ({ ...r, maybe: i < 1000 ? null : i }));
  const bytes = await ColumnarTable.fromRows(rows).toParquet({ rowGroupSize: 1000 });
  const groups = async (
    filter: Parameters<typeof readParquet>[1] extends infer O ? O extends { filter?: infer P } ? P
      : never
      : never,
  ) => {
    const all = await readParquet(bytes, { filter: filter! });
    return all.numRows;
  };
  assertEquals(await groups({ column: "name", op: "gt", value: "name-002990" }), 9);
  assertEquals(await groups({ column: "score", op: "le", value: 0.2 }), 3);
  assertEquals(
    await groups({ column: "at", op: "ge", value: new Date(Date.UTC(2024, 0, 1) + 2999 * 60_000) }),
    1,
  );
  assertEquals(await groups({ column: "maybe", op: "isNull" }), 1000);
  assertEquals(await groups({ column: "maybe", op: "isNotNull" }), 2000);
  assertEquals(await groups({ column: "id", op: "in", values: [5, 2500n, 99_999] }), 2);
  assertEquals(
    await groups({
      or: [{ column: "id", op: "lt", value: 2 }, { column: "id", op: "gt", value: 2997 }],
    }),
    4,
  );
  assertEquals(await groups({ not: { column: "id", op: "lt", value: 2990 } }), 10);
  assertEquals(await groups({ column: "ok", op: "eq", value: true }), 1000);
});

Deno.test("parquetMetadata reports rows, groups, columns, key-value metadata and statistics", async () => {
  const bytes = await ColumnarTable.fromRows(sortedRows(250)).toParquet({
    rowGroupSize: 100,
    metadata: { owner: "tests", "é": "ü" },
  });
  const md = await parquetMetadata(bytes);
  assertEquals(md.numRows, 250);
  assertEquals(md.numRowGroups, 3);
  assertEquals(md.columns, ["id", "name", "score", "ok", "at"]);
  assertEquals(md.keyValueMetadata, { owner: "tests", "é": "ü" });
  assertEquals(md.rowGroups.map((g) => g.numRows), [100, 100, 50]);
  assertEquals(md.rowGroups[1]!.columns.id, { min: 100n, max: 199n, nullCount: 0 });
  assertEquals(md.rowGroups[2]!.columns.name!.min, "name-000200");
  assertEquals(md.rowGroups[0]!.columns.at!.min, new Date(Date.UTC(2024, 0, 1)));
});

Deno.test("streamParquet yields bounded batches, filtered and projected", async () => {
  const bytes = await ColumnarTable.fromRows(sortedRows(1000)).toParquet({ rowGroupSize: 300 });
  const sizes: number[] = [];
  let total = 0n;
  for await (
    const b of streamParquet(bytes, {
      batchRows: 128,
      columns: ["id"],
      filter: { column: "id", op: "ge", value: 100 },
    })
  ) {
    assert(b.numRows <= 128);
    assertEquals(b.schema.fields.map((f) => f.name), ["id"]);
    sizes.push(b.numRows);
    for (const v of b.getChild("id")!) total += v as bigint;
  }
  assertEquals(sizes.reduce((a, b) => a + b, 0), 900);
  assertEquals(total, BigInt((100 + 999) * 900 / 2));
  await assertRejectsKind(async () => {
    for await (const _ of streamParquet(bytes, { batchRows: 0 })) { /* nothing */ }
  }, "InvalidInput");
});

Deno.test("every codec round trips and is readable by hyparquet directly; others are refused", async () => {
  const t = ColumnarTable.fromRows(sortedRows(500));
  for (const compression of ["UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD"] as const) {
    const bytes = await t.toParquet({ compression, rowGroupSize: 200 });
    const meta = hyMetadata(bytes.buffer as ArrayBuffer);
    assertEquals(meta.row_groups[0]!.columns[0]!.meta_data!.codec, compression);
    assertEquals((await readParquet(bytes)).toRows(), t.toRows(), compression);
    const direct = await parquetReadObjects({ file: bytes.buffer as ArrayBuffer, compressors });
    assertEquals(direct.length, 500);
    assertEquals(direct[499]!.name, "name-000499");
    assertEquals(direct[7]!.id, 7n);
  }
  await assertRejectsKind(
    () => t.toParquet({ compression: "BROTLI" as never }),
    "Unsupported",
    /BROTLI/,
  );
  await assertRejectsKind(() => t.toParquet({ compression: "nope" as never }), "InvalidInput");
  await assertRejectsKind(() => t.toParquet({ rowGroupSize: 0 }), "InvalidInput");
});

Deno.test("dictionary encoding is used for low-cardinality columns and statistics are written", async () => {
  const rows = Array.from(
    { length: 5000 },
    (_, i) => ({ color: ["red", "green", "blue"][i % 3]!, n: i }),
  );
  const bytes = await ColumnarTable.fromRows(rows).toParquet();
  const meta = hyMetadata(bytes.buffer as ArrayBuffer);
  const color = meta.row_groups[0]!.columns[0]!.meta_data!;
  assert(color.encodings.includes("RLE_DICTIONARY"), color.encodings.join());
  assertEquals(color.statistics?.min_value, "blue");
  assertEquals(color.statistics?.max_value, "red");
});

Deno.test("unsupported Arrow types are refused with Unsupported", async () => {
  const schema = new A.Schema([F("n", new A.Null())]);
  const t = ColumnarTable.fromRows([{ n: null }], schema);
  await assertRejectsKind(() => t.toParquet(), "Unsupported", /column n/);
});

Deno.test("ParquetStreamWriter writes full row groups as they fill, to files and blobs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = ColumnarTable.fromRows(sortedRows(10));
    const path = `${dir}/s.parquet`;
    const w = await ParquetStreamWriter.create(path, first.schema, { rowGroupSize: 4 });
    for (let i = 0; i < 5; i++) {
      await w.write(ColumnarTable.fromRows(sortedRows(10).slice(i * 2, i * 2 + 2)));
    }
    await assertRejectsKind(
      () => w.write(ColumnarTable.fromRows([{ x: 1 }])),
      "InvalidInput",
      /column/,
    );
    assertEquals([...Deno.readDirSync(dir)].filter((e) => e.name === "s.parquet").length, 0);
    await w.close();
    await assertRejectsKind(() => w.write(first), "Closed");
    const md = await parquetMetadata(path);
    assertEquals(md.rowGroups.map((g) => g.numRows), [4, 4, 2]);
    assertEquals((await readParquet(path)).toRows(), first.toRows());
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["s.parquet"]);
    const mem = new MemoryBlobStore();
    const bw = await ParquetStreamWriter.create({ store: mem, key: "a/b.parquet" }, first.schema, {
      rowGroupSize: 3,
      compression: "GZIP",
    });
    await bw.write(first.toArrow());
    await bw.close();
    assertEquals((await readParquet({ store: mem, key: "a/b.parquet" })).numRows, 10);
    assertEquals((await parquetMetadata({ store: mem, key: "a/b.parquet" })).numRowGroups, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("schema evolution: missing columns are null, extras dropped, widening allowed", async () => {
  const bytes = await ColumnarTable.fromRows(
    [{ a: 1, b: "x", gone: true }, { a: 2, b: "y", gone: false }],
    new A.Schema([F("a", new A.Int32()), F("b", new A.Utf8()), F("gone", new A.Bool())]),
  ).toParquet();
  const target = new A.Schema([
    F("b", new A.Utf8()),
    F("a", new A.Int64()),
    F("added", new A.Float64()),
  ]);
  const t = await readParquet(bytes, { schema: target });
  assertEquals(t.toRows(), [{ b: "x", a: 1n, added: null }, { b: "y", a: 2n, added: null }]);
  assertEquals(String(t.schema.fields[1]!.type), "Int64");
  const filtered = await readParquet(bytes, {
    schema: target,
    columns: ["b"],
    filter: { column: "a", op: "gt", value: 1 },
  });
  assertEquals(filtered.toRows(), [{ b: "y" }]);
  await assertRejectsKind(
    () => readParquet(bytes, { schema: new A.Schema([F("b", new A.Int32())]) }),
    "InvalidInput",
    /column b is Utf8/,
  );
  await assertRejectsKind(
    () => readParquet(bytes, { schema: new A.Schema([F("x", new A.Int32(), false)]) }),
    "InvalidInput",
    /not nullable/,
  );
});

Deno.test("errors: unknown column, not Parquet, truncated, bit flips, missing file", async () => {
  const bytes = await ColumnarTable.fromRows(sortedRows(300)).toParquet({ rowGroupSize: 100 });
  await assertRejectsKind(() => readParquet(bytes, { columns: ["nope"] }), "InvalidInput", /nope/);
  await assertRejectsKind(
    () => readParquet(new TextEncoder().encode("hello world, not parquet")),
    "Corruption",
  );
  await assertRejectsKind(() => readParquet(new Uint8Array(0)), "Corruption");
  await assertRejectsKind(() => readParquet(bytes.subarray(0, bytes.length - 10)), "Corruption");
  await assertRejectsKind(() => readParquet(bytes.subarray(0, bytes.length >> 1)), "Corruption");
  await assertRejectsKind(
    () => readParquet("/nonexistent/dir/x.parquet"),
    "NotFound",
    /x\.parquet/,
  );
  await assertRejectsKind(
    () => readParquet({ store: new MemoryBlobStore(), key: "none" }),
    "NotFound",
  );
  await assertRejectsKind(() => readParquet(42 as never), "InvalidInput");
  // Flip bytes all over the file: every read either succeeds or fails with a StoreError.
  for (let i = 0; i < 60; i++) {
    const copy = bytes.slice();
    const at = Math.floor((i / 60) * copy.length);
    copy[at]! ^= 0x5a;
    try {
      await readParquet(copy);
    } catch (err) {
      assert((err as Error).name === "StoreError", `flip at ${at}: ${err}`);
    }
  }
});

Deno.test("writeParquet to a path is atomic and reads back through a local file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/t.parquet`;
    const t = ColumnarTable.fromRows(sortedRows(100));
    await t.writeParquet(path, { rowGroupSize: 30, compression: "ZSTD" });
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["t.parquet"]);
    assertEquals((await readParquet(path, { columns: ["id"] })).numRows, 100);
    await assertRejectsKind(() => t.writeParquet(`${dir}/missing/t.parquet`), "NotFound");
    assertEquals([...Deno.readDirSync(dir)].length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("I/O failures are Io: a directory as a file, a blob store that fails mid-read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/pad`, new Uint8Array(64));
    await assertRejectsKind(() => readParquet(dir), "Io", /Is a directory|directory/i);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const mem = new MemoryBlobStore();
  await mem.put("x.parquet", await ColumnarTable.fromRows(sortedRows(10)).toParquet());
  const broken = new Proxy(mem, {
    get(target, prop) {
      if (prop === "getStream") return () => Promise.reject(new Error("socket hang up"));
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  await assertRejectsKind(() => readParquet({ store: broken, key: "x.parquet" }), "Io", /hang up/);
});

Deno.test("less common types: times, half floats, fixed-size lists, dictionaries, coarse units", async () => {
  const cases: [A.DataType, unknown, string, unknown][] = [
    [new A.TimeMillisecond(), 1234, "Time32<MILLISECOND>", 1234],
    [new A.TimeMicrosecond(), 1234n, "Time64<MICROSECOND>", 1234n],
    [new A.TimeNanosecond(), 5n, "Time64<NANOSECOND>", 5n],
    [new A.Float16(), 1.5, "Float16", 1.5],
    [new A.FixedSizeList(2, F("item", new A.Int32())), [1, 2], "List<Int32>", [1, 2]],
    [new A.Dictionary(new A.Utf8(), new A.Int32()), "hello", "Utf8", "hello"],
    [new A.DateMillisecond(), new Date(3 * 86_400_000), "Date32<DAY>", new Date(3 * 86_400_000)],
    [new A.TimestampSecond(), new Date(5000), "Timestamp<MILLISECOND>", new Date(5000)],
    [new A.LargeUtf8(), "big", "Utf8", "big"],
    [new A.Decimal(3, 40, 256), "123.456", "Decimal[40e+3]", "123.456"],
  ];
  for (const [type, value, readType, readValue] of cases) {
    const t = ColumnarTable.fromRows([{ c: value }, { c: null }], new A.Schema([F("c", type)]));
    const back = await readParquet(await t.toParquet());
    assertEquals(String(back.schema.fields[0]!.type), readType);
    assertEquals(back.toRows(), [{ c: readValue }, { c: null }], String(type));
  }
});

Deno.test("decimals beyond float precision round trip exactly in the Arrow data", async () => {
  const schema = new A.Schema([
    F("d", new A.Decimal(4, 30, 128)),
    F("i", new A.Decimal(2, 18, 128)),
  ]);
  const t = ColumnarTable.fromRows([
    { d: "12345678901234567890.1234", i: "12345678901234.56" },
    { d: "-0.0001", i: null },
  ], schema);
  const back = await readParquet(await t.toParquet());
  const unscaled = (col: string, row: number) => {
    const w = back.toArrow().getChild(col)!.data[0]!.values as Uint32Array;
    let v = 0n;
    for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(w[row * 4 + k]!);
    return BigInt.asIntN(128, v);
  };
  assertEquals(unscaled("d", 0), 123456789012345678901234n);
  assertEquals(unscaled("d", 1), -1n);
  assertEquals(unscaled("i", 0), 1234567890123456n);
  assertEquals(back.toRows()[1], { d: "-0.0001", i: null });
});

Deno.test("maps keep entry order, duplicate keys and key types (also nested in lists)", async () => {
  const entries = <K extends A.DataType, V extends A.DataType>(k: K, v: V) =>
    F("entries", new A.Struct<{ key: K; value: V }>([F("key", k, false), F("value", v)]), false);
  const schema = new A.Schema([
    F("m", new A.Map_(entries(new A.Int32(), new A.Utf8()))),
    F("lm", new A.List(F("element", new A.Map_(entries(new A.Utf8(), new A.Int64()))))),
  ]);
  const t = ColumnarTable.fromRows([
    { m: [[10, "b"], [2, "a"], [10, "dup"]], lm: [new Map([["z", 1n], ["a", null]]), null] },
    { m: null, lm: [] },
    { m: new Map(), lm: null },
  ], schema);
  const rows = (await readParquet(await t.toParquet())).toRows();
  assertEquals([...(rows[0]!.m as Map<number, string>).keys()], [10, 2]);
  // Duplicates live in the Arrow data (a JS Map in toRows keeps the last one).
  const entriesOf = (table: ColumnarTable, row: number) => {
    const data = table.toArrow().getChild("m")!.data[0]!;
    const offs = data.valueOffsets as Int32Array;
    const kv = A.makeVector(data.children[0]!) as A.Vector;
    const out = [];
    for (let k = offs[row]!; k < offs[row + 1]!; k++) {
      const e = kv.get(k) as { key: number; value: string };
      out.push([e.key, e.value]);
    }
    return out;
  };
  const back = await readParquet(await t.toParquet());
  assertEquals(entriesOf(back, 0), [[10, "b"], [2, "a"], [10, "dup"]]);
  assertEquals(entriesOf(back, 0), entriesOf(t, 0));
  assertEquals(rows[0]!.lm, [new Map([["z", 1n], ["a", null]]), null]);
  assertEquals(rows[1], { m: null, lm: [] });
  assertEquals(rows[2], { m: new Map(), lm: null });
});

Deno.test("ParquetStreamWriter hands each full row group to the upload before close", async () => {
  const mem = new MemoryBlobStore();
  const written: number[] = [];
  const store = new Proxy(mem, {
    get(target, prop) {
      if (prop === "startUpload") {
        return async (key: string) => {
          const up = await target.startUpload(key);
          return {
            key: up.key,
            write: (c: Uint8Array) => (written.push(c.length), up.write(c)),
            complete: () => up.complete(),
            abort: () => up.abort(),
          };
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  const rows = sortedRows(1000);
  const w = await ParquetStreamWriter.create(
    { store, key: "s.parquet" },
    ColumnarTable.fromRows(rows.slice(0, 1)).schema,
    { rowGroupSize: 200 },
  );
  for (let i = 0; i < 1000; i += 100) {
    await w.write(ColumnarTable.fromRows(rows.slice(i, i + 100)));
    // Rows beyond the last full group stay buffered; full groups are already uploaded.
    assert(written.length >= Math.floor((i + 100) / 200), `after ${i + 100} rows: ${written}`);
  }
  assertEquals(await mem.exists("s.parquet"), false);
  await w.close();
  assertEquals((await parquetMetadata({ store: mem, key: "s.parquet" })).numRowGroups, 5);
  assertEquals(
    (await readParquet({ store: mem, key: "s.parquet" })).toRows(),
    ColumnarTable.fromRows(rows).toRows(),
  );
});
