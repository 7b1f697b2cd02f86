// Decimals are exact everywhere: a decimal cell is a canonical string ("-12.30" for
// scale 2) in toRows, through our writer, DuckDB-written files, Arrow IPC, blob sources,
// fromArrow, predicates and row-group statistics, at every precision up to 38 (and 76
// with Decimal256), nested too. DuckDB's VARCHAR cast is the oracle for the text.
import * as A from "apache-arrow";
import { DuckDBInstance } from "@duckdb/node-api";
import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
import {
  ColumnarTable,
  parquetMetadata,
  type Predicate,
  readParquet,
  streamParquet,
} from "@cooljapan/oxistore/columnar";
import { assert, assertEquals, assertRejectsKind } from "../_support/assert.ts";

const F = <T extends A.DataType>(name: string, type: T, nullable = true) =>
  new A.Field<T>(name, type, nullable);
const EXACT = "123356789012.345679";

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

Deno.test("decimal: 123356789012.345679 survives every path exactly", async () => {
  const schema = new A.Schema([F("d", new A.Decimal(6, 38, 128))]);
  const t = ColumnarTable.fromRows([{ d: EXACT }, { d: null }, { d: "-" + EXACT }], schema);
  const want = [{ d: EXACT }, { d: null }, { d: "-" + EXACT }];
  assertEquals(t.toRows(), want, "fromRows → toRows");
  const bytes = await t.toParquet();
  assertEquals((await readParquet(bytes)).toRows(), want, "our Parquet writer");
  assertEquals(ColumnarTable.fromIPC(t.toIPC()).toRows(), want, "Arrow IPC");
  const store = new MemoryBlobStore();
  await t.writeParquet({ store, key: "d.parquet" });
  assertEquals((await readParquet({ store, key: "d.parquet" })).toRows(), want, "blob source");
  const streamed: unknown[] = [];
  for await (const b of streamParquet(bytes, { batchRows: 1 })) {
    streamed.push(...ColumnarTable.fromArrow(new A.Table([b])).toRows());
  }
  assertEquals(streamed, want, "streamParquet");
  const hit = await readParquet(bytes, { filter: { column: "d", op: "eq", value: EXACT } });
  assertEquals(hit.toRows(), [{ d: EXACT }], "predicate");
  const md = await parquetMetadata(bytes);
  assertEquals(md.rowGroups[0]!.columns.d, { min: "-" + EXACT, max: EXACT, nullCount: 1 });
});

Deno.test("decimal: one string form for every precision; inputs round as SQL casts do", async () => {
  const schema = new A.Schema([
    F("p4", new A.Decimal(1, 4, 128)),
    F("p9", new A.Decimal(2, 9, 128)),
    F("p18", new A.Decimal(3, 18, 128)),
    F("p38", new A.Decimal(0, 38, 128)),
    F("p76", new A.Decimal(10, 76, 256)),
  ]);
  const big76 = "9".repeat(66) + "." + "1234567891";
  const t = ColumnarTable.fromRows([
    { p4: 0.1, p9: 5n, p18: "1.0005", p38: "1e37", p76: big76 },
    { p4: "-0.05", p9: "-0.005", p18: -0.0004, p38: -12n, p76: "-" + big76 },
  ], schema);
  assertEquals(t.toRows(), [
    { p4: "0.1", p9: "5.00", p18: "1.001", p38: "1" + "0".repeat(37), p76: big76 },
    { p4: "-0.1", p9: "-0.01", p18: "0.000", p38: "-12", p76: "-" + big76 },
  ]);
  for (const [col, v] of [["p4", "1000"], ["p9", 1e8], ["p38", "1e38"]] as const) {
    await assertRejectsKind(
      () =>
        ColumnarTable.fromRows(
          [{ [col]: v }],
          new A.Schema([schema.fields.find((f) => f.name === col)!]),
        ),
      "InvalidInput",
      new RegExp(`column ${col}.*digits`),
    );
  }
  await assertRejectsKind(
    () => ColumnarTable.fromRows([{ d: "1.2.3" }], new A.Schema([F("d", new A.Decimal(2, 9))])),
    "InvalidInput",
    /decimal in column d/,
  );
});

Deno.test("decimal: fromArrow of Decimal(30,4) and Decimal256 data gives exact cells", async () => {
  const words = new Uint32Array(8);
  // 123356789012.3456 × 10^4 and its negation, as little-endian 32-bit words.
  const u = 1233567890123456n;
  for (const [i, v] of [[0, u], [1, -u]] as const) {
    let x = BigInt.asUintN(128, v);
    for (let w = 0; w < 4; w++, x >>= 32n) words[i * 4 + w] = Number(x & 0xffffffffn);
  }
  const data = A.makeData({ type: new A.Decimal(4, 30, 128), length: 2, data: words });
  const t = ColumnarTable.fromArrow(new A.Table({ d: A.makeVector(data) }));
  assertEquals(t.toRows(), [{ d: "123356789012.3456" }, { d: "-123356789012.3456" }]);
  assertEquals((await readParquet(await t.toParquet())).toRows(), t.toRows());

  const wide = ColumnarTable.fromRows(
    [{ d: "-" + "8".repeat(70) + ".123456" }],
    new A.Schema([F("d", new A.Decimal(6, 76, 256))]),
  );
  const back = ColumnarTable.fromArrow(ColumnarTable.fromIPC(wide.toIPC()).toArrow());
  assertEquals(back.toRows(), [{ d: "-" + "8".repeat(70) + ".123456" }]);
  assertEquals((await readParquet(await wide.toParquet())).toRows(), back.toRows());
});

