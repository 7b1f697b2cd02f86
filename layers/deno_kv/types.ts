/**
 * The types of the Deno KV API, named and shaped as Deno's (`Deno.KvKey`, `Deno.KvEntry`, …),
 * so values typed with ours are assignable to Deno's where Deno declares them.
 *
 * @example
 * ```ts
 * import { type KvKey, openKv } from "@cooljapan/oxistore/deno-kv";
 * await using kv = await openKv();
 * const key: KvKey = ["users", 1];
 * await kv.set(key, "ada");
 * if ((await kv.get<string>(key)).value !== "ada") throw new Error("lost the value");
 * ```
 *
 * @module
 */
import type { KvU64 } from "./kv_u64.ts";

/**
 * One part of a key.
 *
 * @example
 * ```ts
 * import type { KvKeyPart } from "@cooljapan/oxistore/deno-kv";
 * const parts: KvKeyPart[] = ["a", 1, 2n, true, new Uint8Array([0])];
 * if (parts.length !== 5) throw new Error();
 * ```
 */
export type KvKeyPart = Uint8Array | string | number | bigint | boolean | symbol;
/**
 * A key: an array of parts, ordered part by part (`Uint8Array < string < bigint < number < boolean`).
 *
 * @example
 * ```ts
 * import type { KvKey } from "@cooljapan/oxistore/deno-kv";
 * const key: KvKey = ["users", 42];
 * if (key.length !== 2) throw new Error();
 * ```
 */
export type KvKey = readonly KvKeyPart[];
/**
 * `"strong"` (read your writes) or `"eventual"`; every oxistore read is strong.
 *
 * @example
 * ```ts
 * import type { KvConsistencyLevel } from "@cooljapan/oxistore/deno-kv";
 * const c: KvConsistencyLevel = "eventual";
 * if (c !== "eventual") throw new Error();
 * ```
 */
export type KvConsistencyLevel = "strong" | "eventual";

/**
 * A present entry.
 *
 * @example
 * ```ts
 * import type { KvEntry } from "@cooljapan/oxistore/deno-kv";
 * const e: KvEntry<number> = { key: ["n"], value: 1, versionstamp: "00000000000000010000" };
 * if (e.versionstamp.length !== 20) throw new Error();
 * ```
 */
export type KvEntry<T> = { key: KvKey; value: T; versionstamp: string };
/**
 * An entry that may be absent (`value` and `versionstamp` null).
 *
 * @example
 * ```ts
 * import type { KvEntryMaybe } from "@cooljapan/oxistore/deno-kv";
 * const e: KvEntryMaybe<string> = { key: ["x"], value: null, versionstamp: null };
 * if (e.value !== null) throw new Error();
 * ```
 */
export type KvEntryMaybe<T> = KvEntry<T> | { key: KvKey; value: null; versionstamp: null };

/**
 * A selector of `list`: a prefix (optionally bounded by start or end), or a start and an end.
 *
 * @example
 * ```ts
 * import type { KvListSelector } from "@cooljapan/oxistore/deno-kv";
 * const s: KvListSelector = { prefix: ["users"], start: ["users", 10] };
 * if (!("prefix" in s)) throw new Error();
 * ```
 */
export type KvListSelector =
  | { prefix: KvKey }
  | { prefix: KvKey; start: KvKey }
  | { prefix: KvKey; end: KvKey }
  | { start: KvKey; end: KvKey };

/**
 * Options of `list`.
 *
 * @example
 * ```ts
 * import type { KvListOptions } from "@cooljapan/oxistore/deno-kv";
 * const o: KvListOptions = { limit: 10, reverse: true };
 * if (o.limit !== 10) throw new Error();
 * ```
 */
export interface KvListOptions {
  /** At most this many entries. */
  limit?: number;
  /** Resume after the entry this cursor names (from a previous iterator's `cursor`). */
  cursor?: string;
  /** Descending key order. */
  reverse?: boolean;
  /** Accepted for compatibility; every read is strong. */
  consistency?: KvConsistencyLevel;
  /** Entries fetched per round (default: `limit`, or 100; at most 1000). */
  batchSize?: number;
}

/**
 * A check of an atomic operation: the key's versionstamp must still be this (`null` = absent).
 *
 * @example
 * ```ts
 * import type { AtomicCheck } from "@cooljapan/oxistore/deno-kv";
 * const c: AtomicCheck = { key: ["k"], versionstamp: null };
 * if (c.versionstamp !== null) throw new Error();
 * ```
 */
export interface AtomicCheck {
  /** The key to check. */
  key: KvKey;
  /** The versionstamp it must still have; `null` means it must be absent. */
  versionstamp: string | null;
}

/**
 * One mutation of an atomic operation, as `AtomicOperation.mutate` takes it.
 *
 * @example
 * ```ts
 * import { KvU64, type KvMutation } from "@cooljapan/oxistore/deno-kv";
 * const m: KvMutation = { type: "sum", key: ["visits"], value: new KvU64(1n) };
 * if (m.type !== "sum") throw new Error();
 * ```
 */
export type KvMutation =
  & { key: KvKey }
  & (
    | { type: "set"; value: unknown; expireIn?: number }
    | { type: "delete" }
    | { type: "sum"; value: KvU64 }
    | { type: "max"; value: KvU64 }
    | { type: "min"; value: KvU64 }
  );

/**
 * The result of a committed write.
 *
 * @example
 * ```ts
 * import { openKv, type KvCommitResult } from "@cooljapan/oxistore/deno-kv";
 * await using kv = await openKv();
 * const r: KvCommitResult = await kv.set(["k"], 1);
 * if (!r.ok || r.versionstamp.length !== 20) throw new Error();
 * ```
 */
export interface KvCommitResult {
  /** Always true: the write committed. */
  ok: true;
  /** The versionstamp of the commit, 20 hex digits. */
  versionstamp: string;
}
/**
 * The result of an atomic operation whose checks failed.
 *
 * @example
 * ```ts
 * import type { KvCommitError } from "@cooljapan/oxistore/deno-kv";
 * const r: KvCommitError = { ok: false };
 * if (r.ok) throw new Error();
 * ```
 */
export interface KvCommitError {
  /** Always false: a check failed and nothing was written. */
  ok: false;
}

/**
 * Options of `enqueue`.
 *
 * @example
 * ```ts
 * import type { KvEnqueueOptions } from "@cooljapan/oxistore/deno-kv";
 * const o: KvEnqueueOptions = { delay: 1000, keysIfUndelivered: [["failed", 1]] };
 * if (o.delay !== 1000) throw new Error();
 * ```
 */
export interface KvEnqueueOptions {
  /** Milliseconds before the first delivery (at most 30 days). */
  delay?: number;
  /** Keys set to the message when every delivery failed. */
  keysIfUndelivered?: KvKey[];
  /** Milliseconds between retries (at most 5; default `[100, 1000, 5000, 30000, 60000]`). */
  backoffSchedule?: number[];
}
