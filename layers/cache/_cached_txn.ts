// The cached store's transaction: reads go to the inner transaction (its
// snapshot, its conflict tracking); a commit runs through the cache's write
// guard so the keys it wrote are invalidated.
import { type Bytes, type BytesLike, toBytes } from "../../core/bytes.ts";
import type { KvTxn, RangeIter, RangeOptions } from "../../core/kv.ts";
import { idOf } from "./_key_id.ts";

/** Runs a commit on some keys, then invalidates them. */
export type Guard = (ids: string[], fn: () => Promise<void>) => Promise<void>;

/** A transaction whose commit goes through the cache's write guard. */
export class CachedTxn implements KvTxn {
  readonly #inner: KvTxn;
  readonly #guard: Guard;
  readonly #ids = new Set<string>();

  constructor(inner: KvTxn, guard: Guard) {
    this.#inner = inner;
    this.#guard = guard;
  }

  get(key: BytesLike): Promise<Bytes | undefined> {
    return this.#inner.get(key);
  }

  contains(key: BytesLike): Promise<boolean> {
    return this.#inner.contains(key);
  }

  range(lo?: BytesLike, hi?: BytesLike, opts?: RangeOptions): RangeIter {
    return this.#inner.range(lo, hi, opts);
  }

  prefixScan(prefix: BytesLike, opts?: RangeOptions): RangeIter {
    return this.#inner.prefixScan(prefix, opts);
  }

  async put(key: BytesLike, value: BytesLike): Promise<void> {
    await this.#inner.put(key, value);
    this.#ids.add(idOf(toBytes(key)));
  }

  async delete(key: BytesLike): Promise<void> {
    await this.#inner.delete(key);
    this.#ids.add(idOf(toBytes(key)));
  }

  commit(): Promise<void> {
    return this.#guard([...this.#ids], () => this.#inner.commit());
  }

  rollback(): Promise<void> {
    return this.#inner.rollback();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#inner[Symbol.asyncDispose]();
  }
}
