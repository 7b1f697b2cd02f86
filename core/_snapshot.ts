// Private to core: a pinned, read-only view of one tree of an EngineStore.
import { type Bytes, type BytesLike, checkKey } from "./bytes.ts";
import type { RawScanOptions, RawSnapshot } from "./engine.ts";
import { StoreError } from "./error.ts";
import { joinKey } from "./keyspace.ts";
import type { KvSnapshot, RangeIter, RangeOptions } from "./kv.ts";
import { decodeStored } from "./ttl.ts";
import { prefixBounds, rawBounds, scanLive, type Shared } from "./_shared.ts";

/** A pinned view of one tree. */
export class Snapshot implements KvSnapshot {
  readonly #s: Shared;
  readonly #prefix: Uint8Array;
  readonly #view: RawSnapshot;
  #released = false;

  constructor(s: Shared, prefix: Uint8Array, view: RawSnapshot) {
    this.#s = s;
    this.#prefix = prefix;
    this.#view = view;
  }

  #check(op: string): void {
    if (this.#released) {
      throw new StoreError(
        "InvalidInput",
        `Cannot ${op} on a snapshot of ${this.#s.engine.path}: it was released`,
      );
    }
    this.#s.check(op, false);
  }

  async get(key: BytesLike): Promise<Bytes | undefined> {
    this.#check("get");
    const raw = this.#s.locate("get", () => joinKey(this.#prefix, checkKey(key, "get")));
    try {
      const cur = await this.#s.live(this.#view, raw);
      this.#s.metrics.reads++;
      return cur === undefined ? undefined : decodeStored(cur).value;
    } catch (err) {
      throw this.#s.fail("get from snapshot", err);
    }
  }

  async contains(key: BytesLike): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  #scan(
    op: string,
    boundsOf: () => [Uint8Array, Uint8Array | undefined] | undefined,
    opts?: RangeOptions,
  ): RangeIter {
    this.#check(op);
    const bounds = this.#s.locate(op, boundsOf);
    const view = this.#view;
    const source = bounds &&
      ((o: RawScanOptions) => ({ entries: view.scan(bounds[0], bounds[1], o) }));
    return scanLive(this.#s, op, this.#prefix.length, opts, source);
  }

  range(lo?: BytesLike, hi?: BytesLike, opts?: RangeOptions): RangeIter {
    return this.#scan("range", () => rawBounds(this.#prefix, lo, hi), opts);
  }

  prefixScan(prefix: BytesLike, opts?: RangeOptions): RangeIter {
    return this.#scan("prefixScan", () => prefixBounds(this.#prefix, prefix), opts);
  }

  release(): Promise<void> {
    if (!this.#released) {
      this.#released = true;
      this.#view.release();
    }
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}
