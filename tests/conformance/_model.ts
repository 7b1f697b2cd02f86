// The plain sorted in-memory model the property tests compare stores with.
import { compareBytes } from "../../core/bytes.ts";
import type { KvEntry } from "../../core/kv.ts";

const hex = (b: Uint8Array) => Array.from(b, (c) => c.toString(16).padStart(2, "0")).join("");

/** A map of bytes to bytes that answers scans by sorting. */
export class Model {
  #map = new Map<string, KvEntry>();

  clone(): Model {
    const m = new Model();
    for (const [id, e] of this.#map) m.#map.set(id, e);
    return m;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.#map.get(hex(key))?.[1];
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.#map.set(hex(key), [key.slice(), value.slice()]);
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
    const out = [...this.#map.values()]
      .filter(([k]) =>
        (lo === undefined || compareBytes(k, lo) >= 0) &&
        (hi === undefined || compareBytes(k, hi) < 0)
      )
      .sort((a, b) => compareBytes(a[0], b[0]));
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
