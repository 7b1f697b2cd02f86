/**
 * `ColumnarTable`: an Arrow table with row-level helpers and Parquet/IPC I/O.
 *
 * @module
 */
import * as A from "apache-arrow";
import type { ArrowSchema, ParquetTarget, Predicate, WriteOptions } from "./types.ts";
import { decodeError, fail } from "./_errors.ts";
import { inferSchema } from "./_infer.ts";
import { compilePredicate, matchBatch } from "./_predicate.ts";
import { combineBatches, takeBatch } from "./_take.ts";
import { compareKeys } from "./_cells.ts";
import { buildData, isComparableType, jsGetter, keyGetter } from "./_type_table.ts";
import { tableToParquet, writeTableTo } from "./_write.ts";

/** Describes how two schemas differ, or returns undefined when they match. */
export function schemaDifference(a: ArrowSchema, b: ArrowSchema): string | undefined {
  const names = (s: A.Schema) => s.fields.map((f) => f.name);
  for (const f of a.fields) {
    const g = b.fields.find((x) => x.name === f.name);
    if (!g) return `column ${f.name} is missing`;
    if (String(f.type) !== String(g.type)) {
      return `column ${f.name} has type ${g.type}, expected ${f.type}`;
    }
    if (f.nullable !== g.nullable) {
      return `column ${f.name} is ${g.nullable ? "nullable" : "not nullable"}, expected ${
        f.nullable ? "nullable" : "not nullable"
      }`;
    }
  }
  const extra = b.fields.find((g) => !a.fields.some((f) => f.name === g.name));
  if (extra) return `column ${extra.name} is not in the schema`;
  if (names(a).join("\u0000") !== names(b).join("\u0000")) {
    return `columns are ordered [${names(b).join(", ")}], expected [${names(a).join(", ")}]`;
  }
  return undefined;
}

/**
 * A table of typed columns backed by an apache-arrow `Table`. Operations that change
 * rows (`filter`, `sortBy`, `project`, `merge`) return a new table; `push` appends in
 * place.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ColumnarTable } from "@cooljapan/oxistore/columnar";
 * const t = ColumnarTable.fromRows([{ id: 2n, name: "b" }, { id: 1n, name: "a" }]);
 * const sorted = t.sortBy("id");
 * deepStrictEqual(sorted.toRows()[0], { id: 1n, name: "a" });
 * ```
 */
export class ColumnarTable {
  #table: A.Table;

  private constructor(table: A.Table) {
    this.#table = table;
  }

  /**
   * Wraps an apache-arrow table (not copied).
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { tableFromArrays } from "apache-arrow";
   * import { ColumnarTable } from "@cooljapan/oxistore/columnar";
   * const t = ColumnarTable.fromArrow(tableFromArrays({ x: new Int32Array([1, 2]) }));
   * deepStrictEqual(t.numRows, 2);
   * ```
   */
  static fromArrow(table: A.Table): ColumnarTable {
    if (!(table instanceof A.Table)) {
      return fail("InvalidInput", "Cannot wrap a value that is not an apache-arrow Table");
    }
    return new ColumnarTable(table);
  }

  /**
   * Builds a table from row objects. Without a schema, types are inferred (numbers →
   * Float64, bigints → Int64, strings → Utf8, booleans → Bool, Dates → Timestamp(ms,
   * UTC), bytes → Binary, arrays → List, Maps → Map, objects → Struct), all nullable.
   * A decimal column takes decimal strings, numbers (through their shortest text) or
   * bigints (whole numbers); extra fraction digits round half away from zero, too many
   * digits for the precision is `InvalidInput`.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { Field, Int32, Schema, Utf8 } from "apache-arrow";
   * import { ColumnarTable } from "@cooljapan/oxistore/columnar";
   * const schema = new Schema([new Field("n", new Int32(), false), new Field("s", new Utf8(), true)]);
   * const t = ColumnarTable.fromRows([{ n: 1, s: "x" }, { n: 2, s: null }], schema);
   * deepStrictEqual(t.schema.fields[0]?.type.toString(), "Int32");
   * ```
   */
  static fromRows(rows: Record<string, unknown>[], schema?: A.Schema): ColumnarTable {
    if (!Array.isArray(rows)) {
      return fail("InvalidInput", "Cannot build a table: rows must be an array");
    }
    rows.forEach((r, i) => {
      if (!r || typeof r !== "object" || Array.isArray(r)) {
        fail("InvalidInput", `Cannot build a table: row ${i} is not an object`);
      }
    });
    const s = schema ?? inferSchema(rows);
    const children = s.fields.map((f) => {
      const data = buildData(f.type, rows.map((r) => r[f.name]), f.name);
      if (!f.nullable && data.nullCount > 0) {
        fail(
          "InvalidInput",
          `Cannot build a table: column ${f.name} is not nullable but has nulls`,
        );
      }
      return data;
    });
    const struct = A.makeData({ type: new A.Struct(s.fields), length: rows.length, children });
    return new ColumnarTable(new A.Table([new A.RecordBatch(s, struct)]));
  }

