// Builds Arrow data from plain JS values, losslessly: bigints keep 64-bit integers and
// timestamps exact, and nested values (lists, structs, maps) are built recursively.
import * as A from "apache-arrow";
import { fail } from "./_errors.ts";
import { toUnscaled, writeDecimalWords } from "./_decimal.ts";

type AnyData = A.Data<A.DataType>;
const encoder = new TextEncoder();
const MS_PER_DAY = 86_400_000;
// Parquet map keys arrive as object property names, so integer keys come back as text.
const INT_TEXT = /^-?\d+$/;

/** Units per millisecond of a timestamp unit, as a bigint multiplier (or divisor for s). */
export function unitPerMs(unit: A.TimeUnit): { mul: bigint; div: bigint } {
  if (unit === A.TimeUnit.SECOND) return { mul: 1n, div: 1000n };
  if (unit === A.TimeUnit.MILLISECOND) return { mul: 1n, div: 1n };
  if (unit === A.TimeUnit.MICROSECOND) return { mul: 1000n, div: 1n };
  return { mul: 1_000_000n, div: 1n };
}

/** Epoch milliseconds (fractions allowed) → timestamp units, exactly where possible. */
export function msToUnit(ms: number, unit: A.TimeUnit): bigint {
  const whole = Math.floor(ms);
  const { mul, div } = unitPerMs(unit);
  const frac = ms - whole;
  const fracUnits = mul > 1n ? BigInt(Math.round(frac * Number(mul))) : 0n;
  return (BigInt(whole) * mul) / div + fracUnits;
}

/** Converts a user value for a timestamp column into raw units (bigint = raw already). */
export function toTimestampUnits(v: unknown, unit: A.TimeUnit, column: string): bigint {
  if (typeof v === "bigint") return v;
  if (v instanceof Date) return msToUnit(v.getTime(), unit);
  if (typeof v === "number" && Number.isFinite(v)) return msToUnit(v, unit);
  if (typeof v === "string" && !Number.isNaN(Date.parse(v))) return msToUnit(Date.parse(v), unit);
  return fail("InvalidInput", `Cannot use ${describe(v)} as a timestamp in column ${column}`);
}

/** Converts a user value for a DateDay column into days (bigint = days already). */
export function toDays(v: unknown, column: string): number {
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return Math.floor(v.getTime() / MS_PER_DAY);
  if (typeof v === "number" && Number.isFinite(v)) return Math.floor(v / MS_PER_DAY);
  if (typeof v === "string" && !Number.isNaN(Date.parse(v))) {
    return Math.floor(Date.parse(v) / MS_PER_DAY);
  }
  return fail("InvalidInput", `Cannot use ${describe(v)} as a date in column ${column}`);
}

export function describe(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (v instanceof Date) return `Date(${v.toISOString?.() ?? "invalid"})`;
  if (Array.isArray(v)) return `array(${v.length})`;
  if (v && typeof v === "object") return "object";
  return String(v);
}

function validity(values: ArrayLike<unknown>): { bitmap: Uint8Array; nulls: number } {
  const n = values.length;
  // Typed arrays hold no nulls (and reading a BigInt64Array cell allocates a bigint).
  if (ArrayBuffer.isView(values)) return { bitmap: new Uint8Array(0), nulls: 0 };
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) nulls++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return { bitmap, nulls };
}

