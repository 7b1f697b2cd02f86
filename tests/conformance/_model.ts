// The plain sorted in-memory model the property tests compare stores with.
import { compareBytes } from "../../core/bytes.ts";
import type { KvEntry } from "../../core/kv.ts";

const hex = (b: Uint8Array) => Array.from(b, (c) => c.toString(16).padStart(2, "0")).join("");

/**
 * Whether a key carries a TTL: `"unknown"` after an operation whose effect on
 * the TTL API.md leaves open (CAS, merge), until the next plain write.
 */
export type TtlState = "none" | "set" | "unknown";

interface Slot {
  key: Uint8Array;
  value: Uint8Array;
  ttl: TtlState;
}

/** A map of bytes to bytes that answers scans by sorting. */
export class Model {
  #map = new Map<string, Slot>();

  clone(): Model {
    const m = new Model();
    m.assign(this);
    return m;
  }

  /** Becomes a copy of `other`. */
  assign(other: Model): void {
    this.#map = new Map(other.#map);
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.#map.get(hex(key))?.value;
  }

  ttl(key: Uint8Array): TtlState | undefined {
    return this.#map.get(hex(key))?.ttl;
  }

  /** A write; a plain put clears the TTL. */
  put(key: Uint8Array, value: Uint8Array, ttl: TtlState = "none"): void {
    this.#map.set(hex(key), { key: key.slice(), value: value.slice(), ttl });
  }

  setTtl(key: Uint8Array, ttl: TtlState): void {
    const slot = this.#map.get(hex(key));
    if (slot) this.#map.set(hex(key), { ...slot, ttl });
  }

  delete(key: Uint8Array): void {
    this.#map.delete(hex(key));
  }

  get size(): number {
    return this.#map.size;
  }

  /** `[lo, hi)` with the store's reverse/limit semantics. */
  range(
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
    reverse = false,
    limit = Infinity,
  ): KvEntry[] {
    const out: KvEntry[] = [...this.#map.values()]
      .filter(({ key }) =>
        (lo === undefined || compareBytes(key, lo) >= 0) &&
        (hi === undefined || compareBytes(key, hi) < 0)
      )
      .sort((a, b) => compareBytes(a.key, b.key))
      .map(({ key, value }) => [key, value]);
    if (reverse) out.reverse();
    return out.slice(0, limit);
  }

  /** Keys starting with `prefix`. */
  prefix(prefix: Uint8Array, reverse = false, limit = Infinity): KvEntry[] {
    const out = this.range(undefined, undefined, reverse).filter(([k]) =>
      k.length >= prefix.length && prefix.every((c, i) => k[i] === c)
    );
    return out.slice(0, limit);
  }
}
