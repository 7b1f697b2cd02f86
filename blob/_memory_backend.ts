/**
 * The memory store's backend: blobs in a map, keys in a sorted array for
 * listing, and a byte quota. Each method is synchronous from its check to its
 * change, so conditional writes are atomic without locks.
 *
 * @module
 */
import { StoreError } from "../core/error.ts";
import type {
  BlobBackend,
  UploadSink,
  WriteCondition,
  WriteConflict,
  WriteInfo,
} from "./_backend.ts";
import { closedError } from "./_contract.ts";
import { bytesStream, collectData, resolveRange } from "./_data.ts";
import { newEtag } from "./_etag.ts";
import { isBefore, type ListPlan, PageBuilder } from "./_list.ts";
import { type Digest, sha256 } from "./digest.ts";
import { compareKeys } from "./keys.ts";
import type { BlobData, BlobMeta, ListResult } from "./types.ts";

/** How messages name the memory store. */
export const MEMORY = ":memory:";

interface Entry {
  data: Uint8Array;
  meta: BlobMeta;
}

/** Blobs held in memory, optionally bounded by `maxBytes` of content. */
export class MemoryBackend implements BlobBackend {
  readonly where = MEMORY;
  readonly removeConcurrency = 1;
  #closed = false;
  #entries = new Map<string, Entry>();
  #sorted: string[] = [];
  #used = 0;

  constructor(readonly maxBytes: number) {}

  /** Content bytes held (what the quota counts). */
  get usedBytes(): number {
    return this.#used;
  }

  #index(key: string): number {
    let lo = 0;
    let hi = this.#sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.#sorted[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #skipPrefix(i: number, prefix: string): number {
    while (i < this.#sorted.length && this.#sorted[i]!.startsWith(prefix)) i++;
    return i;
  }

