// An LRU of values this process read or wrote, bounded in bytes. Deno KV
// answers a read in tens of microseconds (a thread hop each); a hot key from
// this cache takes well under one. Another process's writes are not seen
// here, which is why the cache is off unless StoreConfig.cacheSizeBytes asks.
import { keyId } from "../../core/_views.ts";

const ENTRY_OVERHEAD = 64;

/** Values by raw key; `null` caches an absent key. */
export class ValueCache {
  readonly #limit: number;
  readonly #map = new Map<string, Uint8Array | null>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  /** The cached value, null for a cached absence, undefined on a miss. */
  get(key: Uint8Array): Uint8Array | null | undefined {
    const id = keyId(key);
    const v = this.#map.get(id);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#map.delete(id); // most recently used moves to the end
    this.#map.set(id, v);
    return v === null ? null : v.slice();
  }

  set(key: Uint8Array, value: Uint8Array | null): void {
    const id = keyId(key);
    this.delete(key);
    const size = (value?.length ?? 0) + id.length + ENTRY_OVERHEAD;
    if (size > this.#limit) return;
    this.#map.set(id, value === null ? null : value.slice());
    this.#bytes += size;
    for (const [oldest, v] of this.#map) {
      if (this.#bytes <= this.#limit) break;
      this.#map.delete(oldest);
      this.#bytes -= (v?.length ?? 0) + oldest.length + ENTRY_OVERHEAD;
    }
  }

  delete(key: Uint8Array): void {
    const id = keyId(key);
    const v = this.#map.get(id);
    if (v === undefined) return;
    this.#map.delete(id);
    this.#bytes -= (v?.length ?? 0) + id.length + ENTRY_OVERHEAD;
  }
}
