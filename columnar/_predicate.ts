// Predicates: checked against a schema once, then evaluated per row (over Arrow data) or
// per row group (over min/max/null-count statistics). Both follow SQL's three-valued
// logic: a comparison with a null cell is unknown, `not` of unknown is unknown, `and`/`or`
// are Kleene's, and a row is kept only when the predicate is true (as in a WHERE clause).
import type * as A from "apache-arrow";
import type { CompareOp, Predicate } from "./types.ts";
import { fail } from "./_errors.ts";
import { compareKeys, describe } from "./_cells.ts";
import { BetweenKeys, isComparableType, keyGetter, toKey } from "./_type_table.ts";

/** A predicate whose values are already comparable keys of their column. */
export type Compiled =
  | { kind: "cmp"; column: string; op: CompareOp; key: unknown }
  | { kind: "in"; column: string; keys: unknown[] }
  | { kind: "null"; column: string; isNull: boolean }
  /** Decided for every non-null cell (a decimal constant between two representable values). */
  | { kind: "const"; column: string; value: boolean }
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
    // A constant the column cannot hold (between two of its keys) equals no cell.
    const keys = p.values.map((v) => toKey(field.type, v, p.column))
      .filter((k) => !(k instanceof BetweenKeys));
    return { kind: "in", column: p.column, keys };
  }
  if (!OPS.has(p.op)) {
    return fail("InvalidInput", `Cannot use predicate operator ${JSON.stringify(p.op)}`);
  }
  const value = (p as { value?: unknown }).value;
  const key = toKey(field.type, value, p.column);
  if (key instanceof BetweenKeys) return between(p.column, p.op, key.floor);
  return { kind: "cmp", column: p.column, op: p.op, key };
}

/**
 * A comparison with a constant strictly between the keys `floor` and `floor + 1` (a
 * decimal with more fraction digits than the column): no cell equals it, and `< c` is
 * `<= floor`, `> c` is `> floor`.
 */
function between(column: string, op: CompareOp, floor: bigint): Compiled {
  if (op === "eq" || op === "ne") return { kind: "const", column, value: op === "ne" };
  return { kind: "cmp", column, op: op === "lt" || op === "le" ? "le" : "gt", key: floor };
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

/** A truth value of SQL's three-valued logic. */
const enum Truth {
  False = 0,
  True = 1,
  Unknown = 2,
}

type RowTest = (i: number) => Truth;

function and(fs: RowTest[]): RowTest {
  return (i) => {
    let out = Truth.True;
    for (const f of fs) {
      const t = f(i);
      if (t === Truth.False) return Truth.False;
      if (t === Truth.Unknown) out = Truth.Unknown;
    }
    return out;
  };
}

function or(fs: RowTest[]): RowTest {
  return (i) => {
    let out = Truth.False;
    for (const f of fs) {
      const t = f(i);
      if (t === Truth.True) return Truth.True;
      if (t === Truth.Unknown) out = Truth.Unknown;
    }
    return out;
  };
}

const truth = (b: boolean): Truth => b ? Truth.True : Truth.False;

/** Row indices of a batch where the predicate is true (unknown rows are dropped). */
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
  const build = (q: Compiled): RowTest => {
    switch (q.kind) {
      case "and":
        return and(q.items.map(build));
      case "or":
        return or(q.items.map(build));
      case "not": {
        const f = build(q.item);
        return (i) => {
          const t = f(i);
          return t === Truth.Unknown ? t : t === Truth.True ? Truth.False : Truth.True;
        };
      }
      case "null": {
        const g = getter(q.column);
        return q.isNull ? (i) => truth(g(i) === null) : (i) => truth(g(i) !== null);
      }
      case "const": {
        const g = getter(q.column);
        const t = truth(q.value);
        return (i) => g(i) === null ? Truth.Unknown : t;
      }
      case "in": {
        const g = getter(q.column);
        return (i) => {
          const v = g(i);
          if (v === null) return Truth.Unknown;
          return truth(!isNaNKey(v) && q.keys.some((k) => compareKeys(v, k) === 0));
        };
      }
      case "cmp": {
        const g = getter(q.column);
        const { op, key } = q;
        if (isNaNKey(key)) return (i) => g(i) === null ? Truth.Unknown : truth(op === "ne");
        return (i) => {
          const v = g(i);
          if (v === null) return Truth.Unknown;
          if (isNaNKey(v)) return truth(op === "ne");
          return truth(test(op, compareKeys(v, key)));
        };
      }
    }
  };
  const f = build(p);
  const out = new Uint32Array(batch.numRows);
  let n = 0;
  for (let i = 0; i < batch.numRows; i++) if (f(i) === Truth.True) out[n++] = i;
  return out.subarray(0, n);
}

