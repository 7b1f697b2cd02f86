// The policy-independent half of LruCache and ArcCache: option checks, entry
// deadlines, hit/miss counters and the one-loader-per-key `getOrLoad`.
import { StoreError } from "../../core/error.ts";

/** Options shared by {@link LruCache} and {@link ArcCache}. */
export interface CacheOptions<V> {
  /** Most entries held at once (an integer >= 1). */
  maxEntries: number;
  /** Most bytes held at once, measured by `sizeOf`; unbounded when absent. */
  maxBytes?: number;
  /**
   * Size of a value for `maxBytes`. Default: `byteLength` of a Uint8Array or
   * ArrayBuffer, twice the length of a string, 1 for anything else.
   */
  sizeOf?: (value: V) => number;
  /** Each entry is forgotten this many ms after it was set; never when absent. */
  ttlMs?: number;
}

/** Per-entry options of `set`. */
export interface CacheSetOptions {
  /** Overrides the cache-wide `ttlMs` for this entry. */
  ttlMs?: number;
}

/** Hit and miss counters of a cache. */
export interface CacheStats {
  /** Lookups served from the cache. */
  hits: number;
  /** Lookups that found nothing (or an expired entry). */
  misses: number;
}

/** One resident entry. */
export interface Slot<V> {
  /** The cached value. */
  value: V;
  /** Its size by `sizeOf`. */
  size: number;
  /** Epoch ms when it expires (Infinity: never). */
  expiresAt: number;
}

interface Pending<V> {
  promise: Promise<V>;
}

function defaultSizeOf(value: unknown): number {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return value.byteLength;
  if (typeof value === "string") return value.length * 2;
  return 1;
}

function checkPositive(name: string, n: unknown, integer: boolean): number {
  if (typeof n !== "number" || !(n > 0) || (integer && !Number.isInteger(n))) {
    throw new StoreError(
      "InvalidInput",
      `Cannot create cache: ${name} must be a positive ${integer ? "integer" : "number"}, got ${
        String(n)
      }`,
    );
  }
  return n;
}

/** The shared machinery; subclasses supply the replacement policy. */
export abstract class BaseCache<K, V> {
  /** Most entries held at once. */
  readonly maxEntries: number;
  /** Most bytes held at once (Infinity when unbounded). */
  readonly maxBytes: number;
  readonly #sizeOf: (value: V) => number;
  readonly #ttlMs: number | undefined;
  readonly #pending = new Map<K, Pending<V>>();
  #hits = 0;
  #misses = 0;
  /** Bytes of the resident entries; policies keep it up to date. */
  protected bytes = 0;

  /**
   * Checks the bounds; `InvalidInput` for a non-positive or fractional bound.
   *
   * @param opts bounds, size function and TTL
   */
  constructor(opts: CacheOptions<V>) {
    if (opts === null || typeof opts !== "object") {
      throw new StoreError("InvalidInput", "Cannot create cache: options object required");
    }
    this.maxEntries = checkPositive("maxEntries", opts.maxEntries, true);
    this.maxBytes = opts.maxBytes === undefined
      ? Infinity
      : checkPositive("maxBytes", opts.maxBytes, false);
    if (opts.ttlMs !== undefined) checkPositive("ttlMs", opts.ttlMs, false);
    this.#ttlMs = opts.ttlMs;
    this.#sizeOf = opts.sizeOf ?? defaultSizeOf;
  }

  /** Finds a resident slot; `touch` records the access for the policy. */
  protected abstract lookup(key: K, touch: boolean): Slot<V> | undefined;
  /** Inserts or replaces a slot, evicting as the policy decides. */
  protected abstract insert(key: K, slot: Slot<V>): void;
  /** Drops a key from every list; true when it was resident. */
  protected abstract remove(key: K): boolean;
  /** Drops everything. */
  protected abstract reset(): void;
  /** Resident entries. */
  abstract get size(): number;

  #live(key: K, touch: boolean): Slot<V> | undefined {
    const slot = this.lookup(key, touch);
    if (slot === undefined) return undefined;
    if (slot.expiresAt <= Date.now()) {
      this.remove(key);
      return undefined;
    }
    return slot;
  }

  /**
   * The cached value (counted as a hit or a miss, and marked as used).
   *
   * @param key the key
   * @returns the value, or undefined when absent or expired
   */
  get(key: K): V | undefined {
    const slot = this.#live(key, true);
    if (slot === undefined) this.#misses++;
    else this.#hits++;
    return slot?.value;
  }

  /**
   * The cached value without marking it used or counting the lookup.
   *
   * @param key the key
   * @returns the value, or undefined when absent or expired
   */
  peek(key: K): V | undefined {
    return this.#live(key, false)?.value;
  }

  /**
   * Whether a live entry is held (not counted, not marked used).
   *
   * @param key the key
   * @returns true when present and not expired
   */
  has(key: K): boolean {
    return this.#live(key, false) !== undefined;
  }

  /**
   * Stores a value, evicting as needed. A value larger than `maxBytes` is not
   * kept (and any older value of the key is dropped). Cancels an in-flight
   * `getOrLoad` of the key, so its older result is not stored.
   *
   * @param key the key
   * @param value the value
   * @param opts per-entry TTL
   */
  set(key: K, value: V, opts?: CacheSetOptions): void {
    this.#pending.delete(key);
    const ttl = opts?.ttlMs ?? this.#ttlMs;
    if (opts?.ttlMs !== undefined) checkPositive("ttlMs", opts.ttlMs, false);
    const size = this.#sizeOf(value);
    if (!(size >= 0) || size > this.maxBytes) {
      this.remove(key);
      return;
    }
    const expiresAt = ttl === undefined ? Infinity : Date.now() + ttl;
    this.insert(key, { value, size, expiresAt });
  }

  /**
   * Forgets a key and cancels its in-flight `getOrLoad`.
   *
   * @param key the key
   * @returns true when an entry was held
   */
  delete(key: K): boolean {
    this.#pending.delete(key);
    return this.remove(key);
  }

  /** Forgets everything, including in-flight loads (counters are kept). */
  clear(): void {
    this.#pending.clear();
    this.reset();
  }

  /**
   * The cached value, or the loader's result, stored for next time. However
   * many callers ask for a missing key at once, one loader runs and they all
   * get its result. A loader that throws stores nothing; a `set`/`delete`/
   * `clear` of the key while it runs keeps its (older) result out of the cache.
   *
   * @param key the key
   * @param loader produces the value of a missing key
   * @returns the value
   */
  getOrLoad(key: K, loader: (key: K) => V | Promise<V>): Promise<V> {
    const slot = this.#live(key, true);
    if (slot !== undefined) {
      this.#hits++;
      return Promise.resolve(slot.value);
    }
    this.#misses++;
    const inflight = this.#pending.get(key);
    if (inflight) return inflight.promise;
    const entry: Pending<V> = { promise: Promise.resolve() as Promise<unknown> as Promise<V> };
    entry.promise = (async () => {
      try {
        const value = await loader(key);
        if (this.#pending.get(key) === entry) {
          this.#pending.delete(key);
          this.set(key, value);
        }
        return value;
      } finally {
        if (this.#pending.get(key) === entry) this.#pending.delete(key);
      }
    })();
    this.#pending.set(key, entry);
    return entry.promise;
  }

  /**
   * Hit and miss counters since creation.
   *
   * @returns a copy of the counters
   */
  stats(): CacheStats {
    return { hits: this.#hits, misses: this.#misses };
  }

  /** Bytes held, as measured by `sizeOf`. */
  get byteSize(): number {
    return this.bytes;
  }
}
