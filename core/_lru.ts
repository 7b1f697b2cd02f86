// The one least-recently-used map of the library, bounded in bytes (and
// optionally in entries): the LSM block cache, the Deno KV value cache and
// the public LruCache are each a thin shape over it. A Map iterates in
// insertion order, so re-inserting an entry on use keeps the least recently
// used one first.

/** An LRU map whose entries' sizes (by `sizeOf`) stay within `maxBytes`. */
export class Lru<K, V> {
  /** Most bytes held at once. */
  readonly maxBytes: number;
  /** Most entries held at once. */
  readonly maxEntries: number;
  /** Lookups by `get` that found an entry. */
  hits = 0;
  /** Lookups by `get` that found nothing. */
  misses = 0;
  readonly #sizeOf: (value: V, key: K) => number;
  readonly #map = new Map<K, V>();
  #bytes = 0;

  /**
   * @param maxBytes bound on the summed sizes
   * @param sizeOf an entry's size; it must give the same number for the same entry each time
   * @param maxEntries bound on the entry count (none by default)
   */
  constructor(maxBytes: number, sizeOf: (value: V, key: K) => number, maxEntries = Infinity) {
    this.maxBytes = maxBytes;
    this.maxEntries = maxEntries;
    this.#sizeOf = sizeOf;
  }

  /** Entries held. */
  get size(): number {
    return this.#map.size;
  }

  /** Summed sizes of the entries held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The value (marked most recently used, counted as a hit or a miss). */
  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#map.delete(key);
    this.#map.set(key, v);
    return v;
  }

  /** The value, neither marked used nor counted. */
  peek(key: K): V | undefined {
    return this.#map.get(key);
  }

  /**
   * Stores a value as the most recently used, evicting the least recently
   * used down to the bounds. A value larger than `maxBytes` is not kept, and
   * the key's older value is dropped.
   */
  set(key: K, value: V): void {
    this.delete(key);
    const size = this.#sizeOf(value, key);
    if (size > this.maxBytes) return;
    this.#map.set(key, value);
    this.#bytes += size;
    while (this.#bytes > this.maxBytes || this.#map.size > this.maxEntries) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  /** Drops a key; true when it was held. */
  delete(key: K): boolean {
    const v = this.#map.get(key);
    if (v === undefined) return false;
    this.#map.delete(key);
    this.#bytes -= this.#sizeOf(v, key);
    return true;
  }

  /** Drops everything (the counters stay). */
  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }
}