function isNullish(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

type NumArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

/**
 * Builds Arrow data of `type` from JS values (`null`/`undefined` are nulls).
 * `column` names the column in error messages. Decimal cells are user values (decimal
 * strings, numbers, whole bigints) unless `unscaled`, when they are the unscaled
 * bigints a Parquet reader hands over.
 */
export function buildData(
  type: A.DataType,
  values: ArrayLike<unknown>,
  column: string,
  unscaled = false,
): AnyData {
  const n = values.length;
  const { bitmap, nulls } = validity(values);
  const nullBitmap = nulls ? bitmap : new Uint8Array(0);
  const base = { type, length: n, nullCount: nulls, nullBitmap };
  // deno-lint-ignore no-explicit-any
  const mk = (x: Record<string, unknown>): AnyData => A.makeData({ ...base, ...x } as any);
  const bad = (v: unknown, what: string): never =>
    fail("InvalidInput", `Cannot store ${describe(v)} in ${what} column ${column}`);

  if (A.DataType.isNull(type)) return A.makeData({ type, length: n });
  if (A.DataType.isBool(type)) {
    const bits = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (isNullish(v)) continue;
      if (typeof v !== "boolean") bad(v, "boolean");
      if (v) bits[i >> 3]! |= 1 << (i & 7);
    }
    return mk({ data: bits });
  }
  if (A.DataType.isInt(type)) {
    const t = type as A.Int;
    if (t.bitWidth === 64) {
      const out = t.isSigned ? new BigInt64Array(n) : new BigUint64Array(n);
      if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
        out.set(values as never);
        return mk({ data: out });
      }
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (isNullish(v)) continue;
        if (typeof v === "bigint") out[i] = v;
        else if (typeof v === "number" && Number.isInteger(v)) out[i] = BigInt(v);
        else if (typeof v === "string" && INT_TEXT.test(v)) out[i] = BigInt(v);
        else bad(v, String(type));
      }
      return mk({ data: out });
    }
    // deno-lint-ignore no-explicit-any
    const out = new (t.ArrayType as any)(n) as NumArray;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (isNullish(v)) continue;
      if (typeof v === "number" && Number.isInteger(v)) out[i] = v;
      else if (typeof v === "bigint") out[i] = Number(v);
      else if (typeof v === "string" && INT_TEXT.test(v)) out[i] = Number(v);
      else bad(v, String(type));
    }
    return mk({ data: out });
  }
  if (A.DataType.isFloat(type) && (type as A.Float).precision !== A.Precision.HALF) {
    const out = (type as A.Float).precision === A.Precision.SINGLE
      ? new Float32Array(n)
      : new Float64Array(n);
    if (values instanceof Float32Array || values instanceof Float64Array) {
      out.set(values);
      return mk({ data: out });
    }
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (isNullish(v)) continue;
      if (typeof v === "number") out[i] = v;
      else if (typeof v === "bigint") out[i] = Number(v);
      else bad(v, String(type));
    }
    return mk({ data: out });
  }
  if (A.DataType.isTimestamp(type)) {
    const unit = (type as A.Timestamp).unit;
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (!isNullish(v)) out[i] = toTimestampUnits(v, unit, column);
    }
    return mk({ data: out });
  }
  if (A.DataType.isDate(type)) {
    if ((type as A.Date_).unit === A.DateUnit.DAY) {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (!isNullish(v)) out[i] = toDays(v, column);
      }
      return mk({ data: out });
    }
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (!isNullish(v)) out[i] = toTimestampUnits(v, A.TimeUnit.MILLISECOND, column);
    }
    return mk({ data: out });
  }
  if (A.DataType.isTime(type)) {
    const t = type as A.Time;
    const out = t.bitWidth === 64 ? new BigInt64Array(n) : new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (isNullish(v)) continue;
      if (typeof v !== "number" && typeof v !== "bigint") bad(v, String(type));
      if (out instanceof BigInt64Array) out[i] = BigInt(v as number);
      else out[i] = Number(v);
    }
    return mk({ data: out });
  }
  if (A.DataType.isDecimal(type)) {
    const t = type as A.Decimal;
    const stride = t.bitWidth / 32;
    const out = new Uint32Array(n * stride);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (isNullish(v)) continue;
      const u = unscaled && typeof v === "bigint"
        ? v
        : toUnscaled(v, t.precision, t.scale, column, describe);
      writeDecimalWords(out, i, stride, u);
    }
    return mk({ data: out });
  }
  if (A.DataType.isUtf8(type) || A.DataType.isBinary(type)) {
    const isText = A.DataType.isUtf8(type);
    const parts: Uint8Array[] = new Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      let b: Uint8Array;
      if (isNullish(v)) b = new Uint8Array(0);
      else if (typeof v === "string") b = encoder.encode(v);
      else if (v instanceof Uint8Array) b = v;
      else if (isText && (typeof v === "number" || typeof v === "bigint")) {
        b = encoder.encode(String(v));
      } else b = bad(v, String(type));
      parts[i] = b;
      total += b.length;
    }
    const offsets = new Int32Array(n + 1);
    const data = new Uint8Array(total);
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const b = parts[i]!;
      data.set(b, pos);
      pos += b.length;
      offsets[i + 1] = pos;
    }
    return mk({ valueOffsets: offsets, data });
  }
  if (A.DataType.isFixedSizeBinary(type)) {
    const w = (type as A.FixedSizeBinary).byteWidth;
    const data = new Uint8Array(n * w);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (isNullish(v)) continue;
      if (!(v instanceof Uint8Array) || v.length !== w) bad(v, String(type));
      data.set(v as Uint8Array, i * w);
    }
    return mk({ data });
  }
  if (A.DataType.isList(type) || A.DataType.isMap(type)) {
    const isMap = A.DataType.isMap(type);
    const child = (type as A.List).children[0]!;
    const offsets = new Int32Array(n + 1);
    const flat: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (!isNullish(v)) {
        const items = isMap ? mapEntries(v, column) : listItems(v);
        if (!items) bad(v, String(type));
        for (let k = 0; k < items!.length; k++) flat.push(items![k]);
      }
      offsets[i + 1] = flat.length;
    }
    return mk({ valueOffsets: offsets, child: buildData(child.type, flat, column, unscaled) });
  }
  if (A.DataType.isStruct(type)) {
    const fields = (type as A.Struct).children;
    const children = fields.map((f) => {
      const col = new Array<unknown>(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (isNullish(v)) col[i] = null;
        else if (typeof v !== "object" || Array.isArray(v)) bad(v, String(type));
        else col[i] = v instanceof Map ? v.get(f.name) : (v as Record<string, unknown>)[f.name];
      }
      return buildData(f.type, col, `${column}.${f.name}`, unscaled);
    });
    return mk({ children });
  }
  // Rarely used types (half floats, dictionaries, intervals…): apache-arrow's builders.
  try {
    return A.vectorFromArray(Array.from(values), type).data[0]!;
  } catch (err) {
    return fail("InvalidInput", `Cannot build column ${column} of type ${type}`, err);
  }
}

