// Per-type behaviour (see `_type_table.ts`) of nulls, booleans, integers, floats and
// decimals.
import * as A from "apache-arrow";
import { concatBits, concatNothing, takeBits, takeNothing } from "./_take.ts";
import type { SchemaElement } from "hyparquet";
import { type AnyData, describe, type Getter, isNullish, validAt } from "./_cells.ts";
import {
  decimalWordsToBigInt,
  floorToScale,
  formatDecimal,
  parseDecimal,
  toUnscaled,
  writeDecimalWords,
} from "./_decimal.ts";
import {
  BetweenKeys,
  cannotCompare,
  fill,
  nullOr,
  numberKey,
  plainValues,
  type TypeBehaviour,
  valuesGetter,
  vectorGetter,
} from "./_type_table.ts";

// Parquet map keys arrive as object property names, so integer keys come back as text.
const INT_TEXT = /^-?\d+$/;

type NumArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

const nullType: TypeBehaviour = {
  build: (c) => A.makeData({ type: c.type as A.Null, length: c.n }),
  take: takeNothing,
  concat: concatNothing,
};

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
  take: takeBits,
  concat: concatBits,
  partition: () => ({ text: String, value: (text) => text === "true" }),
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
  partition: (type) => ({ text: String, value: type.bitWidth === 64 ? BigInt : Number }),
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
  partition: () => ({ text: String, value: Number }),
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

/** The numeric entries of the type table. */
export const NUMERIC_TYPES: [A.Type, TypeBehaviour<never>][] = [
  [A.Type.Null, nullType],
  [A.Type.Bool, bool],
  [A.Type.Int, int],
  [A.Type.Float, float],
  [A.Type.Decimal, decimal],
];
