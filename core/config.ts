/**
 * Store configuration and the counters every store keeps.
 *
 * @module
 */
import type { Bytes } from "./bytes.ts";
import { StoreError } from "./error.ts";

/**
 * Which engine a store runs on.
 *
 * @example
 * ```ts
 * import { openInMemory, type StoreKind } from "@cooljapan/oxistore";
 * const kind: StoreKind = "lsm";
 * await using store = await openInMemory(kind);
 * if (store.kind !== kind) throw new Error(store.kind);
 * ```
 */
export type StoreKind = "btree" | "lsm" | "denokv";

/**
 * Every store kind, in the order the facade documents them.
 *
 * @example
 * ```ts
 * import { STORE_KINDS } from "@cooljapan/oxistore";
 * if (STORE_KINDS.join(", ") !== "btree, lsm, denokv") throw new Error(STORE_KINDS.join());
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
 *   const sum = (old ? new DataView(old.buffer, old.byteOffset, 4).getUint32(0) : 0) + operand[0]!;
 *   const out = new Uint8Array(4);
 *   new DataView(out.buffer).setUint32(0, sum);
 *   return out;
 * };
 * await using store = await openInMemory("btree", { mergeOperator: add });
 * await store.merge("hits", new Uint8Array([2]));
 * await store.merge("hits", new Uint8Array([3]));
 * const hits = (await store.get("hits"))![3];
 * if (hits !== 5) throw new Error(`expected 5, got ${hits}`);
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
 * if (store.kind !== "denokv") throw new Error(store.kind);
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
 * const { writes } = store.metrics();
 * if (writes !== 1) throw new Error(`expected 1 write, got ${writes}`);
 * ```
 */
export interface StoreMetrics {
  /** Keys read: point reads that found a value, and every row a scan returned. */
  reads: number;
  /** Keys written (put, batch, transaction, merge, restore, migrate). */
  writes: number;
  /** Keys deleted. */
  deletes: number;
  /** Key and value bytes returned by reads. */
  bytesRead: number;
  /** Key and stored value bytes written. */
  bytesWritten: number;
  /** Lookups the engine's page, block or value cache answered. */
  cacheHits: number;
  /** Lookups that went past the cache. */
  cacheMisses: number;
}

/** A zeroed metrics record (core's starting point; not part of the public API). */
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
 * import { cacheHitRate, openInMemory } from "@cooljapan/oxistore";
 * await using store = await openInMemory("btree");
 * const rate = cacheHitRate({ ...store.metrics(), cacheHits: 3, cacheMisses: 1 });
 * if (rate !== 0.75) throw new Error(`expected 0.75, got ${rate}`);
 * ```
 */
export function cacheHitRate(metrics: StoreMetrics): number {
  const total = metrics.cacheHits + metrics.cacheMisses;
  return total === 0 ? 0 : metrics.cacheHits / total;
}

/**
 * `kind` as a {@link StoreKind}; anything else is `InvalidInput` naming the
 * operation (e.g. `"open store at ./data"`).
 */
export function checkKind(kind: unknown, op: string): StoreKind {
  if (typeof kind === "string" && (STORE_KINDS as readonly string[]).includes(kind)) {
    return kind as StoreKind;
  }
  throw new StoreError(
    "InvalidInput",
    `Cannot ${op}: unknown store kind ${JSON.stringify(kind)}, expected one of ${
      STORE_KINDS.join(", ")
    }`,
  );
}

const CONFIG_FIELDS: readonly string[] = [
  "kind",
  "cacheSizeBytes",
  "syncWrites",
  "readOnly",
  "mergeOperator",
];

/**
 * Checks a {@link StoreConfig} once for every engine and the facade: unknown
 * fields and wrong types are `InvalidInput` naming the operation and path.
 * When `engine` is given, a `kind` naming another engine is refused too (an
 * engine's own open function was called with another engine's config).
 */
export function checkStoreConfig(config: unknown, op: string, engine?: StoreKind): StoreConfig {
  if (config === undefined) return {};
  const bad = (why: string) => new StoreError("InvalidInput", `Cannot ${op}: ${why}`);
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw bad(
      `invalid StoreConfig: expected an object, got ${config === null ? "null" : typeof config}`,
    );
  }
  const c = config as Record<string, unknown>;
  for (const field of Object.keys(c)) {
    if (!CONFIG_FIELDS.includes(field)) throw bad(`invalid StoreConfig: unknown field "${field}"`);
  }
  if (c.kind !== undefined) {
    const kind = checkKind(c.kind, op);
    if (engine !== undefined && kind !== engine) {
      throw bad(`invalid StoreConfig.kind: "${kind}" given to the ${engine} engine`);
    }
  }
  const size = c.cacheSizeBytes;
  if (size !== undefined && (typeof size !== "number" || !Number.isFinite(size) || size < 0)) {
    throw bad(`invalid StoreConfig.cacheSizeBytes: expected a number >= 0, got ${String(size)}`);
  }
  for (const field of ["syncWrites", "readOnly"]) {
    if (c[field] !== undefined && typeof c[field] !== "boolean") {
      throw bad(`invalid StoreConfig.${field}: expected a boolean, got ${typeof c[field]}`);
    }
  }
  if (c.mergeOperator !== undefined && typeof c.mergeOperator !== "function") {
    throw bad(`invalid StoreConfig.mergeOperator: expected a function`);
  }
  return c as StoreConfig;
}
