// Property tests: random tables of every supported type and nullability survive
// Parquet (every codec), Arrow IPC, and streaming writes unchanged.
import * as A from "apache-arrow";
import fc from "fast-check";
import { assertEquals } from "../_support/assert.ts";
import {
  ColumnarTable,
  ParquetStreamWriter,
  type Predicate,
  readParquet,
} from "../../columnar/mod.ts";
import { MemoryBlobStore } from "../../blob/memory_blob_store.ts";

type Gen = { type: () => A.DataType; value: fc.Arbitrary<unknown> };

const i64 = fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
const entries = () =>
  new A.Field(
    "entries",
    new A.Struct<{ key: A.Utf8; value: A.Int32 }>([
      new A.Field("key", new A.Utf8(), false),
      new A.Field("value", new A.Int32(), true),
    ]),
    false,
  );

/** Every type we write, with a generator of its values as `toRows` returns them. */
const GENS: Record<string, Gen> = {
  int8: { type: () => new A.Int8(), value: fc.integer({ min: -128, max: 127 }) },
  int16: { type: () => new A.Int16(), value: fc.integer({ min: -32768, max: 32767 }) },
  int32: { type: () => new A.Int32(), value: fc.integer() },
  int64: { type: () => new A.Int64(), value: i64 },
  uint8: { type: () => new A.Uint8(), value: fc.integer({ min: 0, max: 255 }) },
  uint16: { type: () => new A.Uint16(), value: fc.integer({ min: 0, max: 65535 }) },
  uint32: { type: () => new A.Uint32(), value: fc.integer({ min: 0, max: 2 ** 32 - 1 }) },
  uint64: { type: () => new A.Uint64(), value: fc.bigInt(0n, 2n ** 64n - 1n) },
  float32: {
    type: () => new A.Float32(),
    value: fc.float({ noNaN: true }).map((f) => Math.fround(f)),
  },
  float64: { type: () => new A.Float64(), value: fc.double({ noNaN: true }) },
  bool: { type: () => new A.Bool(), value: fc.boolean() },
  utf8: { type: () => new A.Utf8(), value: fc.string({ unit: "grapheme", maxLength: 20 }) },
  binary: { type: () => new A.Binary(), value: fc.uint8Array({ maxLength: 12 }) },
  fixed: {
    type: () => new A.FixedSizeBinary(3),
    value: fc.uint8Array({ minLength: 3, maxLength: 3 }),
  },
  date: {
    type: () => new A.DateDay(),
    value: fc.integer({ min: -100_000, max: 100_000 }).map((d) => new Date(d * 86_400_000)),
  },
  tsMs: {
    type: () => new A.TimestampMillisecond("UTC"),
    value: fc.integer({ min: -1e12, max: 4e12 }).map((ms) => new Date(ms)),
  },
  tsUs: {
    type: () => new A.TimestampMicrosecond(),
    value: fc.integer({ min: -1e12, max: 4e12 }).map((ms) => new Date(ms)),
  },
  tsNs: {
    type: () => new A.TimestampNanosecond("UTC"),
    value: fc.integer({ min: -1e12, max: 4e12 }).map((ms) => new Date(ms)),
  },
  dec9: {
    type: () => new A.Decimal(2, 9, 128),
    value: fc.integer({ min: -9_999_999, max: 9_999_999 }).map((n) => n / 100),
  },
  dec18: {
    type: () => new A.Decimal(4, 18, 128),
    value: fc.integer({ min: -1e12, max: 1e12 }).map((n) => n / 10_000),
  },
  dec30: {
    type: () => new A.Decimal(3, 30, 128),
    value: fc.integer({ min: -1e12, max: 1e12 }).map((n) => n / 1000),
  },
  dec76: {
    type: () => new A.Decimal(10, 76, 256),
    value: fc.bigInt({ min: -(10n ** 76n) + 1n, max: 10n ** 76n - 1n }).map((u) =>
      decimalText(u, 10)
    ),
  },
  listDec: {
    type: () => new A.List(new A.Field("element", new A.Decimal(6, 38, 128), true)),
    value: fc.array(
      fc.option(
        fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }).map((u) => decimalText(u, 6)),
        { nil: null },
      ),
      { maxLength: 3 },
    ),
  },
  structDec: {
    type: () => new A.Struct([new A.Field("x", new A.Decimal(2, 18, 128), true)]),
    value: fc.record({
      x: fc.option(
        fc.bigInt({ min: -(10n ** 18n) + 1n, max: 10n ** 18n - 1n }).map((u) => decimalText(u, 2)),
        { nil: null },
      ),
    }),
  },
  list: {
    type: () => new A.List(new A.Field("element", new A.Int32(), true)),
    value: fc.array(fc.option(fc.integer(), { nil: null }), { maxLength: 4 }),
  },
  listOfList: {
    type: () =>
      new A.List(
        new A.Field("element", new A.List(new A.Field("element", new A.Utf8(), true)), true),
      ),
    value: fc.array(
      fc.option(fc.array(fc.option(fc.string({ maxLength: 4 }), { nil: null }), { maxLength: 3 }), {
        nil: null,
      }),
      { maxLength: 3 },
    ),
  },
  struct: {
    type: () =>
      new A.Struct([
        new A.Field("a", new A.Int64(), true),
        new A.Field("b", new A.Utf8(), true),
      ]),
    value: fc.record({
      a: fc.option(i64, { nil: null }),
      b: fc.option(fc.string({ maxLength: 5 }), { nil: null }),
    }),
  },
  map: {
    type: () => new A.Map_(entries()),
    value: fc.uniqueArray(fc.string({ maxLength: 4 }), { maxLength: 3 }).chain((keys) =>
      fc.tuple(...keys.map(() => fc.option(fc.integer(), { nil: null }))).map((vals) =>
        new Map(keys.map((k, i) => [k, vals[i]]))
      )
    ),
  },
};

