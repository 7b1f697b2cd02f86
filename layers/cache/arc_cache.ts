/**
 * {@link ArcCache}: Megiddo & Modha's adaptive replacement cache.
 *
 * @module
 */
import { BaseCache, type CacheOptions, type Slot } from "./_base_cache.ts";

function dropOldest<K>(map: Map<K, unknown>): K | undefined {
  const first = map.keys().next();
  if (first.done) return undefined;
  map.delete(first.value);
  return first.value;
}

/**
 * An adaptive replacement cache: T1 holds keys seen once recently, T2 keys
 * seen at least twice; the ghost lists B1/B2 remember keys recently evicted
 * from each, and a hit on a ghost moves the target size `p` of T1 towards the
 * list that would have kept it. A scan of one-off keys therefore cannot flush
 * the frequently used ones. Same API and bounds as {@link LruCache}; `size`
 * is a getter.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { ArcCache } from "@cooljapan/oxistore/cache";
 * const cache = new ArcCache<string, string>({ maxEntries: 100, maxBytes: 1 << 20 });
 * cache.set("user:1", "Ada");
 * strictEqual(cache.get("user:1"), "Ada");
 * strictEqual(cache.peek("user:2"), undefined);
 * ```
 */
export class ArcCache<K, V> extends BaseCache<K, V> {
  readonly #t1 = new Map<K, Slot<V>>();
  readonly #t2 = new Map<K, Slot<V>>();
  readonly #b1 = new Map<K, true>();
  readonly #b2 = new Map<K, true>();
  #p = 0;

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
    return this.#t1.size + this.#t2.size;
  }

  /** The adaptive target size of T1 (for inspection and tests). */
  get target(): number {
    return this.#p;
  }

  /** Finds a slot; `touch` records the use. */
  protected lookup(key: K, touch: boolean): Slot<V> | undefined {
    let slot = this.#t1.get(key);
    if (slot !== undefined) {
      if (touch) {
        this.#t1.delete(key);
        this.#t2.set(key, slot);
      }
      return slot;
    }
    slot = this.#t2.get(key);
    if (slot !== undefined && touch) {
      this.#t2.delete(key);
      this.#t2.set(key, slot);
    }
    return slot;
  }

  /** Moves one resident entry to its ghost list, as ARC's REPLACE does. */
  #replace(hitInB2: boolean): void {
    const t1 = this.#t1.size;
    if (t1 > 0 && (t1 > this.#p || (hitInB2 && t1 === Math.floor(this.#p)))) {
      const key = this.#t1.keys().next().value as K;
      this.bytes -= this.#t1.get(key)!.size;
      this.#t1.delete(key);
      this.#b1.set(key, true);
    } else if (this.#t2.size > 0) {
      const key = this.#t2.keys().next().value as K;
      this.bytes -= this.#t2.get(key)!.size;
      this.#t2.delete(key);
      this.#b2.set(key, true);
    } else if (t1 > 0) {
      const key = this.#t1.keys().next().value as K;
      this.bytes -= this.#t1.get(key)!.size;
      this.#t1.delete(key);
      this.#b1.set(key, true);
    }
  }

  #full(): boolean {
    return this.#t1.size + this.#t2.size >= this.maxEntries;
  }

  /** Inserts or replaces a slot and evicts down to the bounds. */
  protected insert(key: K, slot: Slot<V>): void {
    const c = this.maxEntries;
    const old = this.#t1.get(key) ?? this.#t2.get(key);
    if (old !== undefined) {
      // An update counts as a second use: the key moves to T2.
      this.bytes -= old.size;
      this.#t1.delete(key);
      this.#t2.delete(key);
      this.#t2.set(key, slot);
    } else if (this.#b1.has(key)) {
      this.#p = Math.min(c, this.#p + Math.max(this.#b2.size / this.#b1.size, 1));
      if (this.#full()) this.#replace(false);
      this.#b1.delete(key);
      this.#t2.set(key, slot);
    } else if (this.#b2.has(key)) {
      this.#p = Math.max(0, this.#p - Math.max(this.#b1.size / this.#b2.size, 1));
      if (this.#full()) this.#replace(true);
      this.#b2.delete(key);
      this.#t2.set(key, slot);
    } else {
      const l1 = this.#t1.size + this.#b1.size;
      const total = l1 + this.#t2.size + this.#b2.size;
      if (l1 >= c) {
        if (this.#t1.size < c) {
          dropOldest(this.#b1);
          if (this.#full()) this.#replace(false);
        } else {
          const oldest = this.#t1.keys().next();
          if (!oldest.done) {
            this.bytes -= this.#t1.get(oldest.value)!.size;
            this.#t1.delete(oldest.value);
          }
        }
      } else if (total >= c) {
        if (total >= 2 * c) dropOldest(this.#b2);
        if (this.#full()) this.#replace(false);
      }
      this.#t1.set(key, slot);
    }
    this.bytes += slot.size;
    while (this.size > c || (this.bytes > this.maxBytes && this.size > 0)) this.#replace(false);
    this.#trimGhosts();
  }

  /** Keeps |T1|+|B1| <= c and all four lists <= 2c, as ARC requires. */
  #trimGhosts(): void {
    const c = this.maxEntries;
    while (this.#t1.size + this.#b1.size > c && this.#b1.size > 0) dropOldest(this.#b1);
    while (this.size + this.#b1.size + this.#b2.size > 2 * c) {
      if (dropOldest(this.#b2) === undefined && dropOldest(this.#b1) === undefined) break;
    }
  }

  /** Drops a key; true when it was resident. */
  protected remove(key: K): boolean {
    this.#b1.delete(key);
    this.#b2.delete(key);
    const slot = this.#t1.get(key) ?? this.#t2.get(key);
    if (slot === undefined) return false;
    this.#t1.delete(key);
    this.#t2.delete(key);
    this.bytes -= slot.size;
    return true;
  }

  /** Drops everything. */
  protected reset(): void {
    this.#t1.clear();
    this.#t2.clear();
    this.#b1.clear();
    this.#b2.clear();
    this.#p = 0;
    this.bytes = 0;
  }
}
