/**
 * Caches: {@link LruCache} and {@link ArcCache} (bounded by entries and
 * optionally bytes, with TTLs, counters and a stampede-free `getOrLoad`), and
 * {@link CachedKvStore}, a read-through, write-through cache in front of any
 * KvStore that stays exact across every write path.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { CachedKvStore } from "@cooljapan/oxistore/cache";
 * import { openInMemory } from "@cooljapan/oxistore";
 * await using store = new CachedKvStore(await openInMemory("denokv"), { maxEntries: 10_000, policy: "arc" });
 * await store.put("greeting", "hello");
 * strictEqual(new TextDecoder().decode(await store.get("greeting")), "hello");
 * ```
 *
 * @module
 */
export {
  BaseCache,
  type CacheOptions,
  type CacheSetOptions,
  type CacheStats,
  type Slot,
} from "./_base_cache.ts";
export { LruCache } from "./lru_cache.ts";
export { ArcCache } from "./arc_cache.ts";
export { CachedKvStore, type CachedKvStoreOptions } from "./cached_kv_store.ts";
