// Predicates: checked against a schema once, then evaluated per row (over Arrow data) or
// per row group (over min/max/null-count statistics, three-valued: none/all/some).
import * as A from "apache-arrow";
import type { CompareOp, Predicate } from "./types.ts";
import { fail } from "./_errors.ts";
import { compareKeys, isComparableType, keyGetter } from "./_values.ts";
import { describe, toDays, toTimestampUnits } from "./_vector.ts";

const MS_PER_DAY = 86_400_000;
const encoder = new TextEncoder();

/** A predicate whose values are already comparable keys of their column. */
export type Compiled =
  | { kind: "cmp"; column: string; op: CompareOp; key: unknown }
  | { kind: "in"; column: string; keys: unknown[] }
  | { kind: "null"; column: string; isNull: boolean }
  | { kind: "and" | "or"; items: Compiled[] }
  | { kind: "not"; item: Compiled };

const OPS = new Set(["eq", "ne", "lt", "le", "gt", "ge"]);

/** Column names a predicate reads. */
export function predicateColumns(p: Predicate, out: Set<string> = new Set()): Set<string> {
  if ("and" in p) p.and.forEach((q) => predicateColumns(q, out));
  else if ("or" in p) p.or.forEach((q) => predicateColumns(q, out));
  else if ("not" in p) predicateColumns(p.not, out);
  else out.add(p.column);
  return out;
}

/** Checks a predicate against `schema` and converts its values into column keys. */
export function compilePredicate(p: Predicate, schema: A.Schema): Compiled {
  if (!p || typeof p !== "object") {
    return fail("InvalidInput", `Cannot use ${describe(p)} as a predicate`);
  }
  if ("and" in p) {
    if (!Array.isArray(p.and)) fail("InvalidInput", "Cannot use predicate: `and` needs an array");
    return { kind: "and", items: p.and.map((q) => compilePredicate(q, schema)) };
  }
  if ("or" in p) {
    if (!Array.isArray(p.or)) fail("InvalidInput", "Cannot use predicate: `or` needs an array");
    return { kind: "or", items: p.or.map((q) => compilePredicate(q, schema)) };
  }
  if ("not" in p) return { kind: "not", item: compilePredicate(p.not, schema) };
  const field = schema.fields.find((f) => f.name === p.column);
  if (!field) {
    return fail(
      "InvalidInput",
      `Cannot filter on column ${JSON.stringify(p.column)}: no such column (have ${
        schema.fields.map((f) => f.name).join(", ")
      })`,
    );
  }
  if (p.op === "isNull" || p.op === "isNotNull") {
    return { kind: "null", column: p.column, isNull: p.op === "isNull" };
  }
  if (!isComparableType(field.type)) {
    return fail("InvalidInput", `Cannot compare column ${p.column} of type ${field.type}`);
  }
  if (p.op === "in") {
    if (!Array.isArray(p.values)) {
      return fail("InvalidInput", `Cannot use "in" on ${p.column}: \`values\` must be an array`);
    }
    return {
      kind: "in",
      column: p.column,
      keys: p.values.map((v) => toKey(field.type, v, p.column)),
    };
  }
  if (!OPS.has(p.op)) {
    return fail("InvalidInput", `Cannot use predicate operator ${JSON.stringify(p.op)}`);
  }
  const value = (p as { value?: unknown }).value;
  return { kind: "cmp", column: p.column, op: p.op, key: toKey(field.type, value, p.column) };
}

/** Converts a predicate value into the comparable key domain of a column type. */
export function toKey(type: A.DataType, v: unknown, column: string): unknown {
  const bad = (): never =>
    fail("InvalidInput", `Cannot compare column ${column} (${type}) with ${describe(v)}`);
  if (v === null || v === undefined) {
    return fail("InvalidInput", `Cannot compare column ${column} with null: use isNull`);
  }
  if (A.DataType.isDictionary(type)) return toKey((type as A.Dictionary).dictionary, v, column);
  if (A.DataType.isTimestamp(type)) return toTimestampUnits(v, (type as A.Timestamp).unit, column);
  if (A.DataType.isDate(type)) {
    if (typeof v === "bigint" && (type as A.Date_).unit === A.DateUnit.DAY) {
      return toDays(v, column) * MS_PER_DAY;
    }
    if (typeof v === "bigint") return Number(v);
    if (v instanceof Date) return v.getTime();
    if (typeof v === "number") return v;
    if (typeof v === "string" && !Number.isNaN(Date.parse(v))) return Date.parse(v);
    return bad();
  }
  if (
    A.DataType.isInt(type) || A.DataType.isFloat(type) || A.DataType.isDecimal(type) ||
    A.DataType.isTime(type)
  ) {
    if (typeof v === "number") return v;
    if (typeof v === "bigint") return A.DataType.isDecimal(type) ? Number(v) : v;
    return bad();
  }
  if (A.DataType.isUtf8(type)) return typeof v === "string" ? v : bad();
  if (A.DataType.isBool(type)) return typeof v === "boolean" ? v : bad();
  if (A.DataType.isBinary(type) || A.DataType.isFixedSizeBinary(type)) {
    if (v instanceof Uint8Array) return v;
    if (typeof v === "string") return encoder.encode(v);
    return bad();
  }
  return bad();
}

function test(op: CompareOp, c: number): boolean {
  switch (op) {
    case "eq":
      return c === 0;
    case "ne":
      return c !== 0;
    case "lt":
      return c < 0;
    case "le":
      return c <= 0;
    case "gt":
      return c > 0;
    case "ge":
      return c >= 0;
  }
}

