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
 * @module
 */
import type { RawCheck, RawEngine, RawEntry, RawOp, RawScanOptions } from "../../core/engine.ts";
import { compareBytes, concatBytes, prefixUpperBound } from "../../core/bytes.ts";
import { StoreError } from "../../core/error.ts";
import { keyId } from "../../core/_views.ts";
import { ValueCache } from "./_value_cache.ts";
import { decodeTails, encodeTails, longKeyId, SPLIT, updateTails } from "./_long_keys.ts";

/** Values up to this many bytes are stored inline. */
export const INLINE_LIMIT = 60_000;
const CHUNK = 60_000;
const CHUNKS_PER_COMMIT = 12;
const MAX_MUTATIONS = 1000;
const MAX_MUTATION_BYTES = 819_200;
const NS = "oxi";
const LONG_NS = "oxl";
const CHUNK_NS = "oxc";
const META_CHUNKED = ["oxm", "chunked"];

interface Descriptor {
  id: string;
  size: number;
  head: Uint8Array;
}

function isDescriptor(v: unknown): v is Descriptor {
  return typeof v === "object" && v !== null && !(v instanceof Uint8Array) &&
    typeof (v as Descriptor).id === "string";
}

/** Where the value of `key` lives in Deno KV. */
function valueKey(key: Uint8Array): Deno.KvKey | Promise<Deno.KvKey> {
  // Short keys (nearly all) answer synchronously: no await per key in a batch.
  return key.length <= SPLIT ? [NS, key] : longKeyId(key).then((id) => [LONG_NS, id]);
}

function bucketKey(head: Uint8Array): Deno.KvKey {
  return [NS, head, 0];
}

/** A value ready for an atomic set, and chunks to write before it. */
interface Prepared {
  value: Uint8Array | Descriptor;
  chunks?: { descriptor: Descriptor; bytes: Uint8Array; expiresAt: number | undefined };
  size: number;
}

function prepare(bytes: Uint8Array, expiresAt: number | undefined): Prepared {
  if (bytes.length <= INLINE_LIMIT) return { value: bytes, size: bytes.length };
  const descriptor = { id: crypto.randomUUID(), size: bytes.length, head: bytes.slice(0, 9) };
  return { value: descriptor, chunks: { descriptor, bytes, expiresAt }, size: 100 };
}

function keySize(key: Deno.KvKey): number {
  let n = 0;
  for (const part of key) n += part instanceof Uint8Array ? part.length * 2 + 2 : 16;
  return n;
}

/** A RawEngine over Deno KV. */
export class DenoKvEngine implements RawEngine {
  readonly path: string;
  readonly #kv: Deno.Kv;
  readonly #file: string | undefined;
  #hasChunks: boolean;

  readonly #cache: ValueCache | undefined;
  #commits = 0;

  private constructor(
    kv: Deno.Kv,
    path: string,
    file: string | undefined,
    hasChunks: boolean,
    cacheBytes: number,
  ) {
    this.#kv = kv;
    this.path = path;
    this.#file = file;
    this.#hasChunks = hasChunks;
    this.#cache = cacheBytes > 0 ? new ValueCache(cacheBytes) : undefined;
  }

  /**
   * Wraps an open Deno KV handle; `file` is its local SQLite path, if any;
   * `cacheBytes` > 0 keeps a read cache of that size (see `_value_cache.ts`).
   */
  static async create(
    kv: Deno.Kv,
    path: string,
    file: string | undefined,
    cacheBytes = 0,
  ): Promise<DenoKvEngine> {
    const meta = await kv.get(META_CHUNKED);
    return new DenoKvEngine(kv, path, file, meta.value !== null, cacheBytes);
  }

