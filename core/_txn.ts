// Private to core: an optimistic transaction over one tree of an EngineStore.
import { type Bytes, type BytesLike, checkKey, checkValue, compareBytes } from "./bytes.ts";
import type {
  RawCheck,
  RawEntry,
  RawOp,
  RawReader,
  RawScanOptions,
  RawSnapshot,
} from "./engine.ts";
import { StoreError } from "./error.ts";
import { joinKey } from "./keyspace.ts";
import type { KvTxn, RangeIter, RangeOptions } from "./kv.ts";
import { decodeStored, encodeStoredInto, storedHeaderBytes, storedIsExpired } from "./ttl.ts";
import { MAX_VERSION_CHECKS, prefixBounds, rawBounds, scanLive, type Shared } from "./_shared.ts";
import { keyId } from "./_key_id.ts";
import { carve } from "./_slab.ts";

/** The view's entries in `[lo, hi)` with a transaction's buffered writes laid over them. */
async function* mergeWrites(
  view: RawReader,
  [lo, hi]: [Uint8Array, Uint8Array | undefined],
  writes: RawOp[],
  opts: RawScanOptions,
): AsyncGenerator<RawEntry> {
  const dir = opts.reverse ? -1 : 1;
  const pending = writes
    .filter((w) =>
      compareBytes(w.key, lo) >= 0 && (hi === undefined || compareBytes(w.key, hi) < 0)
    )
    .sort((a, b) => compareBytes(a.key, b.key) * dir);
  const written = new Set(pending.map((w) => keyId(w.key)));
  let i = 0;
  for await (const e of view.scan(lo, hi, opts)) {
    while (i < pending.length && compareBytes(pending[i]!.key, e[0]) * dir < 0) {
      const w = pending[i++]!;
      if (w.value !== undefined) yield [w.key, w.value];
    }
    if (!written.has(keyId(e[0]))) yield e;
  }
  for (; i < pending.length; i++) {
    const w = pending[i]!;
    if (w.value !== undefined) yield [w.key, w.value];
  }
}

/** Core's transactions have the two extras below; any other `KvTxn` is used through its contract. */
function coreTxn(txn: KvTxn): Txn | undefined {
  return txn instanceof Txn ? txn : undefined;
}

/**
 * For core's own layers: `txn.put` with an engine-side deadline (the store reclaims the entry
 * after `expiresAt`, epoch ms) in the same commit. False when `txn` is not core's (a layer's
 * transaction): nothing was written, and the caller puts and sets the TTL its own way.
 */
export async function txnPutExpiring(
  txn: KvTxn,
  key: BytesLike,
  value: BytesLike,
  expiresAt: number,
): Promise<boolean> {
  const t = coreTxn(txn);
  if (t === undefined) return false;
  await t.putExpiring(key, value, expiresAt);
  return true;
}

/**
 * For core's own layers: commits `txn` and resolves once the commit is applied (visible), with
 * `durable`, which makes it (and every commit applied before it) durable. Between the two, the
 * caller's next commits may apply and share one sync (group commit). Another `KvTxn` commits
 * whole first.
 */
export async function txnCommitApplied(txn: KvTxn): Promise<{ durable: () => Promise<void> }> {
  const t = coreTxn(txn);
  if (t === undefined) {
    await txn.commit();
    return { durable: () => Promise.resolve() };
  }
  const writes = t.writes > 0;
  await t.commitApplied();
  return { durable: writes ? () => t.durable() : () => Promise.resolve() };
}

/** An optimistic transaction over one tree. */
export class Txn implements KvTxn {
  readonly #s: Shared;
  readonly #prefix: Uint8Array;
  readonly #view: RawSnapshot;
  readonly #token: number;
  readonly #startSeq: number;
  readonly #writes = new Map<string, RawOp>();
  readonly #reads = new Set<string>();
  readonly #ranges: [Uint8Array, Uint8Array | undefined][] = [];
  /** Versions seen on first touch, for engines other processes write to. */
  readonly #versions = new Map<string, RawCheck>();
  #done = false;

  constructor(s: Shared, prefix: Uint8Array, view: RawSnapshot, token: number, startSeq: number) {
    this.#s = s;
    this.#prefix = prefix;
    this.#view = view;
    this.#token = token;
    this.#startSeq = startSeq;
  }

