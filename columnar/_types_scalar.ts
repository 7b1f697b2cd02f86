// Per-type behaviour of the scalar Arrow types (see `_type_table.ts`): booleans,
// integers, floats, decimals, text and bytes, dates, times and timestamps.
import * as A from "apache-arrow";
import type { SchemaElement } from "hyparquet";
import {
  type AnyData,
  describe,
  type Getter,
  isNullish,
  MS_PER_DAY,
  msToUnit,
  toDays,
  toTimestampUnits,
  validAt,
} from "./_cells.ts";
import {
  decimalWordsToBigInt,
  floorToScale,
  formatDecimal,
  parseDecimal,
  toUnscaled,
  writeDecimalWords,
} from "./_decimal.ts";
import { fail } from "./_errors.ts";
import {
  BetweenKeys,
  type BuildContext,
  nullOr,
  type TypeBehaviour,
  valuesGetter,
} from "./_type_table.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
// Parquet map keys arrive as object property names, so integer keys come back as text.
const INT_TEXT = /^-?\d+$/;

type NumArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

/** The column's value buffer as is, when it has no nulls (hyparquet-writer takes it). */
function plainValues(data: AnyData): ArrayLike<unknown> | undefined {
  if (data.nullCount !== 0) return undefined;
  const v = data.values as unknown as { subarray(a: number, b: number): ArrayLike<unknown> };
  return v.subarray(0, data.length);
}

function cannotCompare(type: A.DataType, v: unknown, column: string): never {
  return fail("InvalidInput", `Cannot compare column ${column} (${type}) with ${describe(v)}`);
}

/** Predicate values of number-like columns: numbers and bigints, as they are. */
function numberKey(type: A.DataType, v: unknown, column: string): unknown {
  return typeof v === "number" || typeof v === "bigint" ? v : cannotCompare(type, v, column);
}

/** Fills `out[i]` with `convert(values[i])` for every non-null value. */
function fill<T>(
  c: BuildContext,
  out: { [i: number]: T },
  convert: (v: unknown) => T,
): void {
  for (let i = 0; i < c.n; i++) {
    const v = c.values[i];
    if (!isNullish(v)) out[i] = convert(v);
  }
}

const bool: TypeBehaviour = {
  build(c) {
    const bits = new Uint8Array((c.n + 7) >> 3);
    for (let i = 0; i < c.n; i++) {
      const v = c.values[i];
      if (isNullish(v)) continue;
      if (typeof v !== "boolean") c.bad(v);
      if (v) bits[i >> 3]! |= 1 << (i & 7);
    }
    return c.mk({ data: bits });
  },
  key: vectorGetter,
  toKey: (type, v, column) => typeof v === "boolean" ? v : cannotCompare(type, v, column),
  rawColumn(data) {
    const bits = data.values as Uint8Array;
    const out = new Array<boolean | null>(data.length);
    for (let i = 0; i < data.length; i++) {
      const j = data.offset + i;
      out[i] = validAt(data, i) ? ((bits[j >> 3]! >> (j & 7)) & 1) === 1 : null;
    }
    return out;
  },
  parquet: (c) => c.leaf({ type: "BOOLEAN" }),
};

