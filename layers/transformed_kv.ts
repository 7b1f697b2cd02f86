/**
 * {@link TransformedKv}: a KvStore whose values pass through a
 * {@link ValueTransform} on the way in and out — the shared base of the
 * encryption and compression layers.
 *
 * @module
 */
import {
  type Bytes,
  type BytesLike,
  checkKey,
  checkValue,
  equalBytes,
  toBytes,
} from "../core/bytes.ts";
import type { MergeOperator, StoreKind, StoreMetrics } from "../core/config.ts";
import { inStore, StoreError } from "../core/error.ts";
import type { BackupSource, BackupTarget } from "../core/backup_format.ts";
import type {
  KeysIter,
  KvChange,
  KvEntry,
  KvSnapshot,
  KvStore,
  KvTxn,
  RangeIter,
  RangeOptions,
} from "../core/kv.ts";
import { TransformedSnapshot, TransformedTxn } from "./_transformed_views.ts";

/** Turns a user value into its stored form and back. */
export interface ValueTransform {
  /** The layer's name, for error messages (e.g. "encrypt"). */
  readonly name: string;
  /** The stored form of `value` under `key`. */
  encode(key: Uint8Array, value: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** The user value of a stored form; a bad stored form throws `Corruption`. */
  decode(key: Uint8Array, stored: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /**
   * `decode` done synchronously, for transforms that can: without it the
   * layer's `getSync` and `rangeSync` throw `Unsupported`.
   */
  decodeSync?(key: Uint8Array, stored: Uint8Array): Uint8Array;
}

/** Options of a {@link TransformedKv}. */
export interface TransformedKvOptions {
  /**
   * The operator behind `merge`, applied to decoded values. The inner store's
   * own operator would see encoded bytes, so the layer runs the operator
   * itself, in a read / compare-and-swap loop. Without one, `merge` throws
   * `Unsupported`.
   */
  mergeOperator?: MergeOperator;
}

/** CAS retries before a contended swap gives up with `TxnConflict`. */
const MAX_RETRIES = 1000;

/**
 * A KvStore that stores `transform.encode(key, value)` in `inner` and returns
 * `transform.decode(key, stored)`. Keys, ordering, TTLs, scans, trees,
 * transactions, snapshots, watch, backup and restore all pass through (a
 * backup holds the encoded values). Because encoded values may differ for
 * equal inputs, `compareAndSwap` compares decoded values and swaps the exact
 * stored bytes it read, retrying when another writer got there first; `merge`
 * works the same way with `options.mergeOperator`. Both keep the key's TTL
 * on a best-effort basis (re-applied right after the swap).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { TransformedKv } from "@cooljapan/oxistore/compress";
 * import { openInMemory } from "@cooljapan/oxistore";
 * const reverse = {
 *   name: "reverse",
 *   encode: (_k: Uint8Array, v: Uint8Array) => v.toReversed(),
 *   decode: (_k: Uint8Array, v: Uint8Array) => v.toReversed(),
 * };
 * await using store = new TransformedKv(await openInMemory("denokv"), reverse);
 * await store.put("k", "abc");
 * strictEqual(new TextDecoder().decode(await store.get("k")), "abc");
 * ```
 */
export class TransformedKv implements KvStore {
  /** The wrapped store. */
  readonly inner: KvStore;
  /** How values are encoded. */
  protected readonly transform: ValueTransform;
  /** The options this layer was made with. */
  protected readonly options: TransformedKvOptions;

  /**
   * Wraps `inner`; values go through `transform`.
   *
   * @param inner the store holding encoded values (closed with this one)
   * @param transform the value encoding
   * @param options merge operator
   */
  constructor(inner: KvStore, transform: ValueTransform, options: TransformedKvOptions = {}) {
    if (inner === null || typeof inner !== "object" || typeof inner.get !== "function") {
      throw new StoreError(
        "InvalidInput",
        `Cannot create the ${transform?.name ?? "value"} layer: inner must be a KvStore`,
      );
    }
    if (options.mergeOperator !== undefined && typeof options.mergeOperator !== "function") {
      throw new StoreError(
        "InvalidInput",
        `Cannot create the ${transform.name} layer: mergeOperator must be a function`,
      );
    }
    this.inner = inner;
    this.transform = transform;
    this.options = options;
  }

  /** The same layer over another store (a tree of the inner one). */
  protected wrap(inner: KvStore): KvStore {
    return new TransformedKv(inner, this.transform, this.options);
  }

  /** Which engine runs the inner store. */
  get kind(): StoreKind {
    return this.inner.kind;
  }

  /** Where the inner store lives. */
  get path(): string {
    return this.inner.path;
  }

  /** `op` with the store it runs in, as every error message says it. */
  #in(op: string): string {
    return `${op} in store at ${this.path}`;
  }

  #encode(key: Uint8Array, value: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve(this.transform.encode(key, value));
  }

