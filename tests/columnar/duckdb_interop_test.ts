// Interop with an independent Parquet implementation (DuckDB, native): files we write
// read correctly in DuckDB, and files DuckDB writes read correctly here.
import * as A from "apache-arrow";
import { DuckDBInstance } from "@duckdb/node-api";
import { assert, assertEquals } from "../_support/assert.ts";
import { ColumnarTable, parquetMetadata, readParquet } from "../../columnar/mod.ts";

async function duck() {
  const inst = await DuckDBInstance.create(":memory:");
  const con = await inst.connect();
  return {
    rows: async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJS(),
    run: (sql: string) => con.run(sql),
    close: () => {
      con.closeSync();
      inst.closeSync();
    },
  };
}

const F = <T extends A.DataType>(name: string, type: T, nullable = true) =>
  new A.Field<T>(name, type, nullable);

Deno.test("DuckDB reads what we write: every codec, all scalar types, nulls, nested", async () => {
  const dir = await Deno.makeTempDir();
  const db = await duck();
  try {
    const schema = new A.Schema([
      F("i8", new A.Int8()),
      F("i16", new A.Int16()),
      F("i32", new A.Int32(), false),
      F("i64", new A.Int64()),
      F("u32", new A.Uint32()),
      F("f32", new A.Float32()),
      F("f64", new A.Float64()),
      F("s", new A.Utf8()),
      F("bin", new A.Binary()),
      F("b", new A.Bool()),
      F("d", new A.DateDay()),
      F("ts", new A.TimestampMicrosecond("UTC")),
      F("dec", new A.Decimal(2, 12, 128)),
      F("l", new A.List(F("element", new A.Int64()))),
      F("st", new A.Struct([F("x", new A.Int32()), F("y", new A.Utf8())])),
      F(
        "m",
        new A.Map_(
          F(
            "entries",
            new A.Struct<{ key: A.Utf8; value: A.Float64 }>([
              F("key", new A.Utf8(), false),
              F("value", new A.Float64()),
            ]),
            false,
          ),
        ),
      ),
    ]);
    const n = 2000;
    const rows = Array.from({ length: n }, (_, i) => {
      const nul = i % 7 === 0;
      return {
        i8: nul ? null : (i % 256) - 128,
        i16: nul ? null : i - 1000,
        i32: i,
        i64: nul ? null : BigInt(i) * 1_000_000_007n,
        u32: nul ? null : 4_000_000_000 + i,
        f32: nul ? null : i / 4,
        f64: nul ? null : i / 3,
        s: nul ? null : `row ${i} ✓`,
        bin: nul ? null : new Uint8Array([i & 255, 0, 255]),
        b: nul ? null : i % 2 === 0,
        d: nul ? null : new Date(Date.UTC(2020, 0, 1 + i)),
        ts: nul ? null : new Date(Date.UTC(2021, 5, 1) + i * 1000),
        dec: nul ? null : `${i}.${String(i % 100).padStart(2, "0")}`,
        l: nul ? null : Array.from({ length: i % 4 }, (_, k) => BigInt(i + k)),
        st: nul ? null : { x: i, y: i % 3 ? null : "y" },
        m: nul ? null : new Map([["a", i], ["b", null]]),
      };
    });
    const t = ColumnarTable.fromRows(rows, schema);
    for (const compression of ["UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD"] as const) {
      const path = `${dir}/t-${compression}.parquet`;
      await t.writeParquet(path, { compression, rowGroupSize: 500, metadata: { k: "v" } });
      const [agg] = await db.rows(`
        select count(*) as n, count(i64) as nn, sum(i32) as s32, sum(i64) as s64,
               sum(u32) as su32, sum(f64) as sf, count(*) filter (where b) as nb,
               min(d) as dmin, max(ts) as tsmax, sum(dec) as sdec,
               sum(len(l)) as nl, sum(st.x) as sx, count(st.y) as ny,
               sum(m['a']) as sma, count(*) filter (where s like 'row 1%') as s1
        from read_parquet('${path}')`);
      const valid = rows.filter((r) => r.i64 !== null);
      assertEquals(Number(agg!.n), n, compression);
      assertEquals(Number(agg!.nn), valid.length);
      assertEquals(BigInt(agg!.s32 as bigint), BigInt(n * (n - 1) / 2));
      assertEquals(BigInt(agg!.s64 as bigint), valid.reduce((s, r) => s + (r.i64 as bigint), 0n));
      assertEquals(Number(agg!.su32), valid.reduce((s, r) => s + (r.u32 as number), 0));
      assert(Math.abs(Number(agg!.sf) - valid.reduce((s, r) => s + (r.f64 as number), 0)) < 1e-6);
      assertEquals(Number(agg!.nb), valid.filter((r) => r.b).length);
      assertEquals(new Date(agg!.dmin as string).getTime(), Date.UTC(2020, 0, 2));
      assertEquals(new Date(agg!.tsmax as string).getTime(), Date.UTC(2021, 5, 1) + (n - 1) * 1000);
      const decSum = valid.reduce((s, r) => s + Math.round(Number(r.dec) * 100), 0);
      assertEquals(Math.round(Number(agg!.sdec) * 100), decSum);
      assertEquals(Number(agg!.nl), valid.reduce((s, r) => s + (r.l as bigint[]).length, 0));
      assertEquals(Number(agg!.sx), valid.reduce((s, r) => s + (r.st as { x: number }).x, 0));
      assertEquals(Number(agg!.ny), valid.filter((r) => (r.st as { y: string | null }).y).length);
      assertEquals(Number(agg!.sma), valid.reduce((s, r) => s + (r.i32 as number), 0));
      assertEquals(
        Number(agg!.s1),
        valid.filter((r) => (r.s as string).startsWith("row 1")).length,
      );
      const [one] = await db.rows(
        `select s, hex(bin) as h, i8, f32 from read_parquet('${path}') where i32 = 5`,
      );
      assertEquals(one, { s: "row 5 ✓", h: "0500FF", i8: -123, f32: 1.25 });
      const [kv] = await db.rows(
        `select value::varchar as v from parquet_kv_metadata('${path}') where key::varchar = 'k'`,
      );
      assertEquals(kv!.v, "v");
    }
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("we read what DuckDB writes (row groups, codecs, nested types) and filter it", async () => {
  const dir = await Deno.makeTempDir();
  const db = await duck();
  try {
    for (const codec of ["snappy", "zstd", "gzip", "uncompressed"]) {
      const path = `${dir}/duck-${codec}.parquet`;
      await db.run(`
        copy (select i::bigint as id, 'v' || i as s, i * 0.5 as f, i % 2 = 0 as even,
                     case when i % 5 = 0 then null else i::integer end as maybe,
                     [i, i + 1] as l, {'a': i, 'b': 'x'} as st,
                     date '2020-01-01' + i::integer as d,
                     timestamp '2020-01-01 00:00:00' + to_seconds(i) as ts,
                     (i / 100)::decimal(10, 2) as dec
              from range(10000) t(i))
        to '${path}' (format parquet, compression ${codec}, row_group_size 1000)`);
      const md = await parquetMetadata(path);
      assertEquals(md.numRows, 10000);
      assert(md.numRowGroups > 1, `${md.numRowGroups} row groups`);
      const t = await readParquet(path);
      const rows = t.toRows();
      assertEquals(rows[1234], {
        id: 1234n,
        s: "v1234",
        // i * 0.5 is a DECIMAL in DuckDB: it comes back as exact text.
        f: "617.0",
        even: true,
        maybe: 1234,
        l: [1234n, 1235n],
        st: { a: 1234n, b: "x" },
        d: new Date(Date.UTC(2020, 0, 1) + 1234 * 86_400_000),
        ts: new Date(Date.UTC(2020, 0, 1) + 1234_000),
        dec: "12.34",
      }, codec);
      assertEquals(rows[5]!.maybe, null);
      const some = await readParquet(path, { filter: { column: "id", op: "ge", value: 9990 } });
      assertEquals(some.numRows, 10);
    }
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
