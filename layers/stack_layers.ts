/**
 * {@link stackLayers}: the cache, compression and encryption layers over one
 * store, in the one order where each does its job.
 *
 * @module
 */
import type { MergeOperator } from "../core/config.ts";
import { StoreError } from "../core/error.ts";
import type { KvStore } from "../core/kv.ts";
import { CachedKvStore, type CachedKvStoreOptions } from "./cache/cached_kv_store.ts";
import { CompressedKv, type CompressedKvOptions } from "./compress/compressed_kv.ts";
import { EncryptedKv, type EncryptedKvOptions } from "./encrypt/encrypted_kv.ts";

/**
 * The layers {@link stackLayers} puts over a store; each is left out when absent.
 *
 * @example
 * ```ts
 * import type { LayerStackOptions } from "@cooljapan/oxistore/layers";
 * const layers: LayerStackOptions = { cache: { maxEntries: 100 }, compress: { codec: "lz4" } };
 * if (layers.encrypt !== undefined) throw new Error("no encryption asked for");
 * ```
 */
export interface LayerStackOptions {
  /** A read cache of plaintext values, outermost (see `CachedKvStore`). */
  cache?: CachedKvStoreOptions;
  /** Compression of each value before it is sealed (see `CompressedKv`). */
  compress?: Omit<CompressedKvOptions, "mergeOperator">;
  /** Sealing of each value right above the store (see `EncryptedKv`). */
  encrypt?: Omit<EncryptedKvOptions, "mergeOperator">;
  /**
   * The operator behind `merge`, on plaintext values. It goes to the outermost
   * layer that changes values (compression, else encryption), which merges by
   * read and compare-and-swap; the layers below only see a `put`.
   */
  mergeOperator?: MergeOperator;
}

const KNOWN = new Set(["cache", "compress", "encrypt", "mergeOperator"]);

/**
 * Stacks the layers asked for over `store`, from the caller inward: cache,
 * compression, encryption, store. The order matters:
 *
 * - compression runs before encryption, because sealed bytes look random and
 *   do not compress (sealing first stores 24,000 bytes of JSON as about
 *   24,030; this order stores about 150);
 * - the cache sits above both, so a hit skips decompression and decryption;
 *   it holds plaintext in this process's memory only, never at rest;
 * - encryption is next to the store, so everything written to it is sealed.
 *
 * Closing the returned store closes every layer and `store`.
 *
 * @param store the store underneath (an engine, or any KvStore)
 * @param layers the layers to add; an absent one is skipped
 * @returns the outermost layer (or `store` itself when no layer is asked for)
 * @throws StoreError `InvalidInput` for an unknown option name or bad layer options
 *
 * @example
 * ```ts
 * import { openInMemory } from "@cooljapan/oxistore";
 * import { randomKey } from "@cooljapan/oxistore/encrypt";
 * import { stackLayers } from "@cooljapan/oxistore/layers";
 *
 * const engine = await openInMemory("btree");
 * await using store = await stackLayers(engine, {
 *   cache: { maxEntries: 1_000 },
 *   compress: { codec: "lz4" },
 *   encrypt: { keys: { "2026-11": randomKey() }, activeKeyId: "2026-11" },
 * });
 * const text = JSON.stringify(Array.from({ length: 50 }, (_, id) => ({ id, kind: "click" })));
 * await store.put("events", text);
 * if (new TextDecoder().decode(await store.get("events")) !== text) throw new Error("round trip");
 * const atRest = (await engine.get("events"))!; // compressed, then sealed
 * if (atRest.length >= text.length / 2) throw new Error("not compressed");
 * ```
 */
export async function stackLayers(store: KvStore, layers: LayerStackOptions): Promise<KvStore> {
  if (layers === null || typeof layers !== "object") {
    throw new StoreError(
      "InvalidInput",
      "Cannot stack layers: expected an options object ({ cache?, compress?, encrypt? })",
    );
  }
  for (const name of Object.keys(layers)) {
    if (!KNOWN.has(name)) {
      throw new StoreError(
        "InvalidInput",
        `Cannot stack layers: unknown option "${name}" (expected cache, compress, encrypt or mergeOperator)`,
      );
    }
  }
  const { cache, compress, encrypt, mergeOperator } = layers;
  if (mergeOperator !== undefined && encrypt === undefined && compress === undefined) {
    throw new StoreError(
      "InvalidInput",
      "Cannot stack layers: mergeOperator is for the compress or encrypt layer; give the " +
        "store's own operator in its config when neither is used",
    );
  }
  const merge = (outermost: boolean) =>
    outermost && mergeOperator !== undefined ? { mergeOperator } : {};
  let top = store;
  if (encrypt !== undefined) {
    top = await EncryptedKv.create(top, { ...encrypt, ...merge(compress === undefined) });
  }
  if (compress !== undefined) top = new CompressedKv(top, { ...compress, ...merge(true) });
  if (cache !== undefined) top = new CachedKvStore(top, cache);
  return top;
}
