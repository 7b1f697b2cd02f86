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
 *
 * @module
 */
import type { RawEngine, RawEntry, RawOp, RawScanOptions } from "../../core/engine.ts";
import { compareBytes, prefixUpperBound } from "../../core/bytes.ts";
import { StoreError } from "../../core/error.ts";

/** Values up to this many bytes are stored inline. */
export const INLINE_LIMIT = 60_000;
const CHUNK = 60_000;
const CHUNKS_PER_COMMIT = 12;
const MAX_MUTATIONS = 1000;
const MAX_MUTATION_BYTES = 819_200;
const MAX_KEY_BYTES = 2048;
const NS = "oxi";
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

/** Bytes Deno KV's key codec needs for `["oxi", raw]`. */
function encodedKeySize(raw: Uint8Array): number {
  let n = 5 + 2 + raw.length; // "oxi" string part, bytes part tag and terminator
  for (let i = 0; i < raw.length; i++) if (raw[i] === 0) n++;
  return n;
}

/**
 * A bound that Deno KV accepts: `key` itself when it fits, else its longest
 * fitting prefix (a lower bound) or that prefix's successor (an upper bound).
 */
function fitBound(key: Uint8Array, upper: boolean): Uint8Array | undefined {
  if (encodedKeySize(key) <= MAX_KEY_BYTES) return key;
  let n = 0;
  let size = 7;
  while (n < key.length && size + (key[n] === 0 ? 2 : 1) <= MAX_KEY_BYTES) {
    size += key[n++] === 0 ? 2 : 1;
  }
  const cut = key.subarray(0, n);
  return upper ? prefixUpperBound(cut) : cut;
}

/** A RawEngine over Deno KV. */
export class DenoKvEngine implements RawEngine {
  readonly path: string;
  readonly #kv: Deno.Kv;
  readonly #file: string | undefined;
  #hasChunks: boolean;

  private constructor(kv: Deno.Kv, path: string, file: string | undefined, hasChunks: boolean) {
    this.#kv = kv;
    this.path = path;
    this.#file = file;
    this.#hasChunks = hasChunks;
  }