const EXACT_TEXT = new Set(["dec76", "listDec", "structDec"]);

/** The canonical text of an unscaled decimal, computed independently of the library. */
function decimalText(u: bigint, scale: number): string {
  const digits = (u < 0n ? -u : u).toString().padStart(scale + 1, "0");
  return `${u < 0n ? "-" : ""}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

const tableArb = fc.record({
  cols: fc.uniqueArray(fc.constantFrom(...Object.keys(GENS)), { minLength: 1, maxLength: 5 })
    .chain((names) =>
      fc.tuple(...names.map(() => fc.boolean())).map((nullable) =>
        names.map((n, i) => ({ name: n, nullable: nullable[i]! }))
      )
    ),
  n: fc.integer({ min: 0, max: 40 }),
}).chain(({ cols, n }) =>
  fc.tuple(
    ...cols.map((c) =>
      fc.array(c.nullable ? fc.option(GENS[c.name]!.value, { nil: null }) : GENS[c.name]!.value, {
        minLength: n,
        maxLength: n,
      })
    ),
  ).map((columns) => ({ cols, n, columns }))
);

function build({ cols, n, columns }: {
  cols: { name: string; nullable: boolean }[];
  n: number;
  columns: unknown[][];
}): ColumnarTable {
  const schema = new A.Schema(
    cols.map((c) => new A.Field(c.name, GENS[c.name]!.type(), c.nullable)),
  );
  const rows = Array.from({ length: n }, (_, i) => {
    const r: Record<string, unknown> = {};
    cols.forEach((c, k) => r[c.name] = columns[k]![i]);
    return r;
  });
  return ColumnarTable.fromRows(rows, schema);
}

function normalize(rows: Record<string, unknown>[]): unknown {
  // -0 and 0 are the same cell once written.
  return JSON.parse(
    JSON.stringify(
      rows,
      (_k, v) =>
        typeof v === "bigint"
          ? `${v}n`
          : v instanceof Map
          ? { map: [...v] }
          : v instanceof Uint8Array
          ? { bytes: [...v] }
          : Object.is(v, -0)
          ? 0
          : v,
    ),
  );
}

Deno.test("property: Parquet round trip keeps every type, null and schema", async () => {
  await fc.assert(
    fc.asyncProperty(
      tableArb,
      fc.constantFrom("UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD" as const),
      fc.integer({ min: 1, max: 50 }),
      async (spec, compression, rowGroupSize) => {
        const t = build(spec);
        // Decimal texts come back as they were given (canonical form, no float on the way).
        spec.cols.forEach((c, k) => {
          if (EXACT_TEXT.has(c.name)) {
            assertEquals(
              normalize(t.toRows().map((r) => ({ v: r[c.name] }))),
              normalize(spec.columns[k]!.map((v) => ({ v }))),
              c.name,
            );
          }
        });
        const bytes = await t.toParquet({ compression, rowGroupSize });
        const back = await readParquet(bytes);
        assertEquals(
          back.schema.fields.map((f) => [f.name, String(f.type), f.nullable]),
          t.schema.fields.map((f) => [f.name, String(f.type), f.nullable]),
        );
        assertEquals(normalize(back.toRows()), normalize(t.toRows()));
      },
    ),
    { numRuns: 120 },
  );
});

Deno.test("property: Arrow IPC and streamed Parquet writes round trip", async () => {
  const store = new MemoryBlobStore();
  await fc.assert(
    fc.asyncProperty(tableArb, fc.integer({ min: 1, max: 7 }), async (spec, chunk) => {
      const t = build(spec);
      assertEquals(normalize(ColumnarTable.fromIPC(t.toIPC()).toRows()), normalize(t.toRows()));
      const w = await ParquetStreamWriter.create({ store, key: "p.parquet" }, t.schema, {
        rowGroupSize: 5,
      });
      for (let at = 0; at < t.numRows; at += chunk) {
        await w.write(t.toArrow().slice(at, at + chunk));
      }
      await w.close();
      const back = await readParquet({ store, key: "p.parquet" });
      assertEquals(normalize(back.toRows()), normalize(t.toRows()));
    }),
    { numRuns: 60 },
  );
});

Deno.test("property: pushdown + filtering equals filtering in memory", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.option(fc.integer({ min: -50, max: 50 }), { nil: null }), { maxLength: 80 }),
      fc.constantFrom("eq", "ne", "lt", "le", "gt", "ge" as const),
      fc.integer({ min: -55, max: 55 }),
      fc.integer({ min: 1, max: 20 }),
      async (vals, op, value, rowGroupSize) => {
        const t = ColumnarTable.fromRows(
          vals.map((v, i) => ({ v, i })),
          new A.Schema([
            new A.Field("v", new A.Int32(), true),
            new A.Field("i", new A.Int32(), true),
          ]),
        );
        const pred: Predicate = {
          or: [{ column: "v", op, value }, { not: { column: "i", op: "lt", value: 3 } }],
        };
        const bytes = await t.toParquet({ rowGroupSize });
        const fromFile = await readParquet(bytes, {
          filter: { and: [pred, { column: "v", op, value }] },
        });
        const inMemory = t.filter({ and: [pred, { column: "v", op, value }] });
        assertEquals(fromFile.toRows(), inMemory.toRows());
      },
    ),
    { numRuns: 150 },
  );
});