  #decode(key: Uint8Array, stored: Uint8Array): Promise<Uint8Array> {
    try {
      return Promise.resolve(this.transform.decode(key, stored)).catch((err) => {
        throw inStore(err, `read through the ${this.transform.name} layer`, this.path);
      });
    } catch (err) {
      return Promise.reject(
        inStore(err, `read through the ${this.transform.name} layer`, this.path),
      );
    }
  }

  /** The decoded value, or undefined if absent or expired. */
  async get(key: BytesLike): Promise<Bytes | undefined> {
    const k = checkKey(key, this.#in("get"));
    const raw = await this.inner.get(k);
    return raw === undefined ? undefined : await this.#decode(k, raw);
  }

  /** The synchronous decoder, or `Unsupported` naming `op` and what to use instead. */
  #syncDecoder(op: string, asyncOp: string): (key: Uint8Array, stored: Uint8Array) => Uint8Array {
    const t = this.transform;
    if (typeof t.decodeSync !== "function") {
      throw new StoreError(
        "Unsupported",
        `Cannot ${this.#in(op)} through the ${t.name} layer: it decodes values asynchronously; ` +
          `use the async ${asyncOp}`,
      );
    }
    return (key, stored) => t.decodeSync!(key, stored);
  }

  /** The decoded value, read and decoded synchronously (see `KvStore.getSync`). */
  getSync(key: BytesLike): Bytes | undefined {
    const decode = this.#syncDecoder("getSync", "get");
    const k = checkKey(key, this.#in("getSync"));
    const raw = this.inner.getSync(k);
    return raw === undefined ? undefined : decode(k, raw);
  }

  /** Entries in `[lo, hi)`, decoded, as a synchronous iterator (see `KvStore.rangeSync`). */
  rangeSync(lo?: BytesLike, hi?: BytesLike, opts?: RangeOptions): IterableIterator<KvEntry> {
    const decode = this.#syncDecoder("rangeSync", "range");
    const source = this.inner.rangeSync(lo, hi, opts);
    function* run(): Generator<KvEntry, undefined, undefined> {
      for (const [k, v] of source) yield [k, decode(k, v)];
    }
    return run();
  }

  /** True when present and not expired. */
  contains(key: BytesLike): Promise<boolean> {
    return this.inner.contains(key);
  }

  /** Decoded values in input order. */
  async getMany(keys: BytesLike[]): Promise<(Bytes | undefined)[]> {
    const raws = await this.inner.getMany(keys);
    return await Promise.all(
      raws.map((raw, i) => raw === undefined ? undefined : this.#decode(toBytes(keys[i]!), raw)),
    );
  }

  /** Encodes and stores; clears any TTL. */
  async put(key: BytesLike, value: BytesLike): Promise<void> {
    const k = checkKey(key, this.#in("put"));
    await this.inner.put(k, await this.#encode(k, checkValue(value, this.#in("put"))));
  }

  /** Remove; no-op when absent. */
  delete(key: BytesLike): Promise<void> {
    return this.inner.delete(key);
  }

  /** Encodes every value, then writes all pairs or none. */
  async batchWrite(pairs: [BytesLike, BytesLike][]): Promise<void> {
    if (!Array.isArray(pairs)) return this.inner.batchWrite(pairs);
    const encoded: [Uint8Array, Uint8Array][] = [];
    for (const p of pairs) {
      if (!Array.isArray(p) || p.length !== 2) return this.inner.batchWrite(pairs);
      const k = checkKey(p[0], this.#in("batchWrite"));
      encoded.push([k, await this.#encode(k, checkValue(p[1], this.#in("batchWrite")))]);
    }
    await this.inner.batchWrite(encoded);
  }

  /** Deletes all keys or none. */
  batchDelete(keys: BytesLike[]): Promise<void> {
    return this.inner.batchDelete(keys);
  }

  /** Decodes a scan of the inner store (started now, so bad arguments throw now). */
  #decoded(source: RangeIter): RangeIter {
    const decode = (k: Uint8Array, v: Uint8Array) => this.#decode(k, v);
    async function* run(): AsyncGenerator<KvEntry> {
      for await (const [k, v] of source) yield [k, await decode(k, v)];
    }
    return run();
  }

  /** Entries in `[lo, hi)`, decoded. */
  range(lo?: BytesLike, hi?: BytesLike, opts?: RangeOptions): RangeIter {
    return this.#decoded(this.inner.range(lo, hi, opts));
  }

  /** Entries in `[lo, hi)`, descending, decoded. */
  rangeRev(lo?: BytesLike, hi?: BytesLike): RangeIter {
    return this.#decoded(this.inner.rangeRev(lo, hi));
  }

  /** Entries under `prefix`, decoded. */
  prefixScan(prefix: BytesLike, opts?: RangeOptions): RangeIter {
    return this.#decoded(this.inner.prefixScan(prefix, opts));
  }

  /** Every entry, decoded. */
  iter(): RangeIter {
    return this.#decoded(this.inner.iter());
  }

  /** Every key, under `prefix` when given (values are not loaded or decoded). */
  keys(prefix?: BytesLike): KeysIter {
    return this.inner.keys(prefix);
  }

  /** Live keys (under `prefix` when given). */
  count(prefix?: BytesLike): Promise<number> {
    return this.inner.count(prefix);
  }

  /** Approximate bytes on disk of the inner store. */
  sizeOnDisk(): Promise<number> {
    return this.inner.sizeOnDisk();
  }

  #fail(op: string, kind: "CasMismatch" | "TxnConflict", detail: string): StoreError {
    return new StoreError(
      kind,
      `Cannot ${this.#in(op)} through the ${this.transform.name} layer: ${detail}`,
    );
  }

  /**
   * Swaps exactly the stored bytes `raw` (undefined: absent) for `stored`
   * (null: delete) in the inner store; false when another writer changed them
   * first. A key that had a TTL (`ttl` ms remaining at `t0`) keeps its
   * deadline when a value stays, unless a newer write replaced ours meanwhile.
   */
  protected async swapStored(
    key: Uint8Array,
    raw: Uint8Array | undefined,
    stored: Uint8Array | null,
    ttl: number | undefined,
    t0: number,
  ): Promise<boolean> {
    try {
      await this.inner.compareAndSwap(key, raw ?? null, stored);
    } catch (err) {
      if ((err as StoreError).kind === "CasMismatch") return false;
      throw err;
    }
    if (stored !== null && ttl !== undefined && raw !== undefined) {
      const now = await this.inner.get(key);
      if (now !== undefined && equalBytes(now, stored)) {
        await this.inner.expire(key, Math.max(1, t0 + ttl - Date.now()));
      }
    }
    return true;
  }

  /**
   * Reads the stored bytes, lets `decide` pick the next plaintext from the
   * decoded current one, and swaps exactly the bytes read; retries when
   * another writer changed them first.
   */
  async #swapLoop(
    op: string,
    k: Uint8Array,
    decide: (cur: Uint8Array | undefined) => Uint8Array | null,
  ): Promise<void> {
    for (let attempt = 0;; attempt++) {
      // Bytes first, then TTL: if the key changes in between, the swap fails.
      const raw = await this.inner.get(k);
      const t0 = Date.now();
      const ttl = raw === undefined ? undefined : await this.inner.ttl(k);
      const cur = raw === undefined ? undefined : await this.#decode(k, raw);
      const next = decide(cur);
      const stored = next === null ? null : await this.#encode(k, next);
      if (await this.swapStored(k, raw, stored, ttl, t0)) return;
      if (attempt >= MAX_RETRIES) {
        throw this.#fail(op, "TxnConflict", "the key kept changing; retry");
      }
    }
  }

  /** Atomic swap comparing decoded values; `null` means absent / delete. */
  async compareAndSwap(
    key: BytesLike,
    expected: BytesLike | null,
    next: BytesLike | null,
  ): Promise<void> {
    const k = checkKey(key, this.#in("compareAndSwap"));
    const want = expected === null ? null : toBytes(expected, "expected value");
    const nextBytes = next === null ? null : checkValue(next, this.#in("compareAndSwap"));
    await this.#swapLoop("compareAndSwap", k, (cur) => {
      const ok = want === null ? cur === undefined : cur !== undefined && equalBytes(cur, want);
      if (!ok) {
        throw this.#fail(
          "compareAndSwap",
          "CasMismatch",
          `the current value ${cur === undefined ? "is absent" : "differs from the expected one"}`,
        );
      }
      return nextBytes;
    });
  }

  /** Encodes and stores with a TTL. */
  async putWithTtl(key: BytesLike, value: BytesLike, ttlMs: number): Promise<void> {
    const k = checkKey(key, this.#in("putWithTtl"));
    await this.inner.putWithTtl(
      k,
      await this.#encode(k, checkValue(value, this.#in("putWithTtl"))),
      ttlMs,
    );
  }

  /** Sets a TTL on a live key; false if absent. */
  expire(key: BytesLike, ttlMs: number): Promise<boolean> {
    return this.inner.expire(key, ttlMs);
  }

  /** Remaining ms, or undefined if absent or without TTL. */
  ttl(key: BytesLike): Promise<number | undefined> {
    return this.inner.ttl(key);
  }

  /** Drops a TTL; false if absent or had none. */
  persist(key: BytesLike): Promise<boolean> {
    return this.inner.persist(key);
  }

  /** Removes expired keys now. */
  purgeExpired(): Promise<number> {
    return this.inner.purgeExpired();
  }

  /** A transaction that encodes its writes and decodes its reads. */
  async transaction(): Promise<KvTxn> {
    const txn = await this.inner.transaction();
    return new TransformedTxn(
      txn,
      (k, v) => this.#encode(k, v),
      (s) => this.#decoded(s),
      (k, v) => this.#decode(k, v),
    );
  }

  /** A point-in-time view with decoded values. */
  async snapshot(): Promise<KvSnapshot> {
    const snap = await this.inner.snapshot();
    return new TransformedSnapshot(snap, (s) => this.#decoded(s), (k, v) => this.#decode(k, v));
  }

  /** Everything committed so far is durable on return. */
  flush(): Promise<void> {
    return this.inner.flush();
  }

  /** Reclaims space in the inner store. */
  compact(): Promise<void> {
    return this.inner.compact();
  }

  /** A consistent copy of the inner store; it holds encoded values. */
  backup(target: BackupTarget): Promise<void> {
    return this.inner.backup(target);
  }

  /** Replaces the inner store's contents with a backup's. */
  restore(source: BackupSource): Promise<void> {
    return this.inner.restore(source);
  }

  /** Committed changes under `prefix`, values decoded. */
  watch(prefix: BytesLike): AsyncIterableIterator<KvChange> {
    const source = this.inner.watch(prefix);
    const decode = (k: Uint8Array, v: Uint8Array) => this.#decode(k, v);
    // A plain iterator, not a generator: `return()` must reach the inner
    // watch at once, even while a `next()` is still waiting for a change.
    const it: AsyncIterableIterator<KvChange> = {
      async next(): Promise<IteratorResult<KvChange>> {
        const r = await source.next();
        if (r.done) return { done: true, value: undefined };
        const c = r.value;
        const value = c.value === undefined ? undefined : await decode(c.key, c.value);
        return { done: false, value: { key: c.key, value } };
      },
      async return(): Promise<IteratorResult<KvChange>> {
        await source.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }

  /** The same layer over a named tree of the inner store. */
  tree(name: string): KvStore {
    return this.wrap(this.inner.tree(name));
  }

  /** `value = mergeOperator(key, old, operand)` on decoded values, atomically. */
  async merge(key: BytesLike, operand: BytesLike): Promise<void> {
    const op = this.options.mergeOperator;
    if (op === undefined) {
      // An empty batch makes the inner store report Closed or ReadOnly first.
      await this.inner.batchDelete([]);
      throw new StoreError(
        "Unsupported",
        `Cannot merge through the ${this.transform.name} layer: no merge operator; pass ` +
          `mergeOperator in the layer's options (the inner store's operator would see encoded bytes)`,
      );
    }
    const k = checkKey(key, this.#in("merge"));
    const arg = checkValue(operand, this.#in("merge"));
    await this.#swapLoop("merge", k, (cur) => {
      let next: Uint8Array | undefined;
      try {
        next = op(k.slice(), cur, arg);
      } catch (err) {
        throw new StoreError(
          "Other",
          `Cannot merge through the ${this.transform.name} layer: the merge operator threw`,
          { cause: err },
        );
      }
      if (next === undefined) return null;
      if (!(next instanceof Uint8Array)) {
        throw new StoreError(
          "InvalidInput",
          "Cannot merge: the merge operator must return a Uint8Array or undefined",
        );
      }
      return checkValue(next, this.#in("merge"));
    });
  }

  /** The inner store's counters. */
  metrics(): StoreMetrics {
    return this.inner.metrics();
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
