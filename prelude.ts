/**
 * The handful of names most programs import.
 *
 * @example
 * ```ts
 * import { openInMemory, StoreError } from "@cooljapan/oxistore/prelude";
 * await using store = await openInMemory("denokv");
 * const kind = await store.put(new Uint8Array(4096), "too long a key").then(
 *   () => "stored",
 *   (err) => err instanceof StoreError ? err.kind : String(err),
 * );
 * if (kind !== "InvalidInput") throw new Error(kind);
 * ```
 *
 * @module
 */
export { migrate, open, openConfig, openInMemory, openReadOnly, openWith } from "./mod.ts";
export { StoreError, type StoreErrorKind } from "./core/error.ts";
export type { Bytes, BytesLike } from "./core/bytes.ts";
export type { StoreConfig, StoreKind, StoreMetrics } from "./core/config.ts";
export type { KvChange, KvEntry, KvSnapshot, KvStore, KvTxn, RangeOptions } from "./core/kv.ts";
