/**
 * {@link LruCache}: evicts the least recently used entry first.
 *
 * @module
 */
import { Lru } from "../../core/_lru.ts";
import { BaseCache, type CacheOptions, type Slot } from "./_base_cache.ts";

/**
 * A least-recently-used cache bounded by entries and optionally by bytes,
 * with optional per-entry TTL, hit/miss counters and a stampede-free
 * `getOrLoad`. `size` is a getter (like `Map#size`).
 *
 * @example
 * ```ts
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * import { LruCache } from "@cooljapan/oxistore/cache";
 * const cache = new LruCache<string, number>({ maxEntries: 2 });
 * cache.set("a", 1);
 * cache.set("b", 2);
 * cache.get("a"); // "a" is now the most recently used
 * cache.set("c", 3); // evicts "b"
 * strictEqual(cache.has("b"), false);
 * strictEqual(cache.size, 2);
 * deepStrictEqual(cache.stats(), { hits: 1, misses: 0 });
 * ```
 */
export class LruCache<K, V> extends BaseCache<K, V> {
  readonly #lru: Lru<K, Slot<V>>;

  /**
   * Creates an empty cache.
   *
   * @param opts bounds, size function and TTL
   */
  constructor(opts: CacheOptions<V>) {
    super(opts);
    this.#lru = new Lru<K, Slot<V>>(this.maxBytes, (slot) => slot.size, this.maxEntries);
  }

  /** Resident entries. */
  get size(): number {
    return this.#lru.size;
  }

  /** Finds a slot; `touch` records the use. */
  protected lookup(key: K, touch: boolean): Slot<V> | undefined {
    return touch ? this.#lru.get(key) : this.#lru.peek(key);
  }

  /** Inserts or replaces a slot and evicts down to the bounds. */
  protected insert(key: K, slot: Slot<V>): void {
    this.#lru.set(key, slot);
    this.bytes = this.#lru.bytes;
  }

  /** Drops a key; true when it was resident. */
  protected remove(key: K): boolean {
    const held = this.#lru.delete(key);
    this.bytes = this.#lru.bytes;
    return held;
  }

  /** Drops everything. */
  protected reset(): void {
    this.#lru.clear();
    this.bytes = 0;
  }
}