  /** Wraps an open Deno KV handle; `file` is its local SQLite path, if any. */
  static async create(kv: Deno.Kv, path: string, file: string | undefined): Promise<DenoKvEngine> {
    const meta = await kv.get(META_CHUNKED);
    return new DenoKvEngine(kv, path, file, meta.value !== null);
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
    for await (
      const e of this.#kv.list<Uint8Array>({ prefix: [CHUNK_NS, value.id] }, { batchSize: 100 })
    ) {
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
    if (encodedKeySize(key) > MAX_KEY_BYTES) return undefined; // such a key cannot be stored
    const r = await this.#kv.get([NS, key]);
    return this.#resolve(r.value);
  }

  async *scan(
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
    opts?: RawScanOptions,
  ): AsyncGenerator<RawEntry> {
    // Bounds too long for Deno KV's key codec are widened, then filtered here.
    const l = lo === undefined ? undefined : fitBound(lo, false);
    const h = hi === undefined ? undefined : fitBound(hi, true);
    const selector: Deno.KvListSelector = l === undefined
      ? (h === undefined ? { prefix: [NS] } : { prefix: [NS], end: [NS, h] })
      : (h === undefined ? { prefix: [NS], start: [NS, l] } : { start: [NS, l], end: [NS, h] });
    const iter = this.#kv.list(selector, { reverse: opts?.reverse ?? false, batchSize: 500 });
    for await (const e of iter) {
      const key = e.key[1];
      if (!(key instanceof Uint8Array)) continue;
      if (l !== lo && compareBytes(key, lo!) < 0) continue;
      if (h !== hi && compareBytes(key, hi!) >= 0) continue;
      if (opts?.keysOnly && isDescriptor(e.value)) {
        yield [key, e.value.head];
        continue;
      }
      const value = await this.#resolve(e.value);
      if (value !== undefined) yield [key, value];
    }
  }

  async apply(ops: RawOp[]): Promise<void> {
    if (ops.length > MAX_MUTATIONS) {
      throw new StoreError(
        "CapacityExceeded",
        `Cannot commit ${ops.length} writes to Deno KV store at ${this.path}: ` +
          `one atomic commit takes at most ${MAX_MUTATIONS}; split the batch`,
      );
    }
    let bytes = 0;
    const large: { op: RawOp; descriptor: Descriptor }[] = [];
    for (const op of ops) {
      const ks = encodedKeySize(op.key);
      if (ks > MAX_KEY_BYTES) {
        throw new StoreError(
          "CapacityExceeded",
          `Cannot write to Deno KV store at ${this.path}: the key needs ${ks} bytes in Deno KV's ` +
            `key encoding, over its limit of ${MAX_KEY_BYTES} (0x00 bytes count twice)`,
        );
      }
      bytes += ks;
      if (op.value !== undefined) {
        if (op.value.length > INLINE_LIMIT) {
          const descriptor = {
            id: crypto.randomUUID(),
            size: op.value.length,
            head: op.value.slice(0, 9),
          };
          large.push({ op, descriptor });
          bytes += 100;
        } else bytes += op.value.length;
      }
    }
    if (bytes > MAX_MUTATION_BYTES) {
      throw new StoreError(
        "CapacityExceeded",
        `Cannot commit ${bytes} bytes to Deno KV store at ${this.path} at once: one atomic ` +
          `commit takes at most ${MAX_MUTATION_BYTES} bytes of inline keys and values; split the batch`,
      );
    }
    const old = this.#hasChunks ? await this.#oldDescriptors(ops) : [];

    if (large.length > 0 && !this.#hasChunks) {
      await this.#kv.set(META_CHUNKED, true);
      this.#hasChunks = true;
    }
    for (const { op, descriptor } of large) await this.#writeChunks(op, descriptor);
    const atomic = this.#kv.atomic();
    const now = Date.now();
    for (const op of ops) {
      const key = [NS, op.key];
      if (op.value === undefined) {
        atomic.delete(key);
        continue;
      }
      const big = large.find((l) => l.op === op);
      const value = big ? big.descriptor : op.value;
      const expireIn = op.expiresAt === undefined
        ? undefined
        : Math.max(1, op.expiresAt - now + 1000);
      atomic.set(key, value, expireIn === undefined ? undefined : { expireIn });
    }
    const res = await atomic.commit();
    if (!res.ok) {
      throw new StoreError(
        "Other",
        `Cannot commit to Deno KV store at ${this.path}: the commit was refused`,
      );
    }
    for (const d of old) await this.#deleteChunks(d);
  }

  async #oldDescriptors(ops: RawOp[]): Promise<Descriptor[]> {
    const out: Descriptor[] = [];
    for (let i = 0; i < ops.length; i += 10) {
      const keys = ops.slice(i, i + 10).map((op) => [NS, op.key]);
      for (const r of await this.#kv.getMany(keys)) if (isDescriptor(r.value)) out.push(r.value);
    }
    return out;
  }

  async #writeChunks(op: RawOp, d: Descriptor): Promise<void> {
    const value = op.value!;
    const expireIn = op.expiresAt === undefined
      ? undefined
      : Math.max(1, op.expiresAt - Date.now() + 60_000);
    let i = 0;
    for (let off = 0; off < value.length;) {
      const atomic = this.#kv.atomic();
      for (let n = 0; n < CHUNKS_PER_COMMIT && off < value.length; n++, i++, off += CHUNK) {
        atomic.set(
          [CHUNK_NS, d.id, i],
          value.subarray(off, off + CHUNK),
          expireIn === undefined ? undefined : { expireIn },
        );
      }
      await atomic.commit();
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