  /**
   * Reads an Arrow IPC stream or file.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable } from "@cooljapan/oxistore/columnar";
   * const bytes = ColumnarTable.fromRows([{ a: 1 }]).toIPC();
   * deepStrictEqual(ColumnarTable.fromIPC(bytes).numRows, 1);
   * ```
   */
  static fromIPC(bytes: Uint8Array): ColumnarTable {
    if (!(bytes instanceof Uint8Array)) {
      return fail("InvalidInput", "Cannot read Arrow IPC: input is not a Uint8Array");
    }
    let table: A.Table;
    try {
      table = A.tableFromIPC(bytes);
    } catch (err) {
      return fail("Corruption", `Cannot read Arrow IPC (${bytes.length} bytes): ${err}`, err);
    }
    if (table.schema.fields.length === 0 && bytes.length > 0 && table.numRows === 0) {
      return fail("Corruption", `Cannot read Arrow IPC (${bytes.length} bytes): no schema found`);
    }
    return new ColumnarTable(table);
  }

  /** The Arrow schema. */
  get schema(): ArrowSchema {
    return this.#table.schema;
  }

  /** The number of rows. */
  get numRows(): number {
    return this.#table.numRows;
  }

  /**
   * Appends a record batch or table with exactly this table's schema (names, types,
   * nullability, order); a different schema is `InvalidInput` naming the difference.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable } from "@cooljapan/oxistore/columnar";
   * const t = ColumnarTable.fromRows([{ a: 1 }]);
   * t.push(ColumnarTable.fromRows([{ a: 2 }]).toArrow());
   * deepStrictEqual(t.numRows, 2);
   * ```
   */
  push(batch: A.RecordBatch | A.Table): void {
    const other = batch instanceof A.RecordBatch
      ? new A.Table([batch])
      : batch instanceof A.Table
      ? batch
      : fail("InvalidInput", "Cannot push: expected an apache-arrow RecordBatch or Table");
    const diff = schemaDifference(this.schema, other.schema);
    if (diff) return fail("InvalidInput", `Cannot push into the table: ${diff}`);
    this.#table = new A.Table(this.schema, [...this.#table.batches, ...other.batches]);
  }

