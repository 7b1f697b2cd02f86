/**
 * {@link TypedKvStore}: tuple keys and typed values over any KvStore.
 *
 * @module
 */
import { compareBytes, prefixUpperBound } from "../../core/bytes.ts";
import { StoreError } from "../../core/error.ts";
import type { KvStore, RangeOptions } from "../../core/kv.ts";
import { JsonCodec, type TypedCodec } from "./codecs.ts";
import { decodeKey, encodeKey, type TupleKey } from "./tuple_key.ts";
import { TypedKvError } from "./typed_kv_error.ts";

/** Options of {@link TypedKvStore}. */
export interface TypedKvStoreOptions<V> {
  /** How values become bytes; default `new JsonCodec()`. */
  codec?: TypedCodec<V>;
}

/** Selects entries for {@link TypedKvStore.list}, like `Deno.Kv#list`. */
export interface TypedListOptions<K extends TupleKey> {
  /** Keys that start with these elements (the prefix key itself excluded). */
  prefix?: TupleKey;
  /** First key (inclusive). */
  start?: K | TupleKey;
  /** End key (exclusive). */
  end?: K | TupleKey;
  /** Descending order. */
  reverse?: boolean;
  /** At most this many entries. */
  limit?: number;
}

/** One entry of a typed listing. */
export interface TypedEntry<K, V> {
  /** The decoded tuple key. */
  key: K;
  /** The decoded value. */
  value: V;
}

/**
 * A typed view of a KvStore: keys are tuples (`["user", 42]`), encoded with
 * {@link encodeKey} so listings come in Deno KV's tuple order; values go
 * through a {@link TypedCodec} (JSON by default, {@link BinaryCodec} for
 * bigint, Date, Map, Set, Uint8Array, undefined…). It stacks on any store or
 * layer: `new TypedKvStore(new CachedKvStore(await EncryptedKv.create(inner, …), …))`.
 * Codec failures are {@link TypedKvError}s; the inner store's errors pass
 * through. For what the typed API does not cover (transactions, snapshots,
 * backup, TTL changes), use `inner` with `encodeKey` and the codec.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { TypedKvStore } from "@cooljapan/oxistore/typed";
 * import { openInMemory } from "@cooljapan/oxistore";
 * type User = { name: string; age: number };
 * await using users = new TypedKvStore<[string, number], User>(await openInMemory("denokv"));
 * await users.put(["user", 2], { name: "Bo", age: 41 });
 * await users.put(["user", 10], { name: "Ada", age: 36 });
 * const seen = [];
 * for await (const { key, value } of users.list({ prefix: ["user"] })) seen.push([key, value.name]);
 * deepStrictEqual(seen, [[["user", 2], "Bo"], [["user", 10], "Ada"]]); // numbers in order
 * ```
 */
export class TypedKvStore<K extends TupleKey, V> implements AsyncDisposable {
  /** The byte store underneath. */
  readonly inner: KvStore;
  /** The value codec. */
  readonly codec: TypedCodec<V>;

  /**
   * Wraps `inner`; `InvalidInput` for a non-store or a codec without encode/decode.
   *
   * @param inner any KvStore (closed with this one)
   * @param opts the value codec
   */
  constructor(inner: KvStore, opts: TypedKvStoreOptions<V> = {}) {
    if (inner === null || typeof inner !== "object" || typeof inner.get !== "function") {
      throw new TypedKvError("InvalidInput", "Cannot create TypedKvStore: inner must be a KvStore");
    }
    const codec = opts.codec ?? new JsonCodec<V>();
    if (typeof codec.encode !== "function" || typeof codec.decode !== "function") {
      throw new TypedKvError(
        "InvalidInput",
        "Cannot create TypedKvStore: codec needs encode and decode",
      );
    }
    this.inner = inner;
    this.codec = codec;
  }

