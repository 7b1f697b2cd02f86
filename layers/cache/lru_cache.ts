/**
 * {@link LruCache}: evicts the least recently used entry first.
 *
 * @module
 */
import { BaseCache, type CacheOptions, type Slot } from "./_base_cache.ts";

/**
 * A least-recently-used cache bounded by entries and optionally by bytes,
 * with optional per-entry TTL, hit/miss counters and a stampede-free
 * `getOrLoad`. `size` is a getter (like `Map#size`).
 *
 * @example
 * ```ts
 * import { LruCache } from "./mod.ts";
 * const cache = new LruCache<string, number>({ maxEntries: 2 });
 * cache.set("a", 1);
 * cache.set("b", 2);
 * cache.get("a"); // "a" is now the most recently used
 * cache.set("c", 3); // evicts "b"
 * console.log(cache.has("b"), cache.size, cache.stats()); // false 2 { hits: 1, misses: 0 }
 * ```
 */
export class LruCache<K, V> extends BaseCache<K, V> {
  // A Map iterates in insertion order: re-inserting on use keeps the LRU first.
  readonly #map = new Map<K, Slot<V>>();

  /**
   * Creates an empty cache.
   *
   * @param opts bounds, size function and TTL
   */
  constructor(opts: CacheOptions<V>) {
    super(opts);
  }

  /** Resident entries. */
  get size(): number {
    return this.#map.size;
  }

  /** Finds a slot; `touch` records the use. */
  protected lookup(key: K, touch: boolean): Slot<V> | undefined {
    const slot = this.#map.get(key);
    if (slot !== undefined && touch) {
      this.#map.delete(key);
      this.#map.set(key, slot);
    }
    return slot;
  }

  /** Inserts or replaces a slot and evicts down to the bounds. */
  protected insert(key: K, slot: Slot<V>): void {
    this.remove(key);
    this.#map.set(key, slot);
    this.bytes += slot.size;
    while (this.#map.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      this.remove(oldest.value);
    }
  }

  /** Drops a key; true when it was resident. */
  protected remove(key: K): boolean {
    const slot = this.#map.get(key);
    if (slot === undefined) return false;
    this.#map.delete(key);
    this.bytes -= slot.size;
    return true;
  }

  /** Drops everything. */
  protected reset(): void {
    this.#map.clear();
    this.bytes = 0;
  }
}