  /**
   * A new table with this table's rows followed by `other`'s (same schema required).
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable } from "@cooljapan/oxistore/columnar";
   * const a = ColumnarTable.fromRows([{ x: "a" }]);
   * deepStrictEqual(a.merge(ColumnarTable.fromRows([{ x: "b" }])).numRows, 2);
   * ```
   */
  merge(other: ColumnarTable): ColumnarTable {
    if (!(other instanceof ColumnarTable)) {
      return fail("InvalidInput", "Cannot merge: the argument is not a ColumnarTable");
    }
    const diff = schemaDifference(this.schema, other.schema);
    if (diff) return fail("InvalidInput", `Cannot merge tables: ${diff}`);
    return new ColumnarTable(
      new A.Table(this.schema, [...this.#table.batches, ...other.#table.batches]),
    );
  }

  /**
   * A table with only `columns`, in that order; an unknown name is `InvalidInput`.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable } from "@cooljapan/oxistore/columnar";
   * const t = ColumnarTable.fromRows([{ a: 1, b: 2 }]).project(["b"]);
   * deepStrictEqual(t.schema.fields.map((f) => f.name), ["b"]);
   * ```
   */
  project(columns: string[]): ColumnarTable {
    if (!Array.isArray(columns)) {
      return fail("InvalidInput", "Cannot project: columns must be an array");
    }
    for (const c of columns) {
      if (!this.schema.fields.some((f) => f.name === c)) {
        fail(
          "InvalidInput",
          `Cannot project column ${JSON.stringify(c)}: no such column (have ${
            this.schema.fields.map((f) => f.name).join(", ")
          })`,
        );
      }
    }
    return new ColumnarTable(this.#table.select(columns));
  }

  /**
   * The rows matching `predicate`, in their order.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable } from "@cooljapan/oxistore/columnar";
   * const t = ColumnarTable.fromRows([{ n: 1 }, { n: 5 }, { n: 9 }]);
   * deepStrictEqual(t.filter({ column: "n", op: "ge", value: 5 }).numRows, 2);
   * ```
   */
  filter(predicate: Predicate): ColumnarTable {
    const compiled = compilePredicate(predicate, this.schema);
    const batches = this.#table.batches.map((b) => takeBatch(b, matchBatch(compiled, b)));
    return new ColumnarTable(new A.Table(this.schema, batches));
  }

  /**
   * The rows ordered by one column (stable; nulls last unless `nullsFirst`).
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable } from "@cooljapan/oxistore/columnar";
   * const t = ColumnarTable.fromRows([{ s: "b" }, { s: null }, { s: "a" }]);
   * deepStrictEqual(t.sortBy("s", { descending: true }).toRows().map((r) => r.s), ["b", "a", null]);
   * ```
   */
  sortBy(column: string, opts: { descending?: boolean; nullsFirst?: boolean } = {}): ColumnarTable {
    const field = this.schema.fields.find((f) => f.name === column);
    if (!field) {
      return fail("InvalidInput", `Cannot sort by ${JSON.stringify(column)}: no such column`);
    }
    if (!isComparableType(field.type)) {
      return fail("InvalidInput", `Cannot sort by column ${column} of type ${field.type}`);
    }
    const batch = combineBatches(this.#table);
    const get = keyGetter(batch.getChild(column)!.data[0] as A.Data<A.DataType>);
    const n = batch.numRows;
    const keys = new Array<unknown>(n);
    for (let i = 0; i < n; i++) keys[i] = get(i);
    const idx = Array.from({ length: n }, (_, i) => i);
    const dir = opts.descending ? -1 : 1;
    const nullSign = opts.nullsFirst ? -1 : 1;
    idx.sort((x, y) => {
      const a = keys[x];
      const b = keys[y];
      if (a === null || b === null) {
        if (a === b) return x - y;
        return (a === null ? 1 : -1) * nullSign;
      }
      return dir * compareKeys(a, b) || x - y;
    });
    return new ColumnarTable(new A.Table([takeBatch(batch, idx)]));
  }

  /**
   * The underlying apache-arrow table.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable } from "@cooljapan/oxistore/columnar";
   * deepStrictEqual(ColumnarTable.fromRows([{ a: 1 }]).toArrow().numCols, 1);
   * ```
   */
  toArrow(): A.Table {
    return this.#table;
  }

  /**
   * Plain row objects: 64-bit integers as bigints, dates and timestamps as `Date`
   * (millisecond precision; use `toArrow()` for exact units), decimals as exact strings
   * with `scale` fraction digits (`"-12.30"` for scale 2), lists as arrays, structs as
   * objects, maps as `Map`s, nulls as `null`.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable } from "@cooljapan/oxistore/columnar";
   * deepStrictEqual(ColumnarTable.fromRows([{ a: 1, b: "x" }]).toRows(), [{ a: 1, b: "x" }]);
   * ```
   */
  toRows(): Record<string, unknown>[] {
    const names = this.schema.fields.map((f) => f.name);
    const out: Record<string, unknown>[] = [];
    for (const batch of this.#table.batches) {
      const getters = names.map((n) => jsGetter(batch.getChild(n)!.data[0] as A.Data<A.DataType>));
      for (let i = 0; i < batch.numRows; i++) {
        const row: Record<string, unknown> = {};
        for (let c = 0; c < names.length; c++) row[names[c]!] = getters[c]!(i);
        out.push(row);
      }
    }
    return out;
  }

  /**
   * The table as an Arrow IPC stream.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable } from "@cooljapan/oxistore/columnar";
   * deepStrictEqual(ColumnarTable.fromRows([{ a: 1 }]).toIPC().length > 0, true);
   * ```
   */
  toIPC(): Uint8Array {
    try {
      return A.tableToIPC(this.#table, "stream");
    } catch (err) {
      throw decodeError(err, "write Arrow IPC");
    }
  }

  /**
   * The table as the bytes of a Parquet file.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable } from "@cooljapan/oxistore/columnar";
   * const bytes = await ColumnarTable.fromRows([{ a: 1 }]).toParquet({ compression: "GZIP" });
   * deepStrictEqual(new TextDecoder().decode(bytes.subarray(0, 4)), "PAR1");
   * ```
   */
  toParquet(opts: WriteOptions = {}): Promise<Uint8Array> {
    return tableToParquet(this.#table, opts);
  }

  /**
   * Writes the table as a Parquet file to a local path (atomically: temp file +
   * rename) or to a blob, row group by row group.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable } from "@cooljapan/oxistore/columnar";
   * const path = await Deno.makeTempFile({ suffix: ".parquet" });
   * await ColumnarTable.fromRows([{ a: 1 }]).writeParquet(path, { rowGroupSize: 1000 });
   * deepStrictEqual((await Deno.stat(path)).size > 0, true);
   * await Deno.remove(path);
   * ```
   */
  writeParquet(target: ParquetTarget, opts: WriteOptions = {}): Promise<void> {
    return writeTableTo(this.#table, target, opts);
  }
}
