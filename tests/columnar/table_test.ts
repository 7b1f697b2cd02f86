// ColumnarTable: building, schema checks, projection, filtering, sorting, IPC.
import * as A from "apache-arrow";
import { assert, assertEquals, assertRejectsKind } from "../_support/assert.ts";
import { ColumnarTable } from "../../columnar/mod.ts";

const F = <T extends A.DataType>(name: string, type: T, nullable = true) =>
  new A.Field<T>(name, type, nullable);

Deno.test("fromRows infers types and toRows gives the rows back", () => {
  const when = new Date("2024-05-06T07:08:09.010Z");
  const rows = [
    {
      n: 1.5,
      big: 2n,
      s: "x",
      b: true,
      d: when,
      bytes: new Uint8Array([1]),
      l: [1, 2],
      o: { k: "v" },
    },
    { n: null, big: null, s: null, b: null, d: null, bytes: null, l: null, o: null },
  ];
  const t = ColumnarTable.fromRows(rows);
  assertEquals(t.numRows, 2);
  assertEquals(t.schema.fields.map((f) => String(f.type)), [
    "Float64",
    "Int64",
    "Utf8",
    "Bool",
    "Timestamp<MILLISECOND, UTC>",
    "Binary",
    "List<Float64>",
    "Struct<{k:Utf8}>",
  ]);
  assertEquals(t.toRows(), rows);
});

Deno.test("fromRows with a schema rejects nulls in non-nullable columns and wrong types", async () => {
  const schema = new A.Schema([F("id", new A.Int32(), false)]);
  await assertRejectsKind(
    () => ColumnarTable.fromRows([{ id: null }], schema),
    "InvalidInput",
    /id/,
  );
  await assertRejectsKind(
    () => ColumnarTable.fromRows([{ id: "one" }], schema),
    "InvalidInput",
    /id/,
  );
  await assertRejectsKind(() => ColumnarTable.fromRows([3 as never]), "InvalidInput", /row 0/);
});

Deno.test("push appends batches and names the schema difference on mismatch", async () => {
  const t = ColumnarTable.fromRows([{ a: 1, b: "x" }]);
  t.push(ColumnarTable.fromRows([{ a: 2, b: "y" }]).toArrow().batches[0]!);
  t.push(ColumnarTable.fromRows([{ a: 3, b: "z" }]).toArrow());
  assertEquals(t.toRows().map((r) => r.a), [1, 2, 3]);
  await assertRejectsKind(
    () => t.push(ColumnarTable.fromRows([{ a: "1", b: "x" }]).toArrow()),
    "InvalidInput",
    /column a has type Utf8, expected Float64/,
  );
  await assertRejectsKind(
    () => t.push(ColumnarTable.fromRows([{ a: 1 }]).toArrow()),
    "InvalidInput",
    /column b is missing/,
  );
  await assertRejectsKind(
    () => t.push(ColumnarTable.fromRows([{ a: 1, b: "x", c: 1 }]).toArrow()),
    "InvalidInput",
    /column c is not in the schema/,
  );
  assertEquals(t.numRows, 3);
});

Deno.test("merge concatenates and project keeps the asked columns in order", async () => {
  const a = ColumnarTable.fromRows([{ x: 1, y: "a", z: true }]);
  const b = ColumnarTable.fromRows([{ x: 2, y: "b", z: false }]);
  const m = a.merge(b);
  assertEquals(m.numRows, 2);
  assertEquals(a.numRows, 1);
  assertEquals(m.project(["z", "x"]).toRows(), [{ z: true, x: 1 }, { z: false, x: 2 }]);
  await assertRejectsKind(() => m.project(["nope"]), "InvalidInput", /nope/);
  await assertRejectsKind(() => a.merge(ColumnarTable.fromRows([{ x: "1" }])), "InvalidInput");
});

