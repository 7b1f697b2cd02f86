// Filters follow SQL's three-valued logic, with DuckDB as the oracle: random predicate
// trees (and/or/not over comparisons, in, isNull) over nullable columns of a Parquet file
// with several row groups, some of them all null, keep exactly the rows DuckDB's WHERE
// keeps — when pushed down to row-group statistics (readParquet) and in memory (filter).
import * as A from "apache-arrow";
import fc from "fast-check";
import { DuckDBInstance } from "@duckdb/node-api";
import { ColumnarTable, type Predicate, readParquet } from "@cooljapan/oxistore/columnar";
import { assertEquals } from "../_support/assert.ts";

const F = (name: string, type: A.DataType) => new A.Field(name, type, true);
const SCHEMA = new A.Schema([
  new A.Field("id", new A.Int32(), false),
  F("a", new A.Int32()),
  F("s", new A.Utf8()),
  F("b", new A.Bool()),
  F("d", new A.Decimal(2, 9, 128)),
  F("x", new A.Float64()),
]);
const GROUP = 8;

const small = fc.integer({ min: -4, max: 4 });
const COLUMNS = {
  a: { value: small, sql: (v: unknown) => `${v}` },
  s: {
    value: fc.constantFrom("", "a", "b", "ab", "it's"),
    sql: (v: unknown) => `'${String(v).replaceAll("'", "''")}'`,
  },
  b: { value: fc.boolean(), sql: (v: unknown) => (v ? "TRUE" : "FALSE") },
  d: {
    value: fc.integer({ min: -300, max: 300 }).map((n) => (n / 100).toFixed(2)),
    sql: (v: unknown) => `${v}::DECIMAL(9, 2)`,
  },
  x: { value: small.map((n) => n / 2), sql: (v: unknown) => `${v}::DOUBLE` },
} as const;
type Col = keyof typeof COLUMNS;
const NAMES = Object.keys(COLUMNS) as Col[];
const SQL_OP = { eq: "=", ne: "<>", lt: "<", le: "<=", gt: ">", ge: ">=" } as const;

const leafArb: fc.Arbitrary<Predicate> = fc.constantFrom(...NAMES).chain((column) =>
  fc.oneof(
    fc.record({
      column: fc.constant(column),
      op: fc.constantFrom("eq", "ne", "lt", "le", "gt", "ge" as const),
      value: COLUMNS[column].value as fc.Arbitrary<unknown>,
    }),
    fc.record({
      column: fc.constant(column),
      op: fc.constant("in" as const),
      values: fc.array(COLUMNS[column].value as fc.Arbitrary<unknown>, {
        minLength: 1,
        maxLength: 3,
      }),
    }),
    fc.record({
      column: fc.constant(column),
      op: fc.constantFrom("isNull", "isNotNull" as const),
    }),
  )
);

const predicateArb = fc.letrec<{ p: Predicate }>((tie) => ({
  p: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArb,
    fc.record({ not: tie("p") }),
    fc.record({ and: fc.array(tie("p"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ or: fc.array(tie("p"), { minLength: 1, maxLength: 3 }) }),
  ),
})).p;

function toSql(p: Predicate): string {
  if ("and" in p) return `(${p.and.map(toSql).join(" AND ")})`;
  if ("or" in p) return `(${p.or.map(toSql).join(" OR ")})`;
  if ("not" in p) return `(NOT ${toSql(p.not)})`;
  const c = p.column as Col;
  if (p.op === "isNull") return `(${c} IS NULL)`;
  if (p.op === "isNotNull") return `(${c} IS NOT NULL)`;
  if (p.op === "in") return `(${c} IN (${p.values.map(COLUMNS[c].sql).join(", ")}))`;
  const { op, value } = p as { op: keyof typeof SQL_OP; value: unknown };
  return `(${c} ${SQL_OP[op]} ${COLUMNS[c].sql(value)})`;
}

/** Rows in groups of GROUP; the groups listed in `nullGroups[col]` are all null there. */
const tableArb = fc.integer({ min: 1, max: 6 }).chain((groups) =>
  fc.record({
    rows: fc.array(
      fc.record(
        Object.fromEntries(
          NAMES.map((c) => [c, fc.option(COLUMNS[c].value as fc.Arbitrary<unknown>, { freq: 4 })]),
        ) as Record<Col, fc.Arbitrary<unknown>>,
      ),
      { minLength: groups * GROUP - GROUP + 1, maxLength: groups * GROUP },
    ),
    nullGroups: fc.record(
      Object.fromEntries(
        NAMES.map((c) => [c, fc.subarray(Array.from({ length: groups }, (_, g) => g))]),
      ) as Record<Col, fc.Arbitrary<number[]>>,
    ),
  })
);

Deno.test("property: and/or/not over nulls keep exactly the rows of DuckDB's WHERE", async () => {
  const inst = await DuckDBInstance.create(":memory:");
  const con = await inst.connect();
  const dir = await Deno.makeTempDir();
  const path = `${dir}/t.parquet`;
  let checked = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        tableArb,
        fc.array(predicateArb, { minLength: 4, maxLength: 4 }),
        async ({ rows, nullGroups }, preds) => {
          const full = rows.map((r, id) => {
            const out: Record<string, unknown> = { id };
            for (const c of NAMES) {
              out[c] = nullGroups[c].includes(Math.floor(id / GROUP)) ? null : r[c];
            }
            return out;
          });
          const table = ColumnarTable.fromRows(full, SCHEMA);
          await table.writeParquet(path, { rowGroupSize: GROUP });
          for (const p of preds) {
            const sql = `SELECT id FROM read_parquet('${path}') WHERE ${toSql(p)} ORDER BY id`;
            const want = (await con.runAndReadAll(sql)).getRowObjectsJS().map((r) => r.id);
            const pushed = (await readParquet(path, { filter: p })).toRows().map((r) => r.id);
            assertEquals(pushed, want, `readParquet, ${sql}`);
            const inMemory = table.filter(p).toRows().map((r) => r.id);
            assertEquals(inMemory, want, `filter, ${sql}`);
            checked++;
          }
        },
      ),
      { numRuns: 150 },
    );
  } finally {
    con.closeSync();
    inst.closeSync();
    await Deno.remove(dir, { recursive: true });
  }
  if (checked < 600) throw new Error(`only ${checked} predicates checked`);
});

Deno.test("pruning under three-valued logic: all-null row groups never match a negation", async () => {
  const rows = Array.from({ length: 30 }, (_, id) => ({ id, a: id < 10 ? null : id }));
  const bytes = await ColumnarTable.fromRows(
    rows,
    new A.Schema([SCHEMA.fields[0]!, F("a", new A.Int32())]),
  )
    .toParquet({ rowGroupSize: 10 });
  const ids = async (filter: Predicate) =>
    (await readParquet(bytes, { filter })).toRows().map((r) => r.id);
  // NOT (a = 5) is unknown on the all-null group: none of its rows come back.
  assertEquals(
    await ids({ not: { column: "a", op: "eq", value: 5 } }),
    rows.slice(10).map((r) => r.id),
  );
  assertEquals(
    await ids({ not: { column: "a", op: "isNotNull" } }),
    rows.slice(0, 10).map((r) => r.id),
  );
  // unknown OR true is true: the all-null group is read for the second branch.
  assertEquals(
    await ids({
      or: [{ column: "a", op: "gt", value: 100 }, { column: "id", op: "lt", value: 2 }],
    }),
    [0, 1],
  );
});