const int: TypeBehaviour<A.Int> = {
  build(c) {
    const t = c.type;
    if (t.bitWidth === 64) {
      const out = t.isSigned ? new BigInt64Array(c.n) : new BigUint64Array(c.n);
      if (c.values instanceof BigInt64Array || c.values instanceof BigUint64Array) {
        out.set(c.values as never);
        return c.mk({ data: out });
      }
      fill(c, out, (v) => {
        if (typeof v === "bigint") return v;
        if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
        if (typeof v === "string" && INT_TEXT.test(v)) return BigInt(v);
        return c.bad(v);
      });
      return c.mk({ data: out });
    }
    // deno-lint-ignore no-explicit-any
    const out = new (t.ArrayType as any)(c.n) as NumArray;
    fill(c, out, (v) => {
      if (typeof v === "number" && Number.isInteger(v)) return v;
      if (typeof v === "bigint") return Number(v);
      if (typeof v === "string" && INT_TEXT.test(v)) return Number(v);
      return c.bad(v);
    });
    return c.mk({ data: out });
  },
  key: valuesGetter,
  toKey: numberKey,
  rawColumn(data) {
    const t = data.type as A.Int;
    const v = plainValues(data);
    if (!v || t.bitWidth === 64) return v;
    // hyparquet-writer wraps UINT_32 only when given a plain array.
    if (t.bitWidth === 32) return t.isSigned ? v : Array.from(v);
    return Int32Array.from(v as Int8Array);
  },
  parquet(c) {
    const t = c.type;
    // Only the converted type: hyparquet-writer 0.17 serializes the INTEGER logical type's
    // bit width with the wrong thrift type, which strict readers (DuckDB) refuse.
    const plain = t.isSigned && t.bitWidth >= 32;
    const converted = `${t.isSigned ? "INT" : "UINT"}_${t.bitWidth}` as NonNullable<
      SchemaElement["converted_type"]
    >;
    c.leaf({
      type: t.bitWidth === 64 ? "INT64" : "INT32",
      ...(plain ? {} : { converted_type: converted }),
    });
  },
};

const isHalf = (t: A.Float) => t.precision === A.Precision.HALF;

const float: TypeBehaviour<A.Float> = {
  build(c) {
    // Half floats: apache-arrow's builder does the rounding to 16 bits.
    if (isHalf(c.type)) return A.vectorFromArray(Array.from(c.values), c.type).data[0]!;
    const out = c.type.precision === A.Precision.SINGLE
      ? new Float32Array(c.n)
      : new Float64Array(c.n);
    if (c.values instanceof Float32Array || c.values instanceof Float64Array) {
      out.set(c.values);
      return c.mk({ data: out });
    }
    fill(c, out, (v) => {
      if (typeof v === "number") return v;
      if (typeof v === "bigint") return Number(v);
      return c.bad(v);
    });
    return c.mk({ data: out });
  },
  key(data) {
    if (!isHalf(data.type as A.Float)) return valuesGetter(data);
    const vec = A.makeVector(data);
    return (i) => vec.get(i) ?? null;
  },
  toKey: numberKey,
  stat: (type, v) => isHalf(type) ? undefined : v,
  rawColumn: (data) => isHalf(data.type as A.Float) ? undefined : plainValues(data),
  parquet(c) {
    const p = c.type.precision;
    if (p === A.Precision.HALF) {
      return c.leaf({
        type: "FIXED_LEN_BYTE_ARRAY",
        type_length: 2,
        logical_type: { type: "FLOAT16" },
      });
    }
    c.leaf({ type: p === A.Precision.SINGLE ? "FLOAT" : "DOUBLE" });
  },
};

/** Bytes needed for a two's-complement decimal of `precision` digits. */
export function decimalBytes(precision: number): number {
  let n = 1;
  while (2n ** BigInt(8 * n - 1) < 10n ** BigInt(precision)) n++;
  return n;
}

/** Decimal cells as unscaled bigints, read from their 32-bit words. */
function unscaledGetter(data: AnyData): Getter {
  const stride = (data.type as A.Decimal).bitWidth / 32;
  const words = data.values as Uint32Array;
  return nullOr(data, (i) => decimalWordsToBigInt(words, i, stride));
}

