/**
 * {@link DenoKvEngine}: a RawEngine over a `Deno.Kv` handle.
 *
 * Layout inside the Deno KV database (every oxistore key lives under one
 * namespace so a shared Deno Deploy database stays usable by other code):
 * - `["oxi", raw]` — a raw key as one `Uint8Array` part, so Deno KV's own
 *   order is byte order. The value is the stored bytes, or for values over
 *   {@link INLINE_LIMIT} a descriptor `{ id, size, head }` pointing at chunks.
 * - `["oxc", id, i]` — chunk `i` of a large value. Chunks are written first
 *   under a fresh id, then one atomic commit flips the pointer, so no reader
 *   ever sees half a value; old chunks are deleted after the flip.
 * - `["oxm", "chunked"]` — set once any chunked value was written, so stores
 *   that never had one skip the old-pointer reads on overwrite.
 * - Keys over 1,000 bytes (Deno KV keys hold at most 2,048 encoded bytes, and
 *   a 0x00 byte takes two) live in sorted buckets `["oxi", head, 0]` with
 *   their values at `["oxl", sha256(key)]` — see `_long_keys.ts`.
 *
 * Every Deno KV call that fails only because another process holds the
 * SQLite database is retried for a bounded time (see `_busy.ts`).
 *
 * @module
 */
import type { RawCheck, RawEngine, RawEntry, RawOp, RawScanOptions } from "../../core/engine.ts";
import { compareBytes, concatBytes, prefixUpperBound } from "../../core/bytes.ts";
import { StoreError } from "../../core/error.ts";
import { keyId } from "../../core/_views.ts";
import { ValueCache } from "./_value_cache.ts";
import { decodeTails, encodeTails, SPLIT, updateTails } from "./_long_keys.ts";
import { BusyRetry, DEFAULT_BUSY_TIMEOUT_MS, isBusy } from "./_busy.ts";
import {
  bucketKey,
  checkLimits,
  CHUNK,
  CHUNK_NS,
  chunkCount,
  chunkLayout,
  type Chunks,
  type CommitPlan,
  type Descriptor,
  isDescriptor,
  lastPerKey,
  MAX_MUTATIONS,
  META_CHUNKED,
  NS,
  planBytes,
  type PlannedWrite,
  prepare,
  valueKey,
} from "./_commit_plan.ts";

export { INLINE_LIMIT } from "./_commit_plan.ts";

const CHUNKS_PER_COMMIT = 12;

/** A RawEngine over Deno KV. */
export class DenoKvEngine implements RawEngine {
  readonly path: string;
  readonly #kv: Deno.Kv;
  readonly #file: string | undefined;
  readonly #busy: BusyRetry;
  #hasChunks = false;

  readonly #cache: ValueCache | undefined;
  #commits = 0;

  private constructor(
    kv: Deno.Kv,
    path: string,
    file: string | undefined,
    cacheBytes: number,
    busy: BusyRetry,
  ) {
    this.#kv = kv;
    this.path = path;
    this.#file = file;
    this.#busy = busy;
    this.#cache = cacheBytes > 0 ? new ValueCache(cacheBytes) : undefined;
  }

  /**
   * Wraps an open Deno KV handle; `file` is its local SQLite path, if any;
   * `cacheBytes` > 0 keeps a read cache of that size (see `_value_cache.ts`);
   * a call finding the database busy is retried for up to `busyTimeoutMs`.
   */
  static async create(
    kv: Deno.Kv,
    path: string,
    file: string | undefined,
    cacheBytes = 0,
    busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS,
  ): Promise<DenoKvEngine> {
    const engine = new DenoKvEngine(kv, path, file, cacheBytes, new BusyRetry(path, busyTimeoutMs));
    engine.#hasChunks = (await engine.#get(META_CHUNKED)).value !== null;
    return engine;
  }

