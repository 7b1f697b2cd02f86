/**
 * Store configuration and the counters every store keeps.
 *
 * @module
 */
import type { Bytes } from "./bytes.ts";

/** Which engine a store runs on. */
export type StoreKind = "btree" | "lsm" | "denokv";

/** Every store kind, in the order the facade documents them. */
export const STORE_KINDS: readonly StoreKind[] = ["btree", "lsm", "denokv"];

/** Combines an old value with an operand for `merge`; `undefined` deletes. */
export type MergeOperator = (
  key: Bytes,
  old: Bytes | undefined,
  operand: Bytes,
) => Bytes | undefined;

/** How a store is opened. Every field is honoured by every engine. */
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

/** Counters since open. */
export interface StoreMetrics {
  reads: number;
  writes: number;
  deletes: number;
  bytesRead: number;
  bytesWritten: number;
  cacheHits: number;
  cacheMisses: number;
}

/** A zeroed metrics record. */
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
