// What every per-type behaviour shares: validity bits, user values → temporal units,
// value descriptions for error messages, and the ordering of comparable keys.
import * as A from "apache-arrow";
import { fail } from "./_errors.ts";

/** Arrow data of any type. */
export type AnyData = A.Data<A.DataType>;
/** Reads cell `i` of one column's data. */
export type Getter = (i: number) => unknown;

export const MS_PER_DAY = 86_400_000;

/** Whether cell `i` of `data` is valid (not null). */
export function validAt(data: AnyData, i: number): boolean {
  const bm = data.nullBitmap;
  if (!data.nullCount || !bm || bm.length === 0) return true;
  const j = data.offset + i;
  return ((bm[j >> 3]! >> (j & 7)) & 1) === 1;
}

export function isNullish(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

/** A short description of a user value for error messages. */
export function describe(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (v instanceof Date) return `Date(${v.toISOString?.() ?? "invalid"})`;
  if (Array.isArray(v)) return `array(${v.length})`;
  if (v && typeof v === "object") return "object";
  return String(v);
}

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