const decimal: TypeBehaviour<A.Decimal> = {
  build(c) {
    const t = c.type;
    const stride = t.bitWidth / 32;
    const out = new Uint32Array(c.n * stride);
    for (let i = 0; i < c.n; i++) {
      const v = c.values[i];
      if (isNullish(v)) continue;
      const u = c.unscaled && typeof v === "bigint"
        ? v
        : toUnscaled(v, t.precision, t.scale, c.column, describe);
      writeDecimalWords(out, i, stride, u);
    }
    return c.mk({ data: out });
  },
  js(data) {
    const get = unscaledGetter(data);
    const scale = (data.type as A.Decimal).scale;
    return (i) => {
      const u = get(i) as bigint | null;
      return u === null ? null : formatDecimal(u, scale);
    };
  },
  // Unscaled integers at the column's scale: exact, and ordered as the decimals are.
  key: unscaledGetter,
  toKey(type, v, column) {
    const d = parseDecimal(v);
    if (!d) return cannotCompare(type, v, column);
    const { value, exact } = floorToScale(d, type.scale);
    return exact ? value : new BetweenKeys(value);
  },
  // The reader replaces decimal statistics with exact unscaled bigints.
  stat: (_type, v) => typeof v === "bigint" ? v : undefined,
  raw: unscaledGetter,
  parquet(c) {
    const t = c.type;
    const dec = {
      converted_type: "DECIMAL" as const,
      scale: t.scale,
      precision: t.precision,
      logical_type: { type: "DECIMAL" as const, scale: t.scale, precision: t.precision },
    };
    if (t.precision <= 9) return c.leaf({ type: "INT32", ...dec });
    if (t.precision <= 18) return c.leaf({ type: "INT64", ...dec });
    c.leaf({ type: "FIXED_LEN_BYTE_ARRAY", type_length: decimalBytes(t.precision), ...dec });
  },
};

/** Variable-width cells (Utf8, Binary) from strings or bytes. */
function buildVarWidth(c: BuildContext, text: boolean): AnyData {
  const parts: Uint8Array[] = new Array(c.n);
  let total = 0;
  for (let i = 0; i < c.n; i++) {
    const v = c.values[i];
    let b: Uint8Array;
    if (isNullish(v)) b = new Uint8Array(0);
    else if (typeof v === "string") b = encoder.encode(v);
    else if (v instanceof Uint8Array) b = v;
    else if (text && (typeof v === "number" || typeof v === "bigint")) {
      b = encoder.encode(String(v));
    } else b = c.bad(v);
    parts[i] = b;
    total += b.length;
  }
  const offsets = new Int32Array(c.n + 1);
  const data = new Uint8Array(total);
  let pos = 0;
  for (let i = 0; i < c.n; i++) {
    data.set(parts[i]!, pos);
    pos += parts[i]!.length;
    offsets[i + 1] = pos;
  }
  return c.mk({ valueOffsets: offsets, data });
}

const latin1 = new TextDecoder("latin1");

/**
 * The strings of a Utf8 column. When the bytes are all ASCII, one decode of the whole
 * buffer and a substring per cell is several times faster than a decode per cell.
 */
function utf8Strings(data: AnyData): (string | null)[] {
  const n = data.length;
  const offs = data.valueOffsets as Int32Array;
  const bytes = (data.values as Uint8Array).subarray(offs[0]!, offs[n]!);
  const base = offs[0]!;
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! > 0x7f) {
      ascii = false;
      break;
    }
  }
  const out = new Array<string | null>(n);
  const text = ascii ? latin1.decode(bytes) : "";
  for (let i = 0; i < n; i++) {
    if (!validAt(data, i)) out[i] = null;
    else if (ascii) out[i] = text.substring(offs[i]! - base, offs[i + 1]! - base);
    else out[i] = decoder.decode(bytes.subarray(offs[i]! - base, offs[i + 1]! - base));
  }
  return out;
}

function vectorGetter(data: AnyData): Getter {
  const vec = A.makeVector(data);
  return (i) => vec.get(i) ?? null;
}

const textElement = {
  type: "BYTE_ARRAY",
  converted_type: "UTF8",
  logical_type: { type: "STRING" },
} as const;

const utf8: TypeBehaviour = {
  build: (c) => buildVarWidth(c, true),
  key: vectorGetter,
  toKey: (type, v, column) => typeof v === "string" ? v : cannotCompare(type, v, column),
  stat: (_type, v) => v instanceof Uint8Array ? decoder.decode(v) : v,
  rawColumn: utf8Strings,
  parquet: (c) => c.leaf(textElement),
};