  #value(bytes: Uint8Array): V {
    try {
      return this.codec.decode(bytes);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new TypedKvError("Corruption", "Cannot decode value: the codec failed", {
        cause: err,
      });
    }
  }

  #bytes(value: V): Uint8Array {
    try {
      return this.codec.encode(value);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new TypedKvError("InvalidInput", "Cannot encode value: the codec failed", {
        cause: err,
      });
    }
  }

  /**
   * Stores `value` under `key`, replacing any value and TTL.
   *
   * @param key the tuple key
   * @param value the value
   */
  put(key: K, value: V): Promise<void> {
    return this.inner.put(encodeKey(key), this.#bytes(value));
  }

  /**
   * Stores `value` under `key` for `ttlMs` milliseconds.
   *
   * @param key the tuple key
   * @param value the value
   * @param ttlMs lifetime in ms
   */
  putWithTtl(key: K, value: V, ttlMs: number): Promise<void> {
    return this.inner.putWithTtl(encodeKey(key), this.#bytes(value), ttlMs);
  }

  /**
   * The value under `key`.
   *
   * @param key the tuple key
   * @returns the value, or undefined when absent or expired
   */
  async get(key: K): Promise<V | undefined> {
    const bytes = await this.inner.get(encodeKey(key));
    return bytes === undefined ? undefined : this.#value(bytes);
  }

  /**
   * The value under `key`, read synchronously (see `KvStore.getSync`: the
   * B-tree and LSM engines; `Unsupported` on Deno KV and through encryption).
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { openInMemory } from "@cooljapan/oxistore";
   * import { TypedKvStore } from "@cooljapan/oxistore/typed";
   * await using users = new TypedKvStore<[string, number], { name: string }>(
   *   await openInMemory("btree"),
   * );
   * await users.put(["user", 1], { name: "Ada" });
   * strictEqual(users.getSync(["user", 1])?.name, "Ada");
   * ```
   *
   * @param key the tuple key
   * @returns the value, or undefined when absent or expired
   */
  getSync(key: K): V | undefined {
    const bytes = this.inner.getSync(encodeKey(key));
    return bytes === undefined ? undefined : this.#value(bytes);
  }

  /**
   * Values of several keys, in input order.
   *
   * @param keys tuple keys
   * @returns values (undefined where absent)
   */
  async getMany(keys: K[]): Promise<(V | undefined)[]> {
    const raw = await this.inner.getMany(keys.map((k) => encodeKey(k)));
    return raw.map((b) => b === undefined ? undefined : this.#value(b));
  }

  /**
   * Removes `key`; no-op when absent.
   *
   * @param key the tuple key
   */
  delete(key: K): Promise<void> {
    return this.inner.delete(encodeKey(key));
  }

  /**
   * Whether `key` holds a live value.
   *
   * @param key the tuple key
   * @returns true when present
   */
  contains(key: K): Promise<boolean> {
    return this.inner.contains(encodeKey(key));
  }

  /**
   * Entries in tuple order: those under `prefix` (not the prefix key itself,
   * as in Deno KV), from `start` (inclusive) to `end` (exclusive).
   *
   * @param opts prefix, bounds, direction and limit
   * @returns the entries
   */
  list(opts: TypedListOptions<K> = {}): AsyncIterableIterator<TypedEntry<K, V>> {
    const sel = select(opts);
    const source = sel.empty ? undefined : this.inner.range(sel.lo, sel.hi, sel.rangeOpts);
    const entry = (k: Uint8Array, v: Uint8Array) => this.#entry(sel, k, v);
    async function* run(): AsyncGenerator<TypedEntry<K, V>> {
      if (source === undefined || sel.limit === 0) return;
      let n = 0;
      for await (const [k, v] of source) {
        const e = entry(k, v);
        if (e === undefined) continue;
        yield e;
        if (++n >= sel.limit) break;
      }
    }
    return run();
  }

  /**
   * {@link TypedKvStore.list} as a synchronous iterator (see
   * `KvStore.rangeSync`: `Unsupported` on Deno KV and through encryption).
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { openInMemory } from "@cooljapan/oxistore";
   * import { TypedKvStore } from "@cooljapan/oxistore/typed";
   * await using store = new TypedKvStore<[string, number], string>(await openInMemory("lsm"));
   * await store.put(["n", 1], "one");
   * await store.put(["n", 2], "two");
   * const values = [...store.listSync({ prefix: ["n"], reverse: true })].map((e) => e.value);
   * deepStrictEqual(values, ["two", "one"]);
   * ```
   *
   * @param opts prefix, bounds, direction and limit
   * @returns the entries
   */
  listSync(opts: TypedListOptions<K> = {}): IterableIterator<TypedEntry<K, V>> {
    const sel = select(opts);
    const source = sel.empty ? undefined : this.inner.rangeSync(sel.lo, sel.hi, sel.rangeOpts);
    const entry = (k: Uint8Array, v: Uint8Array) => this.#entry(sel, k, v);
    function* run(): Generator<TypedEntry<K, V>, undefined, undefined> {
      if (source === undefined || sel.limit === 0) return;
      let n = 0;
      for (const [k, v] of source) {
        const e = entry(k, v);
        if (e === undefined) continue;
        yield e;
        if (++n >= sel.limit) break;
      }
    }
    return run();
  }

  /** A listed entry, or undefined for the prefix key itself (Deno KV skips it). */
  #entry(sel: Selection, k: Uint8Array, v: Uint8Array): TypedEntry<K, V> | undefined {
    if (sel.exclude !== undefined && k.length === sel.exclude.length) return undefined;
    return { key: decodeKey(k) as unknown as K, value: this.#value(v) };
  }

  /**
   * How many keys start with `prefix` (all keys by default; the prefix key
   * itself excluded, as in `list`).
   *
   * @param prefix a tuple prefix
   * @returns the count
   */
  async count(prefix: TupleKey = []): Promise<number> {
    if (prefix.length === 0) return await this.inner.count();
    let n = 0;
    const p = encodeKey(prefix);
    for await (const [k] of this.inner.prefixScan(p)) if (k.length !== p.length) n++;
    return n;
  }

  /**
   * A typed store over the inner store's named tree.
   *
   * @param name the tree name
   * @returns the typed tree
   */
  tree(name: string): TypedKvStore<K, V> {
    return new TypedKvStore<K, V>(this.inner.tree(name), { codec: this.codec });
  }

  /** Closes the inner store. */
  close(): Promise<void> {
    return this.inner.close();
  }

  /** `await using store = …` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The byte range a typed listing reads, and what it skips. */
interface Selection {
  lo: Uint8Array | undefined;
  hi: Uint8Array | undefined;
  /** The prefix key itself, which a prefix listing leaves out. */
  exclude: Uint8Array | undefined;
  limit: number;
  empty: boolean;
  rangeOpts: RangeOptions;
}

function select<K extends TupleKey>(opts: TypedListOptions<K>): Selection {
  let lo: Uint8Array | undefined;
  let hi: Uint8Array | undefined;
  let exclude: Uint8Array | undefined;
  if (opts.prefix !== undefined) {
    exclude = encodeKey(opts.prefix);
    lo = exclude;
    hi = prefixUpperBound(exclude);
  }
  if (opts.start !== undefined) {
    const s = encodeKey(opts.start);
    if (lo === undefined || compareBytes(s, lo) > 0) lo = s;
  }
  if (opts.end !== undefined) {
    const e = encodeKey(opts.end);
    if (hi === undefined || compareBytes(e, hi) < 0) hi = e;
  }
  const limit = opts.limit ?? Infinity;
  if (typeof limit !== "number" || !(limit >= 0)) {
    throw new TypedKvError("InvalidInput", `Invalid list limit: ${String(opts.limit)}`);
  }
  const empty = lo !== undefined && hi !== undefined && compareBytes(lo, hi) >= 0;
  // One more than the limit, in case the prefix key itself comes first.
  const rangeOpts: RangeOptions = {
    reverse: opts.reverse === true,
    ...(Number.isFinite(limit) ? { limit: limit + 1 } : {}),
  };
  return { lo, hi, exclude, limit, empty, rangeOpts };
}