  cacheStats(): { hits: number; misses: number } {
    return { hits: this.#cache?.hits ?? 0, misses: this.#cache?.misses ?? 0 };
  }

  /** Busy failures absorbed by retrying, since open. */
  get busyRetries(): number {
    return this.#busy.retries;
  }

  // --- reads -------------------------------------------------------------

  /** `kv.get`, retried while the database is busy (the first try costs nothing extra). */
  async #get(key: Deno.KvKey): Promise<Deno.KvEntryMaybe<unknown>> {
    try {
      return await this.#kv.get(key);
    } catch (err) {
      if (!isBusy(err)) throw err;
      return this.#busy.run("read", () => this.#kv.get(key));
    }
  }

  /** `kv.list`, resumed from its cursor when a batch read finds the database busy. */
  async *#list(
    selector: Deno.KvListSelector,
    options: Deno.KvListOptions,
  ): AsyncGenerator<Deno.KvEntry<unknown>> {
    let it = this.#kv.list(selector, options);
    let cursor: string | undefined;
    const reopen = () => {
      it = this.#kv.list(selector, cursor === undefined ? options : { ...options, cursor });
      return it.next();
    };
    for (;;) {
      let r: IteratorResult<Deno.KvEntry<unknown>>;
      try {
        r = await it.next();
      } catch (err) {
        if (!isBusy(err)) throw err;
        r = await this.#busy.run("scan", reopen);
      }
      if (r.done) return;
      cursor = it.cursor;
      yield r.value;
    }
  }

  async #resolve(value: unknown): Promise<Uint8Array | undefined> {
    if (value === null || value === undefined) return undefined;
    if (value instanceof Uint8Array) return value;
    if (!isDescriptor(value)) {
      throw new StoreError(
        "Corruption",
        `Cannot read store at ${this.path}: unexpected Deno KV value`,
      );
    }
    const out = new Uint8Array(value.size);
    let off = 0;
    for await (const e of this.#list({ prefix: [CHUNK_NS, value.id] }, { batchSize: 100 })) {
      const chunk = e.value;
      if (!(chunk instanceof Uint8Array) || off + chunk.length > out.length) break;
      out.set(chunk, off);
      off += chunk.length;
    }
    if (off !== value.size) {
      throw new StoreError(
        "Corruption",
        `Cannot read store at ${this.path}: a chunked value has ${off} of ${value.size} bytes`,
      );
    }
    return out;
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const cached = this.#cache?.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const epoch = this.#commits;
    const vk = valueKey(key);
    const r = await this.#get(vk instanceof Promise ? await vk : vk);
    const value = await this.#resolve(r.value);
    // A commit that landed while we read may have cached a newer value.
    if (epoch === this.#commits) this.#cache?.set(key, value ?? null);
    return value;
  }

  async *scan(
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
    opts?: RawScanOptions,
  ): AsyncGenerator<RawEntry> {
    const reverse = opts?.reverse ?? false;
    // Long bounds are cut to their bucket head (widened), then filtered here.
    const l = lo !== undefined && lo.length > SPLIT ? lo.subarray(0, SPLIT) : lo;
    const h = hi !== undefined && hi.length > SPLIT ? prefixUpperBound(hi.subarray(0, SPLIT)) : hi;
    const selector: Deno.KvListSelector = l === undefined
      ? (h === undefined ? { prefix: [NS] } : { prefix: [NS], end: [NS, h] })
      : (h === undefined ? { prefix: [NS], start: [NS, l] } : { start: [NS, l], end: [NS, h] });
    const inRange = (k: Uint8Array) =>
      (lo === undefined || compareBytes(k, lo) >= 0) &&
      (hi === undefined || compareBytes(k, hi) < 0);
    const batchSize = Math.min(500, Math.max(8, (opts?.limit ?? 500) + 1));
    for await (const e of this.#list(selector, { reverse, batchSize })) {
      const key = e.key[1];
      if (!(key instanceof Uint8Array)) continue;
      if (e.key.length === 3) {
        const tails = decodeTails(await this.#resolve(e.value), this.path);
        if (reverse) tails.reverse();
        for (const tail of tails) {
          const full = concatBytes(key, tail);
          if (!inRange(full)) continue;
          const value = await this.get(full);
          if (value !== undefined) yield [full, value];
        }
        continue;
      }
      if (!inRange(key)) continue;
      if (opts?.keysOnly && isDescriptor(e.value)) {
        yield [key, e.value.head];
        continue;
      }
      const value = e.value instanceof Uint8Array ? e.value : await this.#resolve(e.value);
      if (value !== undefined) yield [key, value];
    }
  }

  async version(key: Uint8Array): Promise<string | null> {
    return (await this.#get(await valueKey(key))).versionstamp;
  }

  // --- writes: plan, check, commit ----------------------------------------

  async apply(ops: RawOp[], checks: RawCheck[] = []): Promise<void> {
    const plan = await this.#plan(ops);
    checkLimits(plan, this.path);
    await this.#commit(plan, checks);
  }

  /** The Deno KV writes for `ops`: one per key, plus the long-key buckets they change. */
  async #plan(ops: RawOp[]): Promise<CommitPlan> {
    const last = lastPerKey(ops);
    const writes: PlannedWrite[] = [];
    const buckets = new Map<string, { head: Uint8Array; ops: RawOp[] }>();
    for (const op of last) {
      const vk = valueKey(op.key);
      writes.push({
        key: vk instanceof Promise ? await vk : vk,
        prepared: op.value === undefined ? undefined : prepare(op.value, op.expiresAt),
        expiresAt: op.expiresAt,
      });
      if (op.key.length > SPLIT) {
        const head = op.key.subarray(0, SPLIT);
        const id = keyId(head);
        const b = buckets.get(id) ?? { head, ops: [] };
        b.ops.push(op);
        buckets.set(id, b);
      }
    }
    for (const { head, ops: bucketOps } of buckets.values()) {
      const bk = bucketKey(head);
      const tails = decodeTails(await this.#resolve((await this.#get(bk)).value), this.path);
      for (const op of bucketOps) updateTails(tails, op.key.slice(SPLIT), op.value !== undefined);
      writes.push({
        key: bk,
        prepared: tails.length === 0 ? undefined : prepare(encodeTails(tails), undefined),
      });
    }
    return { ops: last, writes, bytes: planBytes(writes) };
  }

  /**
   * Sends a checked plan as one atomic commit, with the version `checks`;
   * a failed check is `TxnConflict` and leaves nothing behind.
   */
  async #commit(plan: CommitPlan, checks: RawCheck[]): Promise<void> {
    const { writes } = plan;
    const stale = this.#hasChunks ? await this.#oldDescriptors(writes.map((w) => w.key)) : [];
    const newChunks = writes.flatMap((w) => w.prepared?.chunks ? [w.prepared.chunks] : []);
    if (!this.#hasChunks && newChunks.length > 0) {
      await this.#busy.run("commit", () => this.#kv.set(META_CHUNKED, true));
      this.#hasChunks = true;
    }
    const layout = chunkLayout(plan, checks.length, stale);
    // Chunks that do not fit beside the writes go first, in commits of their own.
    if (!layout.together) { for (const c of newChunks) await this.#writeChunks(c); }
    const checkKeys: Deno.AtomicCheck[] = [];
    for (const c of checks) checkKeys.push({ key: await valueKey(c.key), versionstamp: c.version });
    const build = () => {
      const atomic = this.#kv.atomic();
      if (layout.dropStale) {
        for (const d of stale) {
          deleteChunks(atomic, d, 0, chunkCount(d.size));
        }
      }
      if (layout.together) { for (const c of newChunks) setChunks(atomic, c, 0, c.bytes.length); }
      for (const c of checkKeys) atomic.check(c);
      const now = Date.now();
      for (const w of writes) {
        if (w.prepared === undefined) atomic.delete(w.key);
        else if (w.expiresAt === undefined) atomic.set(w.key, w.prepared.value);
        else {
          atomic.set(w.key, w.prepared.value, { expireIn: Math.max(1, w.expiresAt - now + 1000) });
        }
      }
      return atomic.commit();
    };
    const res = await this.#busy.run("commit", build);
    if (!res.ok) {
      if (!layout.together) { for (const c of newChunks) await this.#deleteChunks(c.descriptor); }
      throw new StoreError(
        "TxnConflict",
        `Cannot commit transaction in Deno KV store at ${this.path}: another process changed a key ` +
          `it read or wrote; retry`,
      );
    }
    this.#commits++;
    if (this.#cache) { for (const op of plan.ops) this.#cache.set(op.key, op.value ?? null); }
    if (!layout.dropStale) { for (const d of stale) await this.#deleteChunks(d); }
  }

  async #oldDescriptors(keys: Deno.KvKey[]): Promise<Descriptor[]> {
    const out: Descriptor[] = [];
    for (let i = 0; i < keys.length; i += 10) {
      const part = keys.slice(i, i + 10);
      let got: Deno.KvEntryMaybe<unknown>[];
      try {
        got = await this.#kv.getMany(part);
      } catch (err) {
        if (!isBusy(err)) throw err;
        got = await this.#busy.run("read", () => this.#kv.getMany(part));
      }
      for (const r of got) if (isDescriptor(r.value)) out.push(r.value);
    }
    return out;
  }

  /** Writes a value's chunks in commits of their own. */
  async #writeChunks(c: Chunks): Promise<void> {
    const step = CHUNK * CHUNKS_PER_COMMIT;
    for (let off = 0; off < c.bytes.length; off += step) {
      await this.#busy.run("write a chunked value", () => {
        const atomic = this.#kv.atomic();
        setChunks(atomic, c, off, Math.min(c.bytes.length, off + step));
        return atomic.commit();
      });
    }
  }

  async #deleteChunks(d: Descriptor): Promise<void> {
    const count = chunkCount(d.size);
    for (let i = 0; i < count; i += MAX_MUTATIONS) {
      await this.#busy.run("delete a chunked value", () => {
        const atomic = this.#kv.atomic();
        deleteChunks(atomic, d, i, Math.min(count, i + MAX_MUTATIONS));
        return atomic.commit();
      });
    }
  }

  sync(): void {
    // A resolved Deno KV commit is already durable.
  }

  async sizeOnDisk(): Promise<number> {
    if (this.#file === undefined) return 0;
    let total = 0;
    for (const suffix of ["", "-wal", "-shm"]) {
      try {
        total += (await Deno.stat(this.#file + suffix)).size;
      } catch {
        // absent companion files count as zero
      }
    }
    return total;
  }

  compact(): void {
    // Deno KV exposes no vacuum; SQLite reuses freed pages itself.
  }

  close(): void {
    this.#kv.close();
  }
}

/** Adds sets of the chunks covering bytes `[from, to)` (`from` on a chunk boundary). */
function setChunks(atomic: Deno.AtomicOperation, c: Chunks, from: number, to: number): void {
  // Chunks outlive their value's deadline a little, so a reader never finds a descriptor without them.
  const expireIn = c.expiresAt === undefined
    ? undefined
    : Math.max(1, c.expiresAt - Date.now() + 60_000);
  for (let off = from; off < to; off += CHUNK) {
    const key = [CHUNK_NS, c.descriptor.id, off / CHUNK];
    const part = c.bytes.subarray(off, Math.min(to, off + CHUNK));
    if (expireIn === undefined) atomic.set(key, part);
    else atomic.set(key, part, { expireIn });
  }
}

/** Adds deletes of chunks `[from, to)` of a value. */
function deleteChunks(atomic: Deno.AtomicOperation, d: Descriptor, from: number, to: number): void {
  for (let i = from; i < to; i++) atomic.delete([CHUNK_NS, d.id, i]);
}
