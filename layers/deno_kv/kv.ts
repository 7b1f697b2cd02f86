/**
 * {@link Kv}: `Deno.Kv`'s methods, types and semantics over any oxistore {@link KvStore}.
 *
 * @module
 */
import { StoreError } from "../../core/error.ts";
import type { KvStore } from "../../core/kv.ts";
import type {
  KvCommitResult,
  KvConsistencyLevel,
  KvEnqueueOptions,
  KvEntryMaybe,
  KvKey,
  KvListOptions,
  KvListSelector,
} from "./types.ts";
import { COMMIT_VERSIONSTAMP, encodeReadKey } from "./_key_codec.ts";
import { decodeValue } from "./_value_codec.ts";
import { recordIsLive, recordValueAt, recordVersionstamp } from "./_record.ts";
import { AtomicOperation } from "./atomic_operation.ts";
import { KvListIterator } from "./kv_list_iterator.ts";
import { Committer } from "./_commit.ts";
import { QueueWorker } from "./_queue.ts";
import { checkConsistency } from "./_validate.ts";
import { watchStream } from "./_watch.ts";
import { registerStore } from "./_runtime.ts";
import { StoreReads } from "./_reads.ts";

const MAX_GET_MANY = 10;

/** How a {@link Kv} runs; {@link openKv} fills it in. */
export interface KvRuntime {
  /** The keyspace the entries live in. */
  store: KvStore;
  /** Closed with the Kv (a store the caller passed in is not). */
  owned: KvStore | undefined;
  /** For messages: the path, ":memory:", or the engine of a passed-in store. */
  where: string;
  /** Queue lease (ms). */
  queueLeaseMs: number;
  /** How often queues and watches look for other processes' commits (ms). */
  pollMs: number;
}

/**
 * A Deno KV database over an oxistore engine: the same methods and results as `Deno.Kv`
 * (`get`, `getMany`, `set`, `delete`, `list`, `atomic`, `enqueue`, `listenQueue`, `watch`,
 * `close`). Open one with {@link openKv}.
 *
 * @example
 * ```ts
 * import { openKv } from "@cooljapan/oxistore/deno-kv";
 * await using kv = await openKv();
 * await kv.set(["users", 1], { name: "ada" });
 * const entry = await kv.get<{ name: string }>(["users", 1]);
 * if (entry.value?.name !== "ada" || entry.versionstamp === null) throw new Error();
 * ```
 */
export class Kv implements AsyncDisposable {
  readonly #rt: KvRuntime;
  readonly #committer: Committer;
  readonly #reads: StoreReads;
  readonly #queue: QueueWorker;
  readonly #onClose = new Set<() => void>();
  #closing: Promise<void> | undefined;

