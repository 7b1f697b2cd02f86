// One table of per-Arrow-type behaviour: how JS values become Arrow data, how cells
// become `toRows` values, comparable keys and hyparquet-writer values, how predicate
// values and footer statistics become keys, which Parquet elements a type writes, and
// which buffer layout selecting and joining rows uses.
// Every module that used to switch over Arrow types asks this table instead; the
// entries live in `_types_numeric.ts`, `_types_bytes.ts`, `_types_temporal.ts` and
// `_types_nested.ts`.
import * as A from "apache-arrow";
import type { SchemaElement } from "hyparquet";
import { type AnyData, describe, type Getter, isNullish, validAt } from "./_cells.ts";
import { fail } from "./_errors.ts";
import type { MakeData } from "./_take.ts";
import { NUMERIC_TYPES } from "./_types_numeric.ts";
import { BYTES_TYPES } from "./_types_bytes.ts";
import { TEMPORAL_TYPES } from "./_types_temporal.ts";
import { NESTED_TYPES } from "./_types_nested.ts";

/** What a `build` gets: the values, and helpers that know their validity. */
export interface BuildContext<T extends A.DataType = A.DataType> {
  type: T;
  values: ArrayLike<unknown>;
  n: number;
  /** Names the column in error messages. */
  column: string;
  /** Decimal cells are unscaled bigints (from a Parquet reader), not user values. */
  unscaled: boolean;
  /** Arrow data of `type` and the values' validity, with these buffers. */
  mk(buffers: Record<string, unknown>): AnyData;
  /** Throws InvalidInput: `v` cannot be a cell of this column. */
  bad(v: unknown): never;
}

/** What a `parquet` gets: the field, and where its schema elements go. */
export interface ElementContext<T extends A.DataType = A.DataType> {
  name: string;
  type: T;
  nullable: boolean;
  out: SchemaElement[];
  /** Pushes one leaf element with the field's name and repetition. */
  leaf(e: Omit<SchemaElement, "name" | "repetition_type">): void;
}

/** The behaviour of one Arrow type family (one `Type` id). */
export interface TypeBehaviour<T extends A.DataType = A.DataType> {
  /** JS values → Arrow data; default: apache-arrow's own builders. */
  build?(c: BuildContext<T>): AnyData;
  /** A cell → the plain JS value `toRows` gives; default: `Vector.get`, null for nulls. */
  js?(data: AnyData): Getter;
  /** A cell → a comparable key; absent when predicates and sorting cannot use the type. */
  key?(data: AnyData): Getter;
  /**
   * A predicate value → a key (or an {@linkcode BetweenKeys}: a constant the column
   * cannot hold); absent with `key` means the values are keys already.
   */
  toKey?(type: T, v: unknown, column: string): unknown;
  /** A footer statistic (as hyparquet decodes it) → a key, undefined if unusable. */
  stat?(type: T, v: unknown): unknown;
  /** A cell → the value hyparquet-writer expects; default: `Vector.get`. */
  raw?(data: AnyData): Getter;
  /** A whole column for hyparquet-writer, where a faster form than per-cell exists. */
  rawColumn?(data: AnyData): ArrayLike<unknown> | undefined;
  /** Pushes the Parquet schema elements; absent: writing the type is Unsupported. */
  parquet?(c: ElementContext<T>): void;
  /**
   * How values of a partition column are spelled in Hive directory names (`text` of a
   * key, `value` for `buildData` of a text); absent or undefined: the type cannot
   * partition a dataset.
   */
  partition?(type: T): PartitionText | undefined;
  /** Rows `idx` of the data (a layout of `_take.ts`); default: fixed-width values. */
  take?(data: AnyData, idx: ArrayLike<number>, mk: MakeData): AnyData;
  /** Chunks of one column as one Data (a layout of `_take.ts`); default: fixed-width. */
  concat?(parts: AnyData[], mk: MakeData): AnyData;
}

/** A partition column's values as directory text and back. */
export interface PartitionText {
  text(key: unknown): string;
  value(text: string): unknown;
}

/** A predicate constant strictly between the keys `floor` and the next one up. */
export class BetweenKeys {
  constructor(readonly floor: bigint) {}
}

let table: Map<A.Type, TypeBehaviour> | undefined;

/** The behaviour of `type`'s family (an empty entry for types with no special case). */
export function behaviourOf(type: A.DataType): TypeBehaviour {
  // Built on first use, so the entry modules may import this one.
  table ??= new Map(
    [...NUMERIC_TYPES, ...BYTES_TYPES, ...TEMPORAL_TYPES, ...NESTED_TYPES] as [
      A.Type,
      TypeBehaviour,
    ][],
  );
  return table.get(type.typeId) ?? {};
}

function validity(values: ArrayLike<unknown>): { bitmap: Uint8Array; nulls: number } {
  const n = values.length;
  // Typed arrays hold no nulls (and reading a BigInt64Array cell allocates a bigint).
  if (ArrayBuffer.isView(values)) return { bitmap: new Uint8Array(0), nulls: 0 };
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (isNullish(values[i])) nulls++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return { bitmap, nulls: nulls };
}

/**
 * Builds Arrow data of `type` from JS values (`null`/`undefined` are nulls). Decimal
 * cells are user values (decimal strings, numbers, whole bigints) unless `unscaled`,
 * when they are the unscaled bigints a Parquet reader hands over.
 */