  #check(op: string, write = false): void {
    if (this.#done) {
      throw new StoreError(
        "InvalidInput",
        `Cannot ${op} in a transaction on ${this.#s.engine.path}: it was already committed or rolled back`,
      );
    }
    this.#s.check(op, write);
  }

  /** A checked key of this tree as a raw key; a bad key names `op` and the path. */
  #raw(key: BytesLike, op: string): Uint8Array {
    return this.#s.locate(op, () => joinKey(this.#prefix, checkKey(key, op)));
  }

  /** Records the key's version before the transaction first uses it. */
  async #touch(id: string, raw: Uint8Array): Promise<void> {
    const engine = this.#s.engine;
    if (!engine.version || this.#versions.has(id) || this.#versions.size >= MAX_VERSION_CHECKS) {
      return;
    }
    this.#versions.set(id, { key: raw, version: await engine.version(raw) });
  }

  async #stored(raw: Uint8Array): Promise<Uint8Array | undefined> {
    const id = keyId(raw);
    this.#reads.add(id);
    await this.#touch(id, raw);
    const w = this.#writes.get(id);
    const stored = w ? w.value : await this.#view.get(raw);
    if (stored === undefined || storedIsExpired(stored)) return undefined;
    return stored;
  }

  async get(key: BytesLike): Promise<Bytes | undefined> {
    this.#check("get");
    const raw = this.#raw(key, "get");
    try {
      const stored = await this.#stored(raw);
      this.#s.metrics.reads++;
      return stored === undefined ? undefined : decodeStored(stored).value.slice();
    } catch (err) {
      throw this.#s.fail("get in transaction", err);
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
    if (bounds) this.#ranges.push(bounds);
    const writes = [...this.#writes.values()];
    const view = this.#view;
    const source = bounds &&
      ((o: RawScanOptions) => ({ entries: mergeWrites(view, bounds, writes, o) }));
    return scanLive(this.#s, op, this.#prefix.length, opts, source);
  }

  range(lo?: BytesLike, hi?: BytesLike, opts?: RangeOptions): RangeIter {
    return this.#scan("range", () => rawBounds(this.#prefix, lo, hi), opts);
  }

  prefixScan(prefix: BytesLike, opts?: RangeOptions): RangeIter {
    return this.#scan("prefixScan", () => prefixBounds(this.#prefix, prefix), opts);
  }

  put(key: BytesLike, value: BytesLike): Promise<void> {
    return this.putExpiring(key, value, undefined);
  }

  /**
   * {@link put} with the engine-side deadline `expiresAt` (epoch ms; undefined: none), as
   * `putWithTtl` sets it. Core's own layers reach it through {@link txnPutExpiring}.
   */
  async putExpiring(
    key: BytesLike,
    value: BytesLike,
    expiresAt: number | undefined,
  ): Promise<void> {
    this.#check("put", true);
    const s = this.#s;
    const k = s.locate("put", () => checkKey(key, "put"));
    const v = s.locate("put", () => checkValue(value, "put"));
    // The raw key and the stored value are carved from shared slabs: two typed-array
    // allocations per put were a third of a bulk commit's CPU.
    const prefix = this.#prefix;
    const raw = carve(prefix.length + k.length);
    raw.set(prefix);
    raw.set(k, prefix.length);
    const stored = encodeStoredInto(carve(storedHeaderBytes(expiresAt) + v.length), v, expiresAt);
    const id = keyId(raw);
    this.#writes.set(id, { key: raw, value: stored, expiresAt });
    if (s.engine.version) {
      await this.#touch(id, raw).catch((err) => {
        throw s.fail("put in transaction", err);
      });
    }
  }

  async delete(key: BytesLike): Promise<void> {
    this.#check("delete", true);
    const raw = this.#raw(key, "delete");
    const id = keyId(raw);
    this.#writes.set(id, { key: raw, value: undefined });
    await this.#touch(id, raw).catch((err) => {
      throw this.#s.fail("delete in transaction", err);
    });
  }

  async commit(): Promise<void> {
    const writes = this.#writes.size > 0;
    await this.commitApplied();
    if (writes) await this.durable();
  }

  /**
   * The first half of {@link commit}: validates and applies; once it resolves the commit is
   * visible, and `Shared.durable` makes it durable. Core's own layers reach it through
   * {@link txnCommitApplied}, so their next commit can go in before this one's sync (and share it).
   */
  async commitApplied(): Promise<void> {
    this.#check("commit", this.#writes.size > 0);
    this.#done = true;
    const s = this.#s;
    try {
      const validate = () => {
        const log = s.conflicts;
        const since = this.#startSeq;
        const conflict = [...this.#reads, ...this.#writes.keys()].some((id) =>
          log.changedSince(id, since)
        ) ||
          this.#ranges.some(([lo, hi]) => log.rangeChangedSince(lo, hi, since));
        if (conflict) {
          throw new StoreError(
            "TxnConflict",
            `Cannot commit transaction in store at ${s.engine.path}: another commit changed a key it read or wrote; retry`,
          );
        }
        // Validated: this transaction needs no record of its own writes, and when it was the
        // only one open, nobody does (the log records nothing with no transaction open).
        s.conflicts.end(this.#token);
        return [...this.#writes.values()];
      };
      const checks = [...this.#versions.values()];
      if (this.#writes.size > 0) await s.commitApplied("commit transaction", validate, checks);
      // Nothing to write: validate only, which a read-only store allows too.
      else {
        await s.lock.run(async () => {
          // Other openers' commits count too: the engine catches up first.
          await s.engine.beginCommit?.();
          try {
            validate();
            await s.applyLocked([], checks);
          } finally {
            s.engine.endCommit?.();
          }
        }).catch((err) => {
          throw s.fail("commit transaction", err);
        });
      }
    } finally {
      this.#finish();
    }
  }

  /** Buffered writes. */
  get writes(): number {
    return this.#writes.size;
  }

  /** Everything applied so far (this commit too) is durable on return. */
  durable(): Promise<void> {
    return this.#s.durable("commit transaction");
  }

  rollback(): Promise<void> {
    this.#check("rollback");
    this.#done = true;
    this.#finish();
    return Promise.resolve();
  }

  #finish(): void {
    this.#writes.clear();
    this.#view.release();
    this.#s.conflicts.end(this.#token);
  }

  [Symbol.asyncDispose](): Promise<void> {
    if (this.#done) return Promise.resolve();
    this.#done = true;
    this.#finish();
    return Promise.resolve();
  }
}
