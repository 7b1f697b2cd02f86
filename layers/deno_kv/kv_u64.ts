/**
 * {@link KvU64}: the 64-bit unsigned integer that `sum`, `min` and `max` work on.
 *
 * @module
 */

const MAX_U64 = (1n << 64n) - 1n;

/**
 * A 64-bit unsigned integer value, as `Deno.KvU64`: `sum` wraps around at 2^64.
 * A `Deno.KvU64` passed to oxistore's API is taken as one of these.
 *
 * @example
 * ```ts
 * import { KvU64, openKv } from "@cooljapan/oxistore/deno-kv";
 * await using kv = await openKv();
 * await kv.set(["visits"], new KvU64(41n));
 * await kv.atomic().sum(["visits"], 1n).commit();
 * const v = (await kv.get<KvU64>(["visits"])).value;
 * if (!(v instanceof KvU64) || v.value !== 42n) throw new Error("sum failed");
 * ```
 */
export class KvU64 {
  /** The integer, 0 ≤ value < 2^64. */
  readonly value: bigint;

  /**
   * Wraps an unsigned 64-bit integer; the instance is frozen.
   *
   * @param value a bigint in [0, 2^64) — `TypeError`/`RangeError` otherwise, as Deno's.
   */
  constructor(value: bigint) {
    this.value = checkU64(value);
    Object.freeze(this);
  }

  /** The bigint, so `+` and comparisons work. */
  valueOf(): bigint {
    return this.value;
  }

  /** The decimal digits. */
  toString(): string {
    return this.value.toString();
  }

  /** "Deno.KvU64", as Deno's class reports. */
  get [Symbol.toStringTag](): string {
    return "Deno.KvU64";
  }

  /** How `console.log` shows it, as Deno does: `[Deno.KvU64: 1n]`. */
  [Symbol.for("Deno.customInspect")](): string {
    return `[Deno.KvU64: ${this.value}n]`;
  }
}

/** Deno's checks and messages for a u64 operand. */
export function checkU64(value: unknown): bigint {
  if (typeof value !== "bigint") {
    throw new TypeError(`Value must be a bigint: received ${typeof value}`);
  }
  if (value < 0n) throw new RangeError(`Value must be a positive bigint: received ${value}`);
  if (value > MAX_U64) throw new RangeError("Value must fit in a 64-bit unsigned integer");
  return value;
}

/** True for ours and for `Deno.KvU64` (when the runtime has it). */
export function isKvU64(v: unknown): v is { readonly value: bigint } {
  if (v instanceof KvU64) return true;
  const native = (globalThis as { Deno?: { KvU64?: unknown } }).Deno?.KvU64;
  return typeof native === "function" && v instanceof (native as new (v: bigint) => object);
}

/** `a + b` modulo 2^64, as Deno KV's `sum`. */
export function wrappingAdd(a: bigint, b: bigint): bigint {
  return (a + b) & MAX_U64;
}