Deno.test("filter evaluates every predicate kind with SQL-like null handling", async () => {
  const t = ColumnarTable.fromRows([
    { n: 1n, s: "a", f: 0.5, b: true },
    { n: 2n, s: null, f: NaN, b: false },
    { n: null, s: "c", f: 2.5, b: null },
    { n: 4n, s: "d", f: null, b: true },
  ]);
  const ids = (p: Parameters<ColumnarTable["filter"]>[0]) =>
    t.filter(p).toRows().map((r) => r.n === null ? "null" : Number(r.n));
  assertEquals(ids({ column: "n", op: "eq", value: 2 }), [2]);
  assertEquals(ids({ column: "n", op: "ne", value: 2n }), [1, 4]);
  assertEquals(ids({ column: "n", op: "lt", value: 2 }), [1]);
  assertEquals(ids({ column: "n", op: "le", value: 2 }), [1, 2]);
  assertEquals(ids({ column: "n", op: "gt", value: 1.5 }), [2, 4]);
  assertEquals(ids({ column: "n", op: "ge", value: 4 }), [4]);
  assertEquals(ids({ column: "s", op: "in", values: ["a", "d", "zz"] }), [1, 4]);
  assertEquals(ids({ column: "s", op: "isNull" }), [2]);
  assertEquals(ids({ column: "b", op: "isNotNull" }), [1, 2, 4]);
  assertEquals(ids({ column: "f", op: "gt", value: 1 }), ["null"]);
  assertEquals(
    ids({ and: [{ column: "b", op: "eq", value: true }, { column: "n", op: "gt", value: 1 }] }),
    [4],
  );
  assertEquals(
    ids({ or: [{ column: "s", op: "eq", value: "c" }, { column: "n", op: "eq", value: 1 }] }),
    [1, "null"],
  );
  // SQL: NOT (n = 2) is unknown for a null n, so that row is dropped.
  assertEquals(ids({ not: { column: "n", op: "eq", value: 2 } }), [1, 4]);
  assertEquals(ids({ not: { column: "n", op: "isNull" } }), [1, 2, 4]);
  // unknown OR true is true; unknown AND false is false; NOT unknown stays unknown.
  assertEquals(
    ids({ or: [{ column: "n", op: "gt", value: 3 }, { column: "s", op: "eq", value: "c" }] }),
    ["null", 4],
  );
  assertEquals(
    ids({
      not: { and: [{ column: "n", op: "gt", value: 0 }, { column: "b", op: "eq", value: false }] },
    }),
    [1, 4],
  );
  assertEquals(ids({ not: { column: "s", op: "in", values: ["a"] } }), ["null", 4]);
  await assertRejectsKind(
    () => t.filter({ column: "zz", op: "eq", value: 1 }),
    "InvalidInput",
    /zz/,
  );
  await assertRejectsKind(
    () => t.filter({ column: "s", op: "eq", value: 1 }),
    "InvalidInput",
    /column s/,
  );
  await assertRejectsKind(
    () => t.filter({ column: "n", op: "like" as never, value: 1 }),
    "InvalidInput",
  );
});

Deno.test("filter compares dates and timestamps given as Date, epoch ms or raw units", () => {
  const schema = new A.Schema([
    F("ts", new A.TimestampMicrosecond("UTC")),
    F("d", new A.DateDay()),
  ]);
  const t = ColumnarTable.fromRows([
    { ts: 1_000_001n, d: new Date("2020-01-01") },
    { ts: 2_000_000n, d: new Date("2020-01-03") },
  ], schema);
  assertEquals(t.filter({ column: "ts", op: "gt", value: new Date(1000) }).numRows, 2);
  assertEquals(t.filter({ column: "ts", op: "gt", value: 1_000_001n }).numRows, 1);
  assertEquals(t.filter({ column: "ts", op: "le", value: 1000.001 }).numRows, 1);
  assertEquals(t.filter({ column: "d", op: "ge", value: new Date("2020-01-02") }).numRows, 1);
  assertEquals(t.filter({ column: "d", op: "eq", value: "2020-01-01" }).numRows, 1);
});

Deno.test("sortBy orders ascending/descending with nulls last or first, stably", () => {
  const t = ColumnarTable.fromRows([
    { k: 3, tag: "a" },
    { k: null, tag: "b" },
    { k: 1, tag: "c" },
    { k: 3, tag: "d" },
  ]);
  const tags = (x: ColumnarTable) => x.toRows().map((r) => r.tag);
  assertEquals(tags(t.sortBy("k")), ["c", "a", "d", "b"]);
  assertEquals(tags(t.sortBy("k", { descending: true })), ["a", "d", "c", "b"]);
  assertEquals(tags(t.sortBy("k", { nullsFirst: true })), ["b", "c", "a", "d"]);
  assertEquals(tags(t.sortBy("tag", { descending: true })), ["d", "c", "b", "a"]);
});