function isNaNKey(k: unknown): boolean {
  return typeof k === "number" && Number.isNaN(k);
}

/** Row indices of a batch that match. */
export function matchBatch(p: Compiled, batch: A.RecordBatch): Uint32Array {
  const getters = new Map<string, (i: number) => unknown>();
  const getter = (col: string) => {
    let g = getters.get(col);
    if (!g) {
      const child = batch.getChild(col);
      if (!child) return fail("InvalidInput", `Cannot filter on missing column ${col}`);
      g = keyGetter(child.data[0] as A.Data<A.DataType>);
      getters.set(col, g);
    }
    return g;
  };
  const build = (q: Compiled): (i: number) => boolean => {
    switch (q.kind) {
      case "and": {
        const fs = q.items.map(build);
        return (i) => fs.every((f) => f(i));
      }
      case "or": {
        const fs = q.items.map(build);
        return (i) => fs.some((f) => f(i));
      }
      case "not": {
        const f = build(q.item);
        return (i) => !f(i);
      }
      case "null": {
        const g = getter(q.column);
        return q.isNull ? (i) => g(i) === null : (i) => g(i) !== null;
      }
      case "in": {
        const g = getter(q.column);
        return (i) => {
          const v = g(i);
          return v !== null && !isNaNKey(v) && q.keys.some((k) => compareKeys(v, k) === 0);
        };
      }
      case "cmp": {
        const g = getter(q.column);
        const { op, key } = q;
        if (isNaNKey(key)) return (i) => op === "ne" && g(i) !== null;
        return (i) => {
          const v = g(i);
          if (v === null) return false;
          if (isNaNKey(v)) return op === "ne";
          return test(op, compareKeys(v, key));
        };
      }
    }
  };
  const f = build(p);
  const out = new Uint32Array(batch.numRows);
  let n = 0;
  for (let i = 0; i < batch.numRows; i++) if (f(i)) out[n++] = i;
  return out.subarray(0, n);
}

/** Row-group statistics of one column, in its comparable key domain. */
export interface KeyStats {
  min?: unknown;
  max?: unknown;
  nullCount?: number;
  numRows: number;
  /** Cells outside min..max may exist (NaN in float columns): never judge "all". */
  loose?: boolean;
}

/** Whether none, all or some rows of a row group can match, judged by statistics. */
export type Verdict = "none" | "all" | "some";

/** Judges a row group; `stats(column)` gives undefined when nothing is known. */
export function judgeRowGroup(
  p: Compiled,
  stats: (column: string) => KeyStats | undefined,
): Verdict {
  switch (p.kind) {
    case "and": {
      const vs = p.items.map((q) => judgeRowGroup(q, stats));
      if (vs.includes("none")) return "none";
      return vs.every((v) => v === "all") ? "all" : "some";
    }
    case "or": {
      const vs = p.items.map((q) => judgeRowGroup(q, stats));
      if (vs.includes("all")) return "all";
      return vs.every((v) => v === "none") ? "none" : "some";
    }
    case "not": {
      const v = judgeRowGroup(p.item, stats);
      return v === "all" ? "none" : v === "none" ? "all" : "some";
    }
  }
  const s = stats(p.column);
  if (!s) return "some";
  const v = judgeLeaf(p, s);
  return v === "all" && s.loose ? "some" : v;
}

function judgeLeaf(p: Exclude<Compiled, { kind: "and" | "or" | "not" }>, s: KeyStats): Verdict {
  const nulls = s.nullCount;
  const allNull = nulls !== undefined && nulls === s.numRows;
  const noNull = nulls === 0;
  if (p.kind === "null") {
    if (p.isNull) return noNull ? "none" : allNull ? "all" : "some";
    return allNull ? "none" : noNull ? "all" : "some";
  }
  if (allNull) return "none";
  const { min, max } = s;
  const known = min !== undefined && max !== undefined && !isNaNKey(min) && !isNaNKey(max);
  if (!known) return "some";
  const cmpMin = (k: unknown) => compareKeys(k, min);
  const cmpMax = (k: unknown) => compareKeys(k, max);
  const single = compareKeys(min, max) === 0;
  if (p.kind === "in") {
    const usable = p.keys.filter((k) => !isNaNKey(k));
    if (usable.every((k) => cmpMin(k) < 0 || cmpMax(k) > 0)) return "none";
    if (single && noNull && usable.some((k) => cmpMin(k) === 0)) return "all";
    return "some";
  }
  const k = p.key;
  if (isNaNKey(k)) return "some";
  switch (p.op) {
    case "eq":
      if (cmpMin(k) < 0 || cmpMax(k) > 0) return "none";
      return single && noNull && cmpMin(k) === 0 ? "all" : "some";
    case "ne":
      if (single && cmpMin(k) === 0) return "none";
      return noNull && (cmpMin(k) < 0 || cmpMax(k) > 0) ? "all" : "some";
    case "lt":
      if (cmpMin(k) <= 0) return "none";
      return noNull && cmpMax(k) > 0 ? "all" : "some";
    case "le":
      if (cmpMin(k) < 0) return "none";
      return noNull && cmpMax(k) >= 0 ? "all" : "some";
    case "gt":
      if (cmpMax(k) >= 0) return "none";
      return noNull && cmpMin(k) < 0 ? "all" : "some";
    case "ge":
      if (cmpMax(k) > 0) return "none";
      return noNull && cmpMin(k) <= 0 ? "all" : "some";
  }
}
