// An LRU of values this process read or wrote, bounded in bytes. Deno KV
// answers a read in tens of microseconds (a thread hop each); a hot key from
// this cache takes well under one. Another process's writes are not seen
// here, which is why the cache is off unless StoreConfig.cacheSizeBytes asks.
import { keyId } from "../../core/_key_id.ts";
import { Lru } from "../../core/_lru.ts";

const ENTRY_OVERHEAD = 64;

const entrySize = (value: Uint8Array | null, id: string): number =>
  (value?.length ?? 0) + id.length + ENTRY_OVERHEAD;

/** Values by raw key; `null` caches an absent key. */
export class ValueCache {
  readonly #lru: Lru<string, Uint8Array | null>;

  constructor(limitBytes: number) {
    this.#lru = new Lru(limitBytes, entrySize);
  }

  /** Lookups served from the cache. */
  get hits(): number {
    return this.#lru.hits;
  }

  /** Lookups that found nothing. */
  get misses(): number {
    return this.#lru.misses;
  }

  /** The cached value, null for a cached absence, undefined on a miss. */
  get(key: Uint8Array): Uint8Array | null | undefined {
    const v = this.#lru.get(keyId(key));
    return v ? v.slice() : v;
  }

  set(key: Uint8Array, value: Uint8Array | null): void {
    this.#lru.set(keyId(key), value === null ? null : value.slice());
  }

  delete(key: Uint8Array): void {
    this.#lru.delete(keyId(key));
  }
}