/** Binary cells as copies (the Arrow buffer may be reused). */
function bytesGetter(data: AnyData): Getter {
  const vec = A.makeVector(data);
  return (i) => (vec.get(i) as Uint8Array | null)?.slice() ?? null;
}

const bytesKey = (type: A.DataType, v: unknown, column: string) => {
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return encoder.encode(v);
  return cannotCompare(type, v, column);
};
const bytesStat = (_type: A.DataType, v: unknown) => typeof v === "string" ? encoder.encode(v) : v;

const binary: TypeBehaviour = {
  build: (c) => buildVarWidth(c, false),
  js: bytesGetter,
  key: bytesGetter,
  toKey: bytesKey,
  stat: bytesStat,
  parquet: (c) => c.leaf({ type: "BYTE_ARRAY" }),
};

const fixedSizeBinary: TypeBehaviour<A.FixedSizeBinary> = {
  build(c) {
    const w = c.type.byteWidth;
    const data = new Uint8Array(c.n * w);
    for (let i = 0; i < c.n; i++) {
      const v = c.values[i];
      if (isNullish(v)) continue;
      if (!(v instanceof Uint8Array) || v.length !== w) c.bad(v);
      data.set(v as Uint8Array, i * w);
    }
    return c.mk({ data });
  },
  js: bytesGetter,
  key: bytesGetter,
  toKey: bytesKey,
  stat: bytesStat,
  parquet: (c) => c.leaf({ type: "FIXED_LEN_BYTE_ARRAY", type_length: c.type.byteWidth }),
};

/** Dates and timestamps as `Date` (apache-arrow reads them as epoch milliseconds). */
function dateGetter(data: AnyData): Getter {
  const vec = A.makeVector(data);
  return (i) => {
    const ms = vec.get(i) as number | null;
    return ms === null ? null : new Date(ms);
  };
}

const isDay = (t: A.Date_) => t.unit === A.DateUnit.DAY;

const date: TypeBehaviour<A.Date_> = {
  build(c) {
    if (isDay(c.type)) {
      const out = new Int32Array(c.n);
      fill(c, out, (v) => toDays(v, c.column));
      return c.mk({ data: out });
    }
    const out = new BigInt64Array(c.n);
    fill(c, out, (v) => toTimestampUnits(v, A.TimeUnit.MILLISECOND, c.column));
    return c.mk({ data: out });
  },
  js: dateGetter,
  // Epoch milliseconds, whatever the unit.
  key(data) {
    const vals = data.values as BigInt64Array | Int32Array;
    const day = isDay(data.type as A.Date_);
    return nullOr(data, (i) => day ? Number(vals[i]!) * MS_PER_DAY : Number(vals[i]!));
  },
  toKey(type, v, column) {
    if (typeof v === "bigint") return isDay(type) ? toDays(v, column) * MS_PER_DAY : Number(v);
    if (v instanceof Date) return v.getTime();
    if (typeof v === "number") return v;
    if (typeof v === "string" && !Number.isNaN(Date.parse(v))) return Date.parse(v);
    return cannotCompare(type, v, column);
  },
  stat: (_type, v) => v instanceof Date ? v.getTime() : Number(v) * MS_PER_DAY,
  raw(data) {
    const vals = data.values as unknown as ArrayLike<number | bigint>;
    if (isDay(data.type as A.Date_)) return nullOr(data, (i) => vals[i]);
    return nullOr(data, (i) => Math.floor(Number(vals[i]) / MS_PER_DAY));
  },
  rawColumn: (data) => isDay(data.type as A.Date_) ? plainValues(data) : undefined,
  parquet: (c) => c.leaf({ type: "INT32", converted_type: "DATE", logical_type: { type: "DATE" } }),
};

