// Decimals, exactly. A decimal cell is held as its unscaled integer (a bigint, the scale
// lives in the column type) and shown to users as a canonical string ("-12.30" for
// DECIMAL(p, 2)): the form Postgres drivers and DuckDB's VARCHAR cast use, and one that
// no float ever touches.
import { fail } from "./_errors.ts";

/** A decimal number as digits and a scale: `unscaled × 10^-scale`. */
export interface DecimalValue {
  unscaled: bigint;
  scale: number;
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Reads a decimal from a string ("12.5", "-1e3", "+.5"), a number (through its
 * shortest round-trip text, so 0.1 is 1/10, not the binary float) or a bigint (a whole
 * number). Anything else, or a non-finite number, is undefined.
 */
export function parseDecimal(v: unknown): DecimalValue | undefined {
  if (typeof v === "bigint") return { unscaled: v, scale: 0 };
  if (typeof v === "number") return Number.isFinite(v) ? parseDecimal(String(v)) : undefined;
  if (typeof v !== "string") return undefined;
  const m = DECIMAL_TEXT.exec(v.trim());
  if (!m) return undefined;
  const [, sign, int = "", frac = "", exp = "0"] = m;
  if (!int && !frac) return undefined;
  const digits = BigInt((int + frac) || "0");
  const scale = frac.length - Number(exp);
  if (!Number.isSafeInteger(scale) || Math.abs(scale) > 10_000) return undefined;
  return { unscaled: sign === "-" ? -digits : digits, scale };
}

/**
 * `d` at `scale`, rounded toward negative infinity; `exact` says whether nothing was
 * dropped.
 */
export function floorToScale(d: DecimalValue, scale: number): { value: bigint; exact: boolean } {
  if (d.scale <= scale) return { value: d.unscaled * 10n ** BigInt(scale - d.scale), exact: true };
  const div = 10n ** BigInt(d.scale - scale);
  let q = d.unscaled / div;
  const r = d.unscaled % div;
  if (r !== 0n && d.unscaled < 0n) q -= 1n;
  return { value: q, exact: r === 0n };
}

/** `d` at `scale`, rounding half away from zero (as a SQL cast does). */
export function roundToScale(d: DecimalValue, scale: number): bigint {
  if (d.scale <= scale) return d.unscaled * 10n ** BigInt(scale - d.scale);
  const div = 10n ** BigInt(d.scale - scale);
  const mag = d.unscaled < 0n ? -d.unscaled : d.unscaled;
  const q = (mag + div / 2n) / div;
  return d.unscaled < 0n ? -q : q;
}

/** The canonical text of an unscaled decimal: exactly `scale` fraction digits. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  if (scale <= 0) return String(unscaled * 10n ** BigInt(-scale));
  const neg = unscaled < 0n;
  const digits = String(neg ? -unscaled : unscaled).padStart(scale + 1, "0");
  const cut = digits.length - scale;
  return `${neg ? "-" : ""}${digits.slice(0, cut)}.${digits.slice(cut)}`;
}

/**
 * A user value for a DECIMAL(precision, scale) cell → its unscaled integer. Extra
 * fraction digits round half away from zero (as SQL casts do); a value with more
 * digits than the precision allows is InvalidInput, never wrapped.
 */
export function toUnscaled(
  v: unknown,
  precision: number,
  scale: number,
  column: string,
  describe: (v: unknown) => string,
): bigint {
  const d = parseDecimal(v);
  if (!d) {
    return fail("InvalidInput", `Cannot use ${describe(v)} as a decimal in column ${column}`);
  }
  const u = roundToScale(d, scale);
  if ((u < 0n ? -u : u) >= 10n ** BigInt(precision)) {
    return fail(
      "InvalidInput",
      `Cannot store ${describe(v)} in column ${column}: it needs more than the ` +
        `${precision} digits of DECIMAL(${precision}, ${scale})`,
    );
  }
  return u;
}

/** Reads the unscaled bigint of a 128/256-bit decimal cell from its 32-bit words. */
export function decimalWordsToBigInt(words: Uint32Array, index: number, stride: number): bigint {
  let v = 0n;
  for (let w = stride - 1; w >= 0; w--) v = (v << 32n) | BigInt(words[index * stride + w]!);
  return BigInt.asIntN(stride * 32, v);
}

/** Writes an unscaled bigint as the little-endian two's-complement words of a cell. */
export function writeDecimalWords(out: Uint32Array, index: number, stride: number, u: bigint) {
  for (let w = 0; w < stride; w++) {
    out[index * stride + w] = Number(BigInt.asUintN(32, u));
    u >>= 32n;
  }
}

/** Big-endian two's-complement bytes (Parquet's decimal bytes) → bigint. */
export function bytesToBigInt(v: Uint8Array): bigint {
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  return v.length ? BigInt.asIntN(v.length * 8, n) : 0n;
}