const DUCK_TYPES = [[38, 6], [18, 3], [9, 2], [4, 1]] as const;

Deno.test("decimal: DuckDB-written DECIMAL(38,6)/(18,3)/(9,2)/(4,1), flat and nested, read exactly", async () => {
  const dir = await Deno.makeTempDir();
  const db = await duck();
  try {
    const path = `${dir}/duck.parquet`;
    const cols = DUCK_TYPES.map(([p, s]) => {
      // An unscaled value spread over all p digits, negated on odd rows, null every 11th,
      // written out as text so no float touches it on DuckDB's side either.
      const mod = `${10n ** BigInt(p)}::hugeint`;
      const div = `${10n ** BigInt(s)}::hugeint`;
      const u = `((i::hugeint * 982451653 * 1000000007 + 12345) % ${mod})`;
      const text = `(case when i % 2 = 1 then '-' else '' end) || (${u} // ${div})::varchar ||
        '.' || lpad((${u} % ${div})::varchar, ${s}, '0')`;
      return `case when i % 11 = 0 then null else (${text})::decimal(${p}, ${s}) end as d${p}`;
    });
    await db.run(`
      copy (select i, ${cols.join(", ")},
                   case when i % 13 = 0 then null else [${EXACT}::decimal(38, 6), (i * 1.5)::decimal(38, 6), null] end as l,
                   {'x': (i / 7)::decimal(20, 2), 'y': ${EXACT}::decimal(38, 6)} as st
            from range(3000) t(i))
      to '${path}' (format parquet, row_group_size 1000)`);
    const varchar = DUCK_TYPES.map(([p]) => `d${p}::varchar as d${p}`).join(", ");
    const want = await db.rows(
      `select ${varchar}, l::varchar[] as l, st.x::varchar as x, st.y::varchar as y
       from read_parquet('${path}') order by i`,
    );
    const got = (await readParquet(path)).toRows();
    assertEquals(got.length, want.length);
    got.forEach((r, i) => {
      const w = want[i]!;
      for (const [p] of DUCK_TYPES) assertEquals(r[`d${p}`], w[`d${p}`], `row ${i} d${p}`);
      assertEquals(r.l, w.l, `row ${i} l`);
      assertEquals(r.st, { x: w.x, y: w.y }, `row ${i} st`);
    });
    assert(got.some((r) => r.l !== null && (r.l as string[])[0] === EXACT));
    // Row-group statistics: exact strings, as DuckDB computes them.
    const md = await parquetMetadata(path);
    let start = 0;
    for (const [k, g] of md.rowGroups.entries()) {
      const [range] = await db.rows(
        `select ${
          DUCK_TYPES.map(([p]) => `min(d${p})::varchar as mn${p}, max(d${p})::varchar as mx${p}`)
            .join(", ")
        } from read_parquet('${path}') where i >= ${start} and i < ${start + g.numRows}`,
      );
      for (const [p] of DUCK_TYPES) {
        assertEquals(g.columns[`d${p}`]!.min, range![`mn${p}`], `d${p} min of group ${k}`);
        assertEquals(g.columns[`d${p}`]!.max, range![`mx${p}`], `d${p} max of group ${k}`);
      }
      start += g.numRows;
    }
    assert(md.numRowGroups > 1, `${md.numRowGroups} row groups`);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decimal: DuckDB reads our decimals (flat, in lists and structs) to the same text", async () => {
  const dir = await Deno.makeTempDir();
  const db = await duck();
  try {
    const schema = new A.Schema([
      F("d38", new A.Decimal(6, 38, 128)),
      F("d18", new A.Decimal(3, 18, 128)),
      F("d9", new A.Decimal(2, 9, 128)),
      F("d4", new A.Decimal(1, 4, 128)),
      F("l", new A.List(F("element", new A.Decimal(6, 38, 128)))),
      F("st", new A.Struct([F("x", new A.Decimal(2, 20, 128))])),
    ]);
    const rows = Array.from({ length: 500 }, (_, i) => ({
      d38: i % 9 === 0
        ? null
        : `${i % 2 ? "-" : ""}${EXACT.slice(0, 6)}${i}.${String(i).padStart(6, "0")}`,
      d18: `${i * 1000003}.${i % 1000}`,
      d9: i % 5 ? `-${i}.${i % 100}` : null,
      d4: `${i % 999}.${i % 10}`,
      l: i % 7 ? [EXACT, null, `-${i}.5`] : null,
      st: { x: `${i}12345678901234.${i % 100}` },
    }));
    const t = ColumnarTable.fromRows(rows, schema);
    const path = `${dir}/ours.parquet`;
    await t.writeParquet(path, { rowGroupSize: 128 });
    const theirs = await db.rows(
      `select d38::varchar as d38, d18::varchar as d18, d9::varchar as d9, d4::varchar as d4,
              l::varchar[] as l, {'x': st.x::varchar} as st
       from read_parquet('${path}')`,
    );
    assertEquals(theirs, t.toRows());
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decimal: predicates compare exactly and pruning agrees with DuckDB", async () => {
  const dir = await Deno.makeTempDir();
  const db = await duck();
  try {
    const schema = new A.Schema([F("i", new A.Int32(), false), F("d", new A.Decimal(6, 38, 128))]);
    // Neighbours one unit in the last place apart: a float cannot tell them apart.
    const base = 123356789012345679n;
    const rows = Array.from({ length: 400 }, (_, i) => ({
      i,
      d: i % 10 === 9 ? null : (() => {
        const u = base + BigInt(i - 200);
        const s = u.toString().padStart(7, "0");
        return `${s.slice(0, -6)}.${s.slice(-6)}`;
      })(),
    }));
    const path = `${dir}/p.parquet`;
    await ColumnarTable.fromRows(rows, schema).writeParquet(path, { rowGroupSize: 50 });
    const values = [EXACT, "123356789012.345678", "123356789012.3456785", "123356789012.3457", "0"];
    for (const value of values) {
      for (const op of ["eq", "ne", "lt", "le", "gt", "ge"] as const) {
        const sqlOp = { eq: "=", ne: "<>", lt: "<", le: "<=", gt: ">", ge: ">=" }[op];
        const want = (await db.rows(
          `select i from read_parquet('${path}') where d ${sqlOp} ${value}::decimal(38, 10) order by i`,
        )).map((r) => r.i);
        for (const pred of [{ column: "d", op, value }, { not: { column: "d", op, value } }]) {
          const got = (await readParquet(path, { filter: pred as Predicate })).toRows()
            .map((r) => r.i);
          const expected = "not" in pred
            ? (await db.rows(
              `select i from read_parquet('${path}') where not (d ${sqlOp} ${value}::decimal(38, 10)) order by i`,
            )).map((r) => r.i)
            : want;
          assertEquals(got, expected, `${JSON.stringify(pred)}`);
        }
      }
    }
    const inList = await readParquet(path, {
      filter: { column: "d", op: "in", values: [EXACT, "1.0000001", 123356789012.345] },
    });
    assertEquals(inList.toRows().map((r) => r.d), [EXACT]);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decimal: exact statistics prune row groups at precision 38; sortBy orders exactly", async () => {
  const mem = new MemoryBlobStore();
  const reads: [number, number][] = [];
  const store = new Proxy(mem, {
    get(target, prop, recv) {
      if (prop === "getStream") {
        return (key: string, range?: { start: number; end?: number }) => {
          reads.push([range?.start ?? 0, range?.end ?? Infinity]);
          return target.getStream(key, range);
        };
      }
      const v = Reflect.get(target, prop, recv);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  // 20 row groups whose values differ only past the 15th significant digit.
  const u = (i: number) => 123356789012345000n + BigInt(i);
  const text = (x: bigint) => `${x / 1_000_000n}.${String(x % 1_000_000n).padStart(6, "0")}`;
  const rows = Array.from({ length: 2000 }, (_, i) => ({ d: text(u(i)) }));
  const t = ColumnarTable.fromRows(rows, new A.Schema([F("d", new A.Decimal(6, 38, 128))]));
  await t.writeParquet({ store: mem, key: "d.parquet" }, { rowGroupSize: 100 });
  const bytes = await mem.get("d.parquet");
  const footerStart = bytes.length - 8 -
    new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 8, true);
  reads.length = 0;
  const hit = await readParquet({ store, key: "d.parquet" }, {
    filter: { column: "d", op: "eq", value: text(u(1234)) },
  });
  assertEquals(hit.toRows(), [{ d: text(u(1234)) }]);
  // Footer reads run to the end of the file (the first one may cover it all).
  const dataReads = reads.filter(([, e]) => e <= footerStart);
  assertEquals(dataReads.length, 1, "only the row group holding the value is read");

  const shuffled = ColumnarTable.fromRows(
    [{ d: text(u(3)) }, { d: null }, { d: text(u(1)) }, { d: "-" + text(u(2)) }],
    t.schema,
  );
  assertEquals(shuffled.sortBy("d").toRows().map((r) => r.d), [
    "-" + text(u(2)),
    text(u(1)),
    text(u(3)),
    null,
  ]);
});
