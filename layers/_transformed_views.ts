// Snapshots and transactions of a TransformedKv: reads decode, writes encode.
import { type Bytes, type BytesLike, checkKey, checkValue } from "../core/bytes.ts";
import type { KvReader, KvSnapshot, KvTxn, RangeIter, RangeOptions } from "../core/kv.ts";

export type Decoded = (source: RangeIter) => RangeIter;
export type Decode = (key: Uint8Array, stored: Uint8Array) => Promise<Uint8Array>;

/** Decoded reads over an inner reader. */
class TransformedReader implements KvReader {
  constructor(
    protected readonly reader: KvReader,
    protected readonly decoded: Decoded,
    protected readonly decode: Decode,
  ) {}

  async get(key: BytesLike): Promise<Bytes | undefined> {
    const k = checkKey(key, "get");
    const raw = await this.reader.get(k);
    return raw === undefined ? undefined : await this.decode(k, raw);
  }

  contains(key: BytesLike): Promise<boolean> {
    return this.reader.contains(key);
  }

  range(lo?: BytesLike, hi?: BytesLike, opts?: RangeOptions): RangeIter {
    return this.decoded(this.reader.range(lo, hi, opts));
  }

  prefixScan(prefix: BytesLike, opts?: RangeOptions): RangeIter {
    return this.decoded(this.reader.prefixScan(prefix, opts));
  }
}

export class TransformedSnapshot extends TransformedReader implements KvSnapshot {
  constructor(readonly snap: KvSnapshot, decoded: Decoded, decode: Decode) {
    super(snap, decoded, decode);
  }

  release(): Promise<void> {
    return this.snap.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.snap[Symbol.asyncDispose]();
  }
}

export class TransformedTxn extends TransformedReader implements KvTxn {
  constructor(
    readonly txn: KvTxn,
    readonly encode: (key: Uint8Array, value: Uint8Array) => Promise<Uint8Array>,
    decoded: Decoded,
    decode: Decode,
  ) {
    super(txn, decoded, decode);
  }

  async put(key: BytesLike, value: BytesLike): Promise<void> {
    const k = checkKey(key, "put");
    await this.txn.put(k, await this.encode(k, checkValue(value, "put")));
  }

  delete(key: BytesLike): Promise<void> {
    return this.txn.delete(key);
  }

  commit(): Promise<void> {
    return this.txn.commit();
  }

  rollback(): Promise<void> {
    return this.txn.rollback();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.txn[Symbol.asyncDispose]();
  }
}