const time: TypeBehaviour<A.Time> = {
  build(c) {
    const out = c.type.bitWidth === 64 ? new BigInt64Array(c.n) : new Int32Array(c.n);
    fill<number | bigint>(c, out, (v) => {
      if (typeof v !== "number" && typeof v !== "bigint") return c.bad(v);
      return out instanceof BigInt64Array ? BigInt(v) : Number(v);
    });
    return c.mk({ data: out });
  },
  key: valuesGetter,
  toKey: numberKey,
  raw(data) {
    const vals = data.values as unknown as ArrayLike<number | bigint>;
    const sec = (data.type as A.Time).unit === A.TimeUnit.SECOND;
    return nullOr(data, (i) => sec ? Number(vals[i]) * 1000 : vals[i]);
  },
  parquet(c) {
    const unit = c.type.unit;
    if (unit === A.TimeUnit.SECOND || unit === A.TimeUnit.MILLISECOND) {
      return c.leaf({
        type: "INT32",
        converted_type: "TIME_MILLIS",
        logical_type: { type: "TIME", isAdjustedToUTC: false, unit: "MILLIS" },
      });
    }
    const micros = unit === A.TimeUnit.MICROSECOND;
    c.leaf({
      type: "INT64",
      ...(micros ? { converted_type: "TIME_MICROS" as const } : {}),
      logical_type: { type: "TIME", isAdjustedToUTC: false, unit: micros ? "MICROS" : "NANOS" },
    });
  },
};

const timestamp: TypeBehaviour<A.Timestamp> = {
  build(c) {
    const out = new BigInt64Array(c.n);
    fill(c, out, (v) => toTimestampUnits(v, c.type.unit, c.column));
    return c.mk({ data: out });
  },
  js: dateGetter,
  // Bigints in the column's own unit: nanoseconds stay exact.
  key: valuesGetter,
  toKey: (type, v, column) => toTimestampUnits(v, type.unit, column),
  stat: (type, v) => v instanceof Date ? msToUnit(v.getTime(), type.unit) : v,
  raw(data) {
    const vals = data.values as BigInt64Array;
    const sec = (data.type as A.Timestamp).unit === A.TimeUnit.SECOND;
    return nullOr(data, (i) => sec ? vals[i]! * 1000n : vals[i]);
  },
  rawColumn: (data) =>
    (data.type as A.Timestamp).unit === A.TimeUnit.SECOND ? undefined : plainValues(data),
  parquet(c) {
    const t = c.type;
    const unit = t.unit === A.TimeUnit.NANOSECOND
      ? "NANOS"
      : t.unit === A.TimeUnit.MICROSECOND
      ? "MICROS"
      : "MILLIS";
    const utc = Boolean(t.timezone);
    const converted = utc && unit !== "NANOS"
      ? (unit === "MILLIS" ? "TIMESTAMP_MILLIS" : "TIMESTAMP_MICROS")
      : undefined;
    c.leaf({
      type: "INT64",
      ...(converted ? { converted_type: converted } : {}),
      logical_type: { type: "TIMESTAMP", isAdjustedToUTC: utc, unit },
    });
  },
};

const nullType: TypeBehaviour = {
  build: (c) => A.makeData({ type: c.type as A.Null, length: c.n }),
};

/** The scalar entries of the type table. */
export const SCALAR_TYPES: [A.Type, TypeBehaviour<never>][] = [
  [A.Type.Null, nullType],
  [A.Type.Bool, bool],
  [A.Type.Int, int],
  [A.Type.Float, float],
  [A.Type.Decimal, decimal],
  [A.Type.Utf8, utf8],
  // Large variants: built by apache-arrow, written as their small twins.
  [A.Type.LargeUtf8, { parquet: (c) => c.leaf(textElement) }],
  [A.Type.Binary, binary],
  [A.Type.LargeBinary, { parquet: (c) => c.leaf({ type: "BYTE_ARRAY" }) }],
  [A.Type.FixedSizeBinary, fixedSizeBinary],
  [A.Type.Date, date],
  [A.Type.Time, time],
  [A.Type.Timestamp, timestamp],
];