/** Row-group statistics of one column, in its comparable key domain. */
export interface KeyStats {
  min?: unknown;
  max?: unknown;
  nullCount?: number;
  numRows: number;
  /** Cells outside min..max may exist (NaN in float columns). */
  loose?: boolean;
}

/** Which truth values the rows of a row group may take: a set of bits. */
const T = 1;
const F = 2;
const U = 4;

/**
 * Whether any row of a row group may satisfy the predicate, judged by statistics;
 * `stats(column)` gives undefined when nothing is known. Works on the set of truth
 * values the group's rows can take, so `not` over nulls stays unknown (never true).
 */
export function mayMatch(p: Compiled, stats: (column: string) => KeyStats | undefined): boolean {
  return (outcomes(p, stats) & T) !== 0;
}

function outcomes(p: Compiled, stats: (column: string) => KeyStats | undefined): number {
  switch (p.kind) {
    case "and": {
      const os = p.items.map((q) => outcomes(q, stats));
      let out = os.every((o) => o & T) ? T : 0;
      if (os.some((o) => o & F)) out |= F;
      if (os.some((o) => o & U) && os.every((o) => o & (T | U))) out |= U;
      return out;
    }
    case "or": {
      const os = p.items.map((q) => outcomes(q, stats));
      let out = os.some((o) => o & T) ? T : 0;
      if (os.every((o) => o & F)) out |= F;
      if (os.some((o) => o & U) && os.every((o) => o & (F | U))) out |= U;
      return out;
    }
    case "not": {
      const o = outcomes(p.item, stats);
      return (o & U) | (o & T ? F : 0) | (o & F ? T : 0);
    }
  }
  const s = stats(p.column);
  if (!s) return T | F | U;
  const nulls = s.nullCount;
  const someNull = nulls === undefined || nulls > 0;
  const allNull = nulls !== undefined && nulls >= s.numRows;
  if (p.kind === "null") {
    const onNull = p.isNull ? T : F;
    const onValue = p.isNull ? F : T;
    return (someNull ? onNull : 0) | (allNull ? 0 : onValue);
  }
  if (allNull) return U;
  let out = someNull ? U : 0;
  out |= valueOutcomes(p, s);
  if (s.loose) out |= T | F;
  return out;
}

/** The truth values a comparison may take over the non-null cells in min..max. */
function valueOutcomes(p: Exclude<Compiled, { kind: "and" | "or" | "not" | "null" }>, s: KeyStats) {
  if (p.kind === "const") return p.value ? T : F;
  const { min, max } = s;
  const known = min !== undefined && max !== undefined && !isNaNKey(min) && !isNaNKey(max);
  if (!known) return T | F;
  const lo = (k: unknown) => compareKeys(min, k);
  const hi = (k: unknown) => compareKeys(max, k);
  const single = compareKeys(min, max) === 0;
  const inRange = (k: unknown) => lo(k) <= 0 && hi(k) >= 0;
  const bits = (t: boolean, f: boolean) => (t ? T : 0) | (f ? F : 0);
  if (p.kind === "in") {
    const usable = p.keys.filter((k) => !isNaNKey(k));
    const onlyMatch = single && usable.some((k) => lo(k) === 0);
    return bits(usable.some(inRange), !onlyMatch);
  }
  const k = p.key;
  if (isNaNKey(k)) return T | F;
  const onlyK = single && lo(k) === 0;
  switch (p.op) {
    case "eq":
      return bits(inRange(k), !onlyK);
    case "ne":
      return bits(!onlyK, inRange(k));
    case "lt":
      return bits(lo(k) < 0, hi(k) >= 0);
    case "le":
      return bits(lo(k) <= 0, hi(k) > 0);
    case "gt":
      return bits(hi(k) > 0, lo(k) <= 0);
    case "ge":
      return bits(hi(k) >= 0, lo(k) < 0);
  }
}
