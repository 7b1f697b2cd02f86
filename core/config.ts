/**
 * Store configuration and the counters every store keeps.
 *
 * @module
 */
import type { Bytes } from "./bytes.ts";

/**
 * Which engine a store runs on.
 *
 * @example
 * ```ts
 * import type { StoreKind } from "@cooljapan/oxistore";
 * const kind: StoreKind = "lsm";
 * console.log(kind);
 * ```
 */
export type StoreKind = "btree" | "lsm" | "denokv";

/**
 * Every store kind, in the order the facade documents them.
 *
 * @example
 * ```ts
 * import { STORE_KINDS } from "@cooljapan/oxistore";
 * console.log(STORE_KINDS.join(", ")); // "btree, lsm, denokv"
 * ```
 */
export const STORE_KINDS: readonly StoreKind[] = ["btree", "lsm", "denokv"];

/**
 * Combines an old value with an operand for `merge`; `undefined` deletes.
 *
 * @example
 * ```ts
 * import { type MergeOperator, openInMemory } from "@cooljapan/oxistore";
 * const add: MergeOperator = (_key, old, operand) => {
 *   const sum = (old ? new DataView(old.buffer).getUint32(0) : 0) + operand[0]!;
 *   const out = new Uint8Array(4);
 *   new DataView(out.buffer).setUint32(0, sum);
 *   return out;
 * };
 * await using store = await openInMemory("btree", { mergeOperator: add });
 * await store.merge("hits", new Uint8Array([2]));
 * await store.merge("hits", new Uint8Array([3]));
 * console.log((await store.get("hits"))![3]); // 5
 * ```
 */
export type MergeOperator = (
  key: Bytes,
  old: Bytes | undefined,
  operand: Bytes,
) => Bytes | undefined;

/**
 * How a store is opened. Every field is honoured by every engine.
 *
 * @example
 * ```ts
 * import { openConfig, type StoreConfig } from "@cooljapan/oxistore";
 * const config: StoreConfig = { kind: "denokv", syncWrites: true };
 * await using store = await openConfig(`${await Deno.makeTempDir()}/kv.sqlite`, config);
 * console.log(store.kind); // "denokv"
 * ```
 */
export interface StoreConfig {
  /** Engine; default `"btree"`. */
  kind?: StoreKind;
  /** Bytes the engine may use for its page/block cache. */
  cacheSizeBytes?: number;
  /** When true (default), every commit is durable when it resolves. */
  syncWrites?: boolean;
  /** Open an existing store for reading only; writes throw `ReadOnly`. */
  readOnly?: boolean;
  /** The operator behind `merge`. */
  mergeOperator?: MergeOperator;
}

/**
 * Counters since open.
 *
 * @example
 * ```ts
 * import { openInMemory } from "@cooljapan/oxistore";
 * await using store = await openInMemory();
 * await store.put("k", "v");
 * console.log(store.metrics().writes); // 1
 * ```
 */
export interface StoreMetrics {
  reads: number;
  writes: number;
  deletes: number;
  bytesRead: number;
  bytesWritten: number;
  cacheHits: number;
  cacheMisses: number;
}

/**
 * A zeroed metrics record.
 *
 * @example
 * ```ts
 * import { emptyMetrics } from "@cooljapan/oxistore";
 * console.log(emptyMetrics().reads); // 0
 * ```
 */
export function emptyMetrics(): StoreMetrics {
  return {
    reads: 0,
    writes: 0,
    deletes: 0,
    bytesRead: 0,
    bytesWritten: 0,
    cacheHits: 0,
    cacheMisses: 0,
  };
}

/**
 * Hits over lookups, 0 when there were none.
 *
 * @example
 * ```ts
 * import { cacheHitRate, emptyMetrics } from "@cooljapan/oxistore";
 * console.log(cacheHitRate({ ...emptyMetrics(), cacheHits: 3, cacheMisses: 1 })); // 0.75
 * ```
 */
export function cacheHitRate(metrics: StoreMetrics): number {
  const total = metrics.cacheHits + metrics.cacheMisses;
  return total === 0 ? 0 : metrics.cacheHits / total;
}
