// Arrow cells → plain JS values (what `toRows` returns) and → comparable keys (what
// predicates and sorting compare), one getter per column data.
import * as A from "apache-arrow";
import { decimalWordsToBigInt, formatDecimal } from "./_decimal.ts";

type AnyData = A.Data<A.DataType>;
const MS_PER_DAY = 86_400_000;

/** Whether cell `i` of `data` is valid (not null). */
export function validAt(data: AnyData, i: number): boolean {
  const bm = data.nullBitmap;
  if (!data.nullCount || !bm || bm.length === 0) return true;
  const j = data.offset + i;
  return ((bm[j >> 3]! >> (j & 7)) & 1) === 1;
}

/**
 * A getter of plain JS values: numbers, bigints (64-bit integers), strings, booleans,
 * `Date` (dates, timestamps), `Uint8Array` (binary), decimal strings ("-1.50"), arrays
 * (lists), objects (structs) and `Map`s (maps); `null` for nulls.
 */
export function jsGetter(data: AnyData): (i: number) => unknown {
  const type = data.type;
  const vec = A.makeVector(data);
  if (A.DataType.isTimestamp(type) || A.DataType.isDate(type)) {
    return (i) => {
      const ms = vec.get(i) as number | null;
      return ms === null ? null : new Date(ms);
    };
  }
  if (A.DataType.isDecimal(type)) {
    const t = type as A.Decimal;
    const stride = t.bitWidth / 32;
    const words = data.values as Uint32Array;
    return (i) =>
      validAt(data, i) ? formatDecimal(decimalWordsToBigInt(words, i, stride), t.scale) : null;
  }
  if (A.DataType.isList(type) || A.DataType.isFixedSizeList(type)) {
    const child = jsGetter(data.children[0]!);
    const offs = data.valueOffsets as Int32Array | undefined;
    const size = A.DataType.isFixedSizeList(type) ? (type as A.FixedSizeList).listSize : 0;
    return (i) => {
      if (!validAt(data, i)) return null;
      const [a, b] = offs ? [offs[i]!, offs[i + 1]!] : [i * size, (i + 1) * size];
      const out = new Array(b - a);
      for (let k = a; k < b; k++) out[k - a] = child(k);
      return out;
    };
  }
  if (A.DataType.isMap(type)) {
    const entries = data.children[0]!;
    const key = jsGetter(entries.children[0]!);
    const value = jsGetter(entries.children[1]!);
    const offs = data.valueOffsets as Int32Array;
    return (i) => {
      if (!validAt(data, i)) return null;
      const m = new Map<unknown, unknown>();
      for (let k = offs[i]!; k < offs[i + 1]!; k++) m.set(key(k), value(k));
      return m;
    };
  }
  if (A.DataType.isStruct(type)) {
    const fields = (type as A.Struct).children;
    const getters = data.children.map((c) => jsGetter(c));
    return (i) => {
      if (!validAt(data, i)) return null;
      const o: Record<string, unknown> = {};
      fields.forEach((f, k) => o[f.name] = getters[k]!(i));
      return o;
    };
  }
  if (A.DataType.isBinary(type) || A.DataType.isFixedSizeBinary(type)) {
    return (i) => {
      const v = vec.get(i) as Uint8Array | null;
      return v === null ? null : v.slice();
    };
  }
  return (i) => {
    const v = vec.get(i);
    return v === undefined ? null : v;
  };
}

/** Whether predicates and sorting can compare cells of this type. */
export function isComparableType(type: A.DataType): boolean {
  return A.DataType.isInt(type) || A.DataType.isFloat(type) || A.DataType.isBool(type) ||
    A.DataType.isUtf8(type) || A.DataType.isBinary(type) || A.DataType.isFixedSizeBinary(type) ||
    A.DataType.isDate(type) || A.DataType.isTimestamp(type) || A.DataType.isTime(type) ||
    A.DataType.isDecimal(type) || A.DataType.isDictionary(type);
}

/**
 * A getter of comparable keys: timestamps as bigints in their unit, dates as epoch
 * milliseconds, decimals as unscaled bigints (at the column's scale), binary as bytes;
 * `null` for nulls.
 */
export function keyGetter(data: AnyData): (i: number) => unknown {
  const type = data.type;
  if (A.DataType.isDecimal(type)) {
    const stride = (type as A.Decimal).bitWidth / 32;
    const words = data.values as Uint32Array;
    return (i) => validAt(data, i) ? decimalWordsToBigInt(words, i, stride) : null;
  }
  if (A.DataType.isTimestamp(type) || A.DataType.isTime(type)) {
    const vals = data.values as BigInt64Array | Int32Array;
    return (i) => validAt(data, i) ? vals[i]! : null;
  }
  if (A.DataType.isDate(type)) {
    const vals = data.values as BigInt64Array | Int32Array;
    const day = (type as A.Date_).unit === A.DateUnit.DAY;
    return (i) =>
      validAt(data, i) ? (day ? Number(vals[i]!) * MS_PER_DAY : Number(vals[i]!)) : null;
  }
  if (A.DataType.isDictionary(type)) {
    const vec = A.makeVector(data);
    return (i) => vec.get(i) ?? null;
  }
  return jsGetter(data);
}

/** Three-way comparison of two comparable keys of one column (numbers and bigints mix). */
export function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === typeof b) {
    if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
    // deno-lint-ignore no-explicit-any
    return (a as any) < (b as any) ? -1 : (a as any) > (b as any) ? 1 : 0;
  }
  if (typeof a === "bigint" && typeof b === "number") return -compareNumBig(b, a);
  if (typeof a === "number" && typeof b === "bigint") return compareNumBig(a, b);
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function compareNumBig(a: number, b: bigint): number {
  if (Number.isNaN(a)) return 1;
  if (a === Infinity) return 1;
  if (a === -Infinity) return -1;
  const fa = Math.floor(a);
  const big = BigInt(fa);
  if (big < b) return -1;
  if (big > b) return 1;
  return a > fa ? 1 : 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