  /** Stores an entry if the quota allows (throws `CapacityExceeded` and changes nothing). */
  #commit(key: string, data: Uint8Array, meta: BlobMeta, op: string): void {
    const old = this.#entries.get(key);
    const used = this.#used - (old?.data.length ?? 0) + data.length;
    if (used > this.maxBytes) {
      throw new StoreError(
        "CapacityExceeded",
        `Cannot ${op}: ${JSON.stringify(key)} needs ${data.length} bytes, the store would hold ` +
          `${used} of its ${this.maxBytes}-byte quota`,
      );
    }
    if (!old) this.#sorted.splice(this.#index(key), 0, key);
    this.#entries.set(key, { data, meta });
    this.#used = used;
  }

  #drop(key: string): boolean {
    const old = this.#entries.get(key);
    if (!old) return false;
    this.#entries.delete(key);
    this.#sorted.splice(this.#index(key), 1);
    this.#used -= old.data.length;
    return true;
  }

  async write(
    key: string,
    data: BlobData,
    info: WriteInfo,
    cond: WriteCondition | undefined,
    op: string,
  ): Promise<BlobMeta | WriteConflict> {
    const collected = await collectData(data, op);
    if (this.#closed) throw closedError(op, MEMORY); // closed while a stream was read
    // Kept as is: never the caller's own array.
    const bytes = collected === data ? collected.slice() : collected;
    return this.#store(key, bytes, { ...info, digest: info.digest ?? sha256(bytes) }, cond, op);
  }

  /** Synchronous from the condition check to the change, so it is atomic. */
  #store(
    key: string,
    bytes: Uint8Array,
    info: WriteInfo & { digest: Digest },
    cond: WriteCondition | undefined,
    op: string,
  ): Promise<BlobMeta | WriteConflict> {
    try {
      const old = this.#entries.get(key);
      if (cond && "ifAbsent" in cond && old) return Promise.resolve("exists");
      if (cond && "ifMatch" in cond && old?.meta.etag !== cond.ifMatch) {
        return Promise.resolve(old ? "mismatch" : "missing");
      }
      const meta: BlobMeta = {
        key,
        size: bytes.length,
        digest: info.digest.hex,
        etag: newEtag(),
        lastModified: new Date(),
        metadata: info.metadata,
      };
      if (info.contentType !== undefined) meta.contentType = info.contentType;
      this.#commit(key, bytes, meta, op);
      return Promise.resolve(cloneMeta(meta));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  read(key: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.#entries.get(key)?.data.slice());
  }

  readStream(
    key: string,
    range: { start: number; end?: number } | undefined,
    op: string,
  ): Promise<ReadableStream<Uint8Array> | undefined> {
    const entry = this.#entries.get(key);
    if (!entry) return Promise.resolve(undefined);
    const [start, end] = resolveRange(range, entry.data.length, op);
    return Promise.resolve(bytesStream(entry.data.slice(start, end)));
  }

  stat(key: string): Promise<BlobMeta | undefined> {
    const entry = this.#entries.get(key);
    return Promise.resolve(entry && cloneMeta(entry.meta));
  }

  remove(key: string, ifDigest?: Digest): Promise<boolean> {
    const entry = this.#entries.get(key);
    if (!entry || (ifDigest && !ifDigest.equals(entry.meta.digest))) return Promise.resolve(false);
    return Promise.resolve(this.#drop(key));
  }

  removePrefix(prefix: string): Promise<number> {
    const start = this.#index(prefix);
    const gone = this.#sorted.splice(start, this.#skipPrefix(start, prefix) - start);
    for (const k of gone) {
      this.#used -= this.#entries.get(k)!.data.length;
      this.#entries.delete(k);
    }
    return Promise.resolve(gone.length);
  }

  list(plan: ListPlan): Promise<ListResult> {
    const page = new PageBuilder(plan);
    const { after } = plan;
    let i = this.#index(after && compareKeys(after.key, plan.prefix) > 0 ? after.key : plan.prefix);
    while (i < this.#sorted.length) {
      const key = this.#sorted[i]!;
      if (!key.startsWith(plan.prefix)) break;
      if (isBefore(key, after)) {
        i++;
        continue;
      }
      const offer = page.offer(key);
      if (offer.kind === "full") break;
      if (offer.kind === "prefix" || offer.kind === "grouped") {
        i = this.#skipPrefix(i, offer.prefix);
      } else i++;
    }
    const result: ListResult = {
      items: page.keys.map((k) => cloneMeta(this.#entries.get(k)!.meta)),
      prefixes: page.prefixes,
    };
    const cursor = page.cursor();
    if (cursor !== undefined) result.cursor = cursor;
    return Promise.resolve(result);
  }

  copy(src: string, dst: string, op: string): Promise<boolean> {
    try {
      const from = this.#entries.get(src);
      if (!from) return Promise.resolve(false);
      const meta = { ...cloneMeta(from.meta), key: dst, etag: newEtag(), lastModified: new Date() };
      this.#commit(dst, from.data, meta, op);
      return Promise.resolve(true);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  rename(src: string, dst: string, op: string): Promise<boolean> {
    try {
      const from = this.#entries.get(src);
      if (!from) return Promise.resolve(false);
      if (src === dst) return Promise.resolve(true);
      const meta = { ...cloneMeta(from.meta), key: dst, etag: newEtag() };
      // Source first, so a move never needs quota for two copies.
      this.#drop(src);
      this.#commit(dst, from.data, meta, op);
      return Promise.resolve(true);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  openUpload(key: string, info: WriteInfo): Promise<UploadSink> {
    return Promise.resolve(new MemoryUploadSink(key, this.maxBytes, info, this));
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#entries.clear();
    this.#sorted = [];
    this.#used = 0;
    return Promise.resolve();
  }
}

/** Holds an upload's chunks until `complete`, within the quota. */
class MemoryUploadSink implements UploadSink {
  #chunks: Uint8Array[] = [];
  #size = 0;

  constructor(
    readonly key: string,
    readonly maxBytes: number,
    readonly info: WriteInfo,
    readonly backend: MemoryBackend,
  ) {}

  write(chunk: Uint8Array): Promise<void> {
    if (this.#size + chunk.length > this.maxBytes) {
      return Promise.reject(
        new StoreError(
          "CapacityExceeded",
          `Cannot write upload chunk: ${JSON.stringify(this.key)} would exceed the ` +
            `${this.maxBytes}-byte quota`,
        ),
      );
    }
    this.#chunks.push(chunk.slice());
    this.#size += chunk.length;
    return Promise.resolve();
  }

  async complete(): Promise<BlobMeta> {
    const all = new Uint8Array(this.#size);
    let at = 0;
    for (const c of this.#chunks) {
      all.set(c, at);
      at += c.length;
    }
    this.#chunks = [];
    const r = await this.backend.write(this.key, all, this.info, undefined, "complete upload");
    return r as BlobMeta; // unconditional writes never conflict
  }

  abort(): Promise<void> {
    this.#chunks = [];
    return Promise.resolve();
  }
}

/** A copy of stored metadata the caller may change. */
function cloneMeta(meta: BlobMeta): BlobMeta {
  return { ...meta, lastModified: new Date(meta.lastModified), metadata: { ...meta.metadata } };
}