  /** @internal Use {@link openKv}. */
  constructor(runtime: KvRuntime) {
    this.#rt = runtime;
    registerStore(this, runtime.store);
    this.#committer = new Committer(runtime.store);
    this.#reads = new StoreReads(runtime.store);
    this.#queue = new QueueWorker(runtime.store, this.#committer, {
      leaseMs: runtime.queueLeaseMs,
      pollMs: runtime.pollMs,
    });
  }

  #open(op: string): void {
    if (this.#closing) {
      throw new StoreError(
        "Closed",
        `Cannot ${op} in the Deno KV API over ${this.#rt.where}: it is closed`,
      );
    }
  }

  /** The entry at `key` (`value` and `versionstamp` null when absent or expired). */
  get<T = unknown>(
    key: KvKey,
    options?: { consistency?: KvConsistencyLevel },
  ): Promise<KvEntryMaybe<T>> {
    // Not an async function: over a store that reads synchronously the entry is ready now,
    // and an async function's machinery was a fifth of a point read.
    try {
      checkConsistency(options?.consistency);
      this.#open("get");
      const raw = encodeReadKey(key);
      const rec = this.#reads.get(raw);
      if (rec instanceof Promise) return rec.then((r) => this.#entry<T>(key, raw, r, Date.now()));
      return Promise.resolve(this.#entry<T>(key, raw, rec, Date.now()));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #entry<T>(
    key: KvKey,
    _raw: Uint8Array,
    rec: Uint8Array | undefined,
    now: number,
  ): KvEntryMaybe<T> {
    const k = key;
    if (rec === undefined || !recordIsLive(rec, now)) {
      return { key: k, value: null, versionstamp: null };
    }
    return {
      key: k,
      value: decodeValue(rec, recordValueAt(rec)) as T,
      versionstamp: recordVersionstamp(rec),
    };
  }

  /** The entries at `keys` (at most 10), in order. */
  async getMany<T extends readonly unknown[]>(
    keys: readonly [...{ [K in keyof T]: KvKey }],
    options?: { consistency?: KvConsistencyLevel },
  ): Promise<{ [K in keyof T]: KvEntryMaybe<T[K]> }> {
    checkConsistency(options?.consistency);
    this.#open("getMany");
    if (keys.length > MAX_GET_MANY) throw new TypeError(`Too many ranges (max ${MAX_GET_MANY})`);
    const raws = keys.map((k) => encodeReadKey(k));
    const recs = raws.length === 0 ? [] : await this.#rt.store.getMany(raws);
    const now = Date.now();
    return keys.map((k, i) => this.#entry(k, raws[i]!, recs[i], now)) as {
      [K in keyof T]: KvEntryMaybe<T[K]>;
    };
  }

  /** Sets `key` to `value`, optionally expiring after `expireIn` ms. */
  async set(key: KvKey, value: unknown, options?: { expireIn?: number }): Promise<KvCommitResult> {
    this.#open("set");
    const r = await this.atomic().set(key, value, options).commit();
    return r as KvCommitResult;
  }

  /** Deletes `key` (a no-op when absent). */
  async delete(key: KvKey): Promise<void> {
    this.#open("delete");
    await this.atomic().delete(key).commit();
  }

  /** The entries a selector picks, in key order (see {@link KvListIterator}). */
  list<T = unknown>(selector: KvListSelector, options?: KvListOptions): KvListIterator<T> {
    this.#open("list");
    return new KvListIterator<T>(this.#reads, selector, options);
  }

  /** A new atomic operation. */
  atomic(): AtomicOperation {
    this.#open("start an atomic operation");
    return new AtomicOperation(this.#committer);
  }

  /** Enqueues a message (delivered to `listenQueue` handlers, durably). */
  async enqueue(value: unknown, options?: KvEnqueueOptions): Promise<KvCommitResult> {
    this.#open("enqueue");
    return (await this.atomic().enqueue(value, options).commit()) as KvCommitResult;
  }

  /**
   * Delivers queue messages to `handler` until the Kv closes; a handler that throws gets the
   * message again after the next backoff interval.
   */
  // deno-lint-ignore no-explicit-any
  listenQueue(handler: (value: any) => Promise<void> | void): Promise<void> {
    this.#open("listen to the queue");
    return this.#queue.listen(handler);
  }

  /** A stream of the entries at `keys`: now, then whenever one of them changes. */
  watch<T extends readonly unknown[]>(
    keys: readonly [...{ [K in keyof T]: KvKey }],
    options?: { raw?: boolean },
  ): ReadableStream<{ [K in keyof T]: KvEntryMaybe<T[K]> }> {
    this.#open("watch");
    // Copies of their own: a stream may live long, and encoded keys are views of a shared slab.
    const raws = keys.map((k) => encodeReadKey(k).slice());
    const read = async () => {
      const recs = raws.length === 0 ? [] : await this.#rt.store.getMany(raws);
      const now = Date.now();
      return keys.map((k, i) => this.#entry(k, raws[i]!, recs[i], now));
    };
    return watchStream(
      raws,
      read,
      this.#committer,
      this.#rt.pollMs,
      options?.raw ?? false,
      (stop) => {
        this.#onClose.add(stop);
        return () => this.#onClose.delete(stop);
      },
    ) as ReadableStream<{ [K in keyof T]: KvEntryMaybe<T[K]> }>;
  }

  /**
   * A key part standing for the versionstamp of the commit that writes it: as the last part
   * of a `set` key it becomes that versionstamp (20 hex characters), as with Deno KV.
   */
  commitVersionstamp(): symbol {
    return COMMIT_VERSIONSTAMP;
  }

  /**
   * Closes the database: queue listeners return, watch streams end, an owned store closes.
   * Returns a promise (Deno's returns nothing) so callers can wait for the files to close.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#queue.close();
      for (const stop of [...this.#onClose]) stop();
      await this.#rt.owned?.close();
    })();
    return this.#closing;
  }

  /** Closes without waiting (`using kv = …`). */
  [Symbol.dispose](): void {
    void this.close();
  }

  /** Closes and waits (`await using kv = …`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