function listItems(v: unknown): ArrayLike<unknown> | undefined {
  if (Array.isArray(v)) return v;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as unknown as ArrayLike<unknown>;
  if (v instanceof A.Vector) return v.toArray() as ArrayLike<unknown>;
  return undefined;
}

function mapEntries(v: unknown, column: string): { key: unknown; value: unknown }[] | undefined {
  if (v instanceof Map) return [...v].map(([key, value]) => ({ key, value }));
  if (Array.isArray(v)) {
    return v.map((e) => {
      if (Array.isArray(e) && e.length === 2) return { key: e[0], value: e[1] };
      if (e && typeof e === "object" && "key" in e) {
        return { key: (e as { key: unknown }).key, value: (e as { value?: unknown }).value };
      }
      return fail("InvalidInput", `Cannot read map entry ${describe(e)} in column ${column}`);
    });
  }
  if (v && typeof v === "object" && !(v instanceof Uint8Array)) {
    if (typeof (v as { toJSON?: unknown }).toJSON === "function" && v instanceof A.MapRow) {
      return [...(v as unknown as Iterable<[unknown, unknown]>)].map(([key, value]) => ({
        key,
        value,
      }));
    }
    return Object.entries(v).map(([key, value]) => ({ key, value }));
  }
  return undefined;
}

/** A vector of `n` nulls of any type. */
export function nullData(type: A.DataType, n: number, column: string): AnyData {
  return buildData(type, new Array(n).fill(null), column);
}