  cacheStats(): { hits: number; misses: number } {
    return { hits: this.#cache?.hits ?? 0, misses: this.#cache?.misses ?? 0 };
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
    const chunks = this.#kv.list<Uint8Array>({ prefix: [CHUNK_NS, value.id] }, { batchSize: 100 });
    for await (const e of chunks) {
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
    const r = await this.#kv.get(vk instanceof Promise ? await vk : vk);
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
    for await (const e of this.#kv.list(selector, { reverse, batchSize })) {
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
    return (await this.#kv.get(await valueKey(key))).versionstamp;
  }

  async apply(ops: RawOp[], checks: RawCheck[] = []): Promise<void> {
    // The last write to a key wins; Deno KV wants each key once per commit.
    const last = new Map<string, RawOp>();
    for (const op of ops) {
      const id = keyId(op.key);
      last.delete(id);
      last.set(id, op);
    }
    const writes: {
      key: Deno.KvKey;
      prepared: Prepared | undefined;
      expiresAt?: number | undefined;
    }[] = [];
    const buckets = new Map<string, { head: Uint8Array; ops: RawOp[] }>();
    for (const op of last.values()) {
      const prepared = op.value === undefined ? undefined : prepare(op.value, op.expiresAt);
      const vk = valueKey(op.key);
      writes.push({
        key: vk instanceof Promise ? await vk : vk,
        prepared,
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
      const tails = decodeTails(await this.#resolve((await this.#kv.get(bk)).value), this.path);
      for (const op of bucketOps) updateTails(tails, op.key.slice(SPLIT), op.value !== undefined);
      writes.push({
        key: bk,
        prepared: tails.length === 0 ? undefined : prepare(encodeTails(tails), undefined),
      });
    }
    if (writes.length > MAX_MUTATIONS) {
      throw new StoreError(
        "CapacityExceeded",
        `Cannot commit ${writes.length} writes to Deno KV store at ${this.path}: ` +
          `one atomic commit takes at most ${MAX_MUTATIONS}; split the batch`,
      );
    }
    let bytes = 0;
    for (const w of writes) bytes += keySize(w.key) + (w.prepared?.size ?? 0);
    if (bytes > MAX_MUTATION_BYTES) {
      throw new StoreError(
        "CapacityExceeded",
        `Cannot commit ${bytes} bytes to Deno KV store at ${this.path} at once: one atomic ` +
          `commit takes at most ${MAX_MUTATION_BYTES} bytes of inline keys and values; split the batch`,
      );
    }
    const old = this.#hasChunks ? await this.#oldDescriptors(writes.map((w) => w.key)) : [];
    if (!this.#hasChunks && writes.some((w) => w.prepared?.chunks)) {
      await this.#kv.set(META_CHUNKED, true);
      this.#hasChunks = true;
    }
    const atomic = this.#kv.atomic();
    // Chunks that fit beside the writes go in the same commit (one sync);
    // larger values write their chunks first, then the commit flips pointers.
    let chunkBytes = 0, chunkCount = 0;
    for (const w of writes) {
      if (w.prepared?.chunks) {
        chunkBytes += w.prepared.chunks.bytes.length +
          64 * Math.ceil(w.prepared.chunks.bytes.length / CHUNK);
        chunkCount += Math.ceil(w.prepared.chunks.bytes.length / CHUNK);
      }
    }
    const together = bytes + chunkBytes <= MAX_MUTATION_BYTES &&
      writes.length + checks.length + chunkCount <= MAX_MUTATIONS;
    // The chunks of replaced values go in the same commit too, when they fit.
    let staleCount = 0;
    for (const d of old) staleCount += Math.ceil(d.size / CHUNK);
    const dropStale = together &&
      writes.length + checks.length + chunkCount + staleCount <= MAX_MUTATIONS;
    if (dropStale) {
      for (const d of old) {
        for (let i = 0; i < Math.ceil(d.size / CHUNK); i++) atomic.delete([CHUNK_NS, d.id, i]);
      }
    }
    for (const w of writes) {
      if (w.prepared?.chunks) {
        await this.#writeChunks(w.prepared.chunks, together ? atomic : undefined);
      }
    }
    for (const c of checks) atomic.check({ key: await valueKey(c.key), versionstamp: c.version });
    const now = Date.now();
    for (const w of writes) {
      if (w.prepared === undefined) atomic.delete(w.key);
      else if (w.expiresAt === undefined) atomic.set(w.key, w.prepared.value);
      else atomic.set(w.key, w.prepared.value, { expireIn: Math.max(1, w.expiresAt - now + 1000) });
    }
    const res = await atomic.commit();
    if (!res.ok) {
      for (const w of writes) {
        if (w.prepared?.chunks) await this.#deleteChunks(w.prepared.chunks.descriptor);
      }
      throw new StoreError(
        "TxnConflict",
        `Cannot commit transaction in Deno KV store at ${this.path}: another process changed a key ` +
          `it read or wrote; retry`,
      );
    }
    if (this.#cache) { for (const op of last.values()) this.#cache.set(op.key, op.value ?? null); }
    if (!dropStale) { for (const d of old) await this.#deleteChunks(d); }
  }

  async #oldDescriptors(keys: Deno.KvKey[]): Promise<Descriptor[]> {
    const out: Descriptor[] = [];
    for (let i = 0; i < keys.length; i += 10) {
      for (const r of await this.#kv.getMany(keys.slice(i, i + 10))) {
        if (isDescriptor(r.value)) out.push(r.value);
      }
    }
    return out;
  }

  /** Writes a value's chunks: into `into` when given, else in commits of their own. */
  async #writeChunks(
    c: NonNullable<Prepared["chunks"]>,
    into?: Deno.AtomicOperation,
  ): Promise<void> {
    const { descriptor, bytes, expiresAt } = c;
    const expireIn = expiresAt === undefined
      ? undefined
      : Math.max(1, expiresAt - Date.now() + 60_000);
    let i = 0;
    for (let off = 0; off < bytes.length;) {
      const atomic = into ?? this.#kv.atomic();
      for (
        let n = 0;
        (into || n < CHUNKS_PER_COMMIT) && off < bytes.length;
        n++, i++, off += CHUNK
      ) {
        const part = bytes.subarray(off, off + CHUNK);
        if (expireIn === undefined) atomic.set([CHUNK_NS, descriptor.id, i], part);
        else atomic.set([CHUNK_NS, descriptor.id, i], part, { expireIn });
      }
      if (!into) await atomic.commit();
    }
  }

  async #deleteChunks(d: Descriptor): Promise<void> {
    const count = Math.ceil(d.size / CHUNK);
    for (let i = 0; i < count; i += MAX_MUTATIONS) {
      const atomic = this.#kv.atomic();
      for (let j = i; j < Math.min(count, i + MAX_MUTATIONS); j++) {
        atomic.delete([CHUNK_NS, d.id, j]);
      }
      await atomic.commit();
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