export function buildData(
  type: A.DataType,
  values: ArrayLike<unknown>,
  column: string,
  unscaled = false,
): AnyData {
  const n = values.length;
  const { bitmap, nulls } = validity(values);
  const base = {
    type,
    length: n,
    nullCount: nulls,
    nullBitmap: nulls ? bitmap : new Uint8Array(0),
  };
  const build = behaviourOf(type).build;
  if (!build) {
    try {
      return A.vectorFromArray(Array.from(values), type).data[0]!;
    } catch (err) {
      return fail("InvalidInput", `Cannot build column ${column} of type ${type}`, err);
    }
  }
  return build({
    type,
    values,
    n,
    column,
    unscaled,
    // deno-lint-ignore no-explicit-any
    mk: (buffers) => A.makeData({ ...base, ...buffers } as any),
    bad: (v) => fail("InvalidInput", `Cannot store ${describe(v)} in ${type} column ${column}`),
  });
}

/** A vector of `n` nulls of any type. */
export function nullData(type: A.DataType, n: number, column: string): AnyData {
  return buildData(type, new Array(n).fill(null), column);
}

/**
 * A getter of plain JS values: numbers, bigints (64-bit integers), strings, booleans,
 * `Date` (dates, timestamps), `Uint8Array` (binary), decimal strings ("-1.50"), arrays
 * (lists), objects (structs) and `Map`s (maps); `null` for nulls.
 */
export function jsGetter(data: AnyData): Getter {
  const js = behaviourOf(data.type).js;
  if (js) return js(data);
  const vec = A.makeVector(data);
  return (i) => vec.get(i) ?? null;
}

/** Whether predicates and sorting can compare cells of this type. */
export function isComparableType(type: A.DataType): boolean {
  return behaviourOf(type).key !== undefined;
}

/** A getter of comparable keys (see each type's `key`); `null` for nulls. */
export function keyGetter(data: AnyData): Getter {
  const key = behaviourOf(data.type).key;
  return key ? key(data) : jsGetter(data);
}

/** A predicate value → the comparable key domain of a column type. */
export function toKey(type: A.DataType, v: unknown, column: string): unknown {
  if (isNullish(v)) {
    return fail("InvalidInput", `Cannot compare column ${column} with null: use isNull`);
  }
  const b = behaviourOf(type);
  return b.toKey ? b.toKey(type, v, column) : v;
}

/** A footer statistic → a comparable key (undefined when it cannot be used). */
export function statKey(type: A.DataType, v: unknown): unknown {
  const stat = behaviourOf(type).stat;
  return stat ? stat(type, v) : v;
}

/** Raw Parquet-side values of a cell: the representation hyparquet-writer expects. */
export function rawGetter(data: AnyData): Getter {
  const raw = behaviourOf(data.type).raw;
  if (raw) return raw(data);
  const vec = A.makeVector(data);
  return nullOr(data, (i) => vec.get(i));
}

/** The values of one top-level column for hyparquet-writer. */
export function rawColumn(data: AnyData): ArrayLike<unknown> {
  const fast = behaviourOf(data.type).rawColumn?.(data);
  if (fast) return fast;
  const get = rawGetter(data);
  const out = new Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = get(i);
  return out;
}

/** Wraps a getter of valid cells so that null cells read as null. */
export function nullOr(data: AnyData, f: Getter): Getter {
  return (i) => validAt(data, i) ? f(i) : null;
}

/** Parquet schema elements (depth-first) of one field. */
export function fieldElements(
  name: string,
  type: A.DataType,
  nullable: boolean,
  out: SchemaElement[],
): void {
  const parquet = behaviourOf(type).parquet;
  if (!parquet) {
    return fail(
      "Unsupported",
      `Cannot write column ${name} as Parquet: type ${type} is not supported`,
    );
  }
  const repetition_type = nullable ? "OPTIONAL" : "REQUIRED";
  parquet({ name, type, nullable, out, leaf: (e) => out.push({ name, repetition_type, ...e }) });
}

/** A getter of non-null cells of a typed value buffer. */
export function valuesGetter(data: AnyData): Getter {
  const vals = data.values as unknown as ArrayLike<unknown>;
  return nullOr(data, (i) => vals[i]);
}

// ---- helpers of the entries ----

/** The column's value buffer as is, when it has no nulls (hyparquet-writer takes it). */
export function plainValues(data: AnyData): ArrayLike<unknown> | undefined {
  if (data.nullCount !== 0) return undefined;
  const v = data.values as unknown as { subarray(a: number, b: number): ArrayLike<unknown> };
  return v.subarray(0, data.length);
}

export function cannotCompare(type: A.DataType, v: unknown, column: string): never {
  return fail("InvalidInput", `Cannot compare column ${column} (${type}) with ${describe(v)}`);
}

/** Predicate values of number-like columns: numbers and bigints, as they are. */
export function numberKey(type: A.DataType, v: unknown, column: string): unknown {
  return typeof v === "number" || typeof v === "bigint" ? v : cannotCompare(type, v, column);
}

/** Fills `out[i]` with `convert(values[i])` for every non-null value. */
export function fill<T>(
  c: BuildContext,
  out: { [i: number]: T },
  convert: (v: unknown) => T,
): void {
  for (let i = 0; i < c.n; i++) {
    const v = c.values[i];
    if (!isNullish(v)) out[i] = convert(v);
  }
}

/** Cells as apache-arrow's `Vector.get` reads them, null for nulls. */
export function vectorGetter(data: AnyData): Getter {
  const vec = A.makeVector(data);
  return (i) => vec.get(i) ?? null;
}