Deno.test("sortBy and filter keep nested values and exact 64-bit values across batches", () => {
  const schema = new A.Schema([
    F("id", new A.Int64()),
    F("ts", new A.TimestampNanosecond("UTC")),
    F("l", new A.List(F("item", new A.Utf8()))),
    F(
      "m",
      new A.Map_(
        F(
          "entries",
          new A.Struct<{ key: A.Utf8; value: A.Int32 }>([
            F("key", new A.Utf8(), false),
            F("value", new A.Int32()),
          ]),
          false,
        ),
      ),
    ),
  ]);
  const t = ColumnarTable.fromRows([{
    id: 9007199254740993n,
    ts: 1n,
    l: ["a"],
    m: new Map([["x", 1]]),
  }], schema);
  t.push(
    ColumnarTable.fromRows([{ id: -5n, ts: 1_700_000_000_000_000_123n, l: null, m: null }], schema)
      .toArrow(),
  );
  const sorted = t.sortBy("id");
  const arrow = sorted.toArrow();
  assertEquals(arrow.getChild("id")!.toArray(), new BigInt64Array([-5n, 9007199254740993n]));
  assertEquals(arrow.getChild("ts")!.data[0]!.values[0], 1_700_000_000_000_000_123n);
  assertEquals(sorted.toRows()[1]!.m, new Map([["x", 1]]));
  assertEquals(t.filter({ column: "ts", op: "eq", value: 1n }).toRows()[0]!.l, ["a"]);
});

Deno.test("toIPC/fromIPC round trips; garbage IPC is Corruption", async () => {
  const t = ColumnarTable.fromRows([{ a: 1, b: "x", c: [1n] }, { a: null, b: null, c: null }]);
  const back = ColumnarTable.fromIPC(t.toIPC());
  assertEquals(back.toRows(), t.toRows());
  assertEquals(String(back.schema.fields[2]!.type), "List<Int64>");
  await assertRejectsKind(
    () => ColumnarTable.fromIPC(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])),
    "Corruption",
  );
  assert(ColumnarTable.fromArrow(t.toArrow()).numRows === 2);
  await assertRejectsKind(() => ColumnarTable.fromArrow({} as never), "InvalidInput");
});

Deno.test("nested columns can be null-tested but not compared or sorted", async () => {
  const t = ColumnarTable.fromRows([{ s: { a: 1 }, l: [1] }, { s: null, l: null }]);
  assertEquals(t.filter({ column: "s", op: "isNull" }).numRows, 1);
  assertEquals(t.filter({ column: "l", op: "isNotNull" }).toRows(), [{ s: { a: 1 }, l: [1] }]);
  await assertRejectsKind(
    () => t.filter({ column: "s", op: "eq", value: 1 }),
    "InvalidInput",
    /Struct/,
  );
  await assertRejectsKind(() => t.sortBy("l"), "InvalidInput", /List/);
  await assertRejectsKind(() => t.sortBy("zz"), "InvalidInput", /zz/);
});

Deno.test("LargeUtf8 and LargeBinary (64-bit offsets) survive filter, sortBy and merge", () => {
  const schema = new A.Schema([
    new A.Field("s", new A.LargeUtf8(), true),
    new A.Field("b", new A.LargeBinary(), true),
    new A.Field("n", new A.Int32(), false),
  ]);
  const t = ColumnarTable.fromRows([
    { s: "aa", b: new Uint8Array([1]), n: 3 },
    { s: null, b: null, n: 2 },
    { s: "ccc", b: new Uint8Array([2, 3]), n: 1 },
  ], schema);
  const rows = (x: ColumnarTable) =>
    x.toRows().map((r) => [r.s, r.b && [...(r.b as Uint8Array)], r.n]);
  assertEquals(rows(t.filter({ column: "n", op: "le", value: 2 })), [[null, null, 2], ["ccc", [
    2,
    3,
  ], 1]]);
  assertEquals(rows(t.merge(t).sortBy("n")), [
    ["ccc", [2, 3], 1],
    ["ccc", [2, 3], 1],
    [null, null, 2],
    [null, null, 2],
    ["aa", [1], 3],
    ["aa", [1], 3],
  ]);
});
