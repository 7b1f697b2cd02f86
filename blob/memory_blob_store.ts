/**
 * An in-memory BlobStore, optionally bounded by a byte quota.
 *
 * @module
 */
import { checkKeyList, closedError, existsCas, getCas, notFoundError } from "./_contract.ts";
import { StoreError } from "../core/error.ts";
import { bytesStream, chunkBytes, collectData, resolveRange } from "./_data.ts";
import { newEtag } from "./_etag.ts";
import { isBefore, PageBuilder, planList } from "./_list.ts";
import { Digest, sha256 } from "./digest.ts";
import { casKey, checkBlobKey, checkBlobPrefix, checkContentType, checkMetadata } from "./keys.ts";
import { compareKeys } from "./keys.ts";
import type {
  BlobData,
  BlobMeta,
  BlobStore,
  ChunkedUpload,
  GetRangeOptions,
  ListOptions,
  ListResult,
  PresignOptions,
  PutOptions,
} from "./types.ts";

/** How messages name the memory store. */
const MEMORY = ":memory:";
/** Options of {@link MemoryBlobStore}. */
export interface MemoryBlobStoreOptions {
  /** Most content bytes held at once; a write past it is `CapacityExceeded`. */
  maxBytes?: number;
}

interface Entry {
  data: Uint8Array;
  meta: BlobMeta;
}

type Condition = { ifAbsent: true } | { ifMatch: string } | undefined;

/**
 * A BlobStore held in memory: fast, ephemeral, and with the same semantics as
 * the other backends (validation, ordering, conditional writes, CAS). With
 * `maxBytes`, a write that would hold more content bytes throws
 * `CapacityExceeded` and writes nothing.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
 * const store = new MemoryBlobStore({ maxBytes: 1 << 20 });
 * await store.put("notes/a.txt", "hello", { contentType: "text/plain" });
 * strictEqual(new TextDecoder().decode(await store.get("notes/a.txt")), "hello");
 * await store.close();
 * ```
 */
export class MemoryBlobStore implements BlobStore {
  #entries = new Map<string, Entry>();
  #sorted: string[] = [];
  #used = 0;
  #closed = false;
  readonly #maxBytes: number;

  /**
   * An empty store.
   *
   * @param opts optional byte quota
   */
  constructor(opts: MemoryBlobStoreOptions = {}) {
    const max = opts.maxBytes ?? Infinity;
    if (!(max === Infinity || (Number.isSafeInteger(max) && max >= 0))) {
      throw new StoreError("InvalidInput", "Cannot open memory blob store: maxBytes must be ≥ 0");
    }
    this.#maxBytes = max;
  }

  /**
   * Content bytes currently held (what the quota counts).
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * await s.put("k", "abc");
   * strictEqual(s.usedBytes, 3);
   * ```
   */
  get usedBytes(): number {
    return this.#used;
  }

  #open(op: string): void {
    if (this.#closed) throw closedError(op, MEMORY);
  }

  #find(key: string, op: string): Entry {
    const entry = this.#entries.get(key);
    if (!entry) throw notFoundError(op, key, MEMORY);
    return entry;
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

  // Synchronous from the condition check to the store, so it is atomic.
  #commit(key: string, data: Uint8Array, meta: BlobMeta, cond: Condition, op: string): void {
    const old = this.#entries.get(key);
    if (cond && "ifAbsent" in cond && old) {
      throw new StoreError(
        "AlreadyExists",
        `Cannot ${op}: a blob exists at ${JSON.stringify(key)}`,
      );
    }
    if (cond && "ifMatch" in cond && old?.meta.etag !== cond.ifMatch) {
      throw new StoreError(
        "CasMismatch",
        `Cannot ${op}: ${JSON.stringify(key)} ${old ? "has another etag" : "does not exist"}`,
      );
    }
    const used = this.#used - (old?.data.length ?? 0) + data.length;
    if (used > this.#maxBytes) {
      throw new StoreError(
        "CapacityExceeded",
        `Cannot ${op}: ${JSON.stringify(key)} needs ${data.length} bytes, the store would hold ` +
          `${used} of its ${this.#maxBytes}-byte quota`,
      );
    }
    if (!old) this.#sorted.splice(this.#index(key), 0, key);
    this.#entries.set(key, { data, meta });
    this.#used = used;
  }

  #remove(key: string): boolean {
    const old = this.#entries.get(key);
    if (!old) return false;
    this.#entries.delete(key);
    this.#sorted.splice(this.#index(key), 1);
    this.#used -= old.data.length;
    return true;
  }

  async #write(
    key: string,
    data: BlobData,
    opts: PutOptions,
    cond: Condition,
    op: string,
  ): Promise<BlobMeta> {
    this.#open(op);
    checkBlobKey(key, op);
    const contentType = checkContentType(opts.contentType, op);
    const metadata = checkMetadata(opts.metadata, op);
    const collected = await collectData(data, op);
    this.#open(op);
    const bytes = collected === data ? collected.slice() : collected;
    const meta = makeMeta(key, bytes, contentType, metadata);
    this.#commit(key, bytes, meta, cond, op);
    return cloneMeta(meta);
  }

  /**
   * Writes (or overwrites) a blob.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const meta = await new MemoryBlobStore().put("a", "xyz");
   * strictEqual(meta.size, 3);
   * ```
   */
  put(key: string, data: BlobData, opts: PutOptions = {}): Promise<BlobMeta> {
    return this.#write(key, data, opts, undefined, "put blob");
  }

  /**
   * Reads a whole blob (a copy).
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * await s.put("a", "xyz");
   * strictEqual((await s.get("a")).length, 3);
   * ```
   */
  get(key: string): Promise<Uint8Array> {
    return this.#sync(
      "get blob",
      () => this.#find(checkBlobKey(key, "get blob"), "get blob").data.slice(),
    );
  }

  /**
   * Streams a blob or a byte range of it.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * await s.put("a", "hello");
   * const part = await new Response(await s.getStream("a", { start: 1, end: 3 })).text();
   * strictEqual(part, "el");
   * ```
   */
  getStream(key: string, range?: GetRangeOptions): Promise<ReadableStream<Uint8Array>> {
    const op = "stream blob";
    return this.#sync(op, () => {
      const { data } = this.#find(checkBlobKey(key, op), op);
      const [start, end] = resolveRange(range, data.length, op);
      return bytesStream(data.slice(start, end));
    });
  }

  /**
   * The blob's metadata.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * await s.put("a", "hi", { metadata: { by: "me" } });
   * strictEqual((await s.head("a")).metadata.by, "me");
   * ```
   */
  head(key: string): Promise<BlobMeta> {
    return this.#sync(
      "head blob",
      () => cloneMeta(this.#find(checkBlobKey(key), "head blob").meta),
    );
  }

  /**
   * Removes a blob; missing → `NotFound`.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * await s.put("a", "hi");
   * await s.delete("a");
   * strictEqual(await s.exists("a"), false);
   * ```
   */
  delete(key: string): Promise<void> {
    return this.#sync("delete blob", () => {
      this.#find(checkBlobKey(key, "delete blob"), "delete blob");
      this.#remove(key);
    });
  }

  /**
   * Whether a blob exists.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * strictEqual(await new MemoryBlobStore().exists("a"), false);
   * ```
   */
  exists(key: string): Promise<boolean> {
    return this.#sync("check blob", () => this.#entries.has(checkBlobKey(key, "check blob")));
  }

  /**
   * One page of blobs under a prefix, ascending by key.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * await s.put("a/1", "x");
   * await s.put("a/b/2", "y");
   * const page = await s.list("a/", { delimiter: "/" });
   * deepStrictEqual(page.items.map((m) => m.key), ["a/1"]);
   * deepStrictEqual(page.prefixes, ["a/b/"]);
   * ```
   */
  list(prefix?: string, opts?: ListOptions): Promise<ListResult> {
    return this.#sync("list blobs", () => {
      const plan = planList(prefix, opts);
      const page = new PageBuilder(plan);
      let i = this.#index(
        plan.after && compareKeys(plan.after.key, plan.prefix) > 0 ? plan.after.key : plan.prefix,
      );
      while (i < this.#sorted.length) {
        const key = this.#sorted[i]!;
        if (!key.startsWith(plan.prefix)) break;
        if (isBefore(key, plan.after)) {
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
      return result;
    });
  }

  #skipPrefix(i: number, prefix: string): number {
    while (i < this.#sorted.length && this.#sorted[i]!.startsWith(prefix)) i++;
    return i;
  }

  /**
   * Copies a blob (content, type, metadata) to `dst`.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * await s.put("a", "x");
   * await s.copy("a", "b");
   * strictEqual(await s.exists("b"), true);
   * ```
   */
  copy(src: string, dst: string): Promise<void> {
    const op = "copy blob";
    return this.#sync(op, () => {
      checkBlobKey(dst, op);
      const from = this.#find(checkBlobKey(src, op), op);
      const meta = { ...cloneMeta(from.meta), key: dst, etag: newEtag(), lastModified: new Date() };
      this.#commit(dst, from.data, meta, undefined, op);
    });
  }

  /**
   * Moves a blob to `dst`.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * await s.put("a", "x");
   * await s.rename("a", "b");
   * strictEqual(await s.exists("a"), false);
   * strictEqual(await s.exists("b"), true);
   * ```
   */
  rename(src: string, dst: string): Promise<void> {
    const op = "rename blob";
    return this.#sync(op, () => {
      checkBlobKey(dst, op);
      const from = this.#find(checkBlobKey(src, op), op);
      if (src === dst) return;
      const meta = { ...cloneMeta(from.meta), key: dst, etag: newEtag() };
      // Source first, so a move never needs quota for two copies.
      this.#remove(src);
      this.#commit(dst, from.data, meta, undefined, op);
    });
  }

  /**
   * Writes only if absent, else `AlreadyExists`.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * await s.putIfAbsent("lock", "me");
   * const kind = await s.putIfAbsent("lock", "you").then(() => "written", (e) => e.kind);
   * strictEqual(kind, "AlreadyExists");
   * ```
   */
  putIfAbsent(key: string, data: BlobData, opts: PutOptions = {}): Promise<BlobMeta> {
    return this.#write(key, data, opts, { ifAbsent: true }, "put blob if absent");
  }

  /**
   * Writes only if the etag matches, else `CasMismatch`.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * const v1 = await s.put("doc", "v1");
   * await s.putIfMatch("doc", "v2", v1.etag);
   * const kind = await s.putIfMatch("doc", "v3", v1.etag).then(() => "written", (e) => e.kind);
   * strictEqual(kind, "CasMismatch"); // v1's etag is stale now
   * ```
   */
  putIfMatch(key: string, data: BlobData, etag: string, opts: PutOptions = {}): Promise<BlobMeta> {
    return this.#write(key, data, opts, { ifMatch: String(etag) }, "put blob if match");
  }

  /**
   * Removes the existing keys among `keys`; returns how many.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * await s.put("a", "x");
   * strictEqual(await s.deleteMany(["a", "b"]), 1);
   * ```
   */
  deleteMany(keys: string[]): Promise<number> {
    const op = "delete blobs";
    return this.#sync(op, () => {
      let n = 0;
      for (const k of checkKeyList(keys, op, MEMORY)) if (this.#remove(k)) n++;
      return n;
    });
  }

  /**
   * Removes every blob under a prefix; returns how many.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * await s.put("tmp/1", "x");
   * strictEqual(await s.deletePrefix("tmp/"), 1);
   * ```
   */
  deletePrefix(prefix: string): Promise<number> {
    const op = "delete blobs by prefix";
    return this.#sync(op, () => {
      checkBlobPrefix(prefix, op);
      const start = this.#index(prefix);
      const end = this.#skipPrefix(start, prefix);
      const gone = this.#sorted.splice(start, end - start);
      for (const k of gone) {
        this.#used -= this.#entries.get(k)!.data.length;
        this.#entries.delete(k);
      }
      return gone.length;
    });
  }

  /**
   * Removes the blob only if its content has the digest.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * import { sha256 } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * await s.put("a", "x");
   * strictEqual(await s.deleteIfMatches("a", sha256("x")), true);
   * ```
   */
  deleteIfMatches(key: string, digest: Digest | string): Promise<boolean> {
    const op = "delete blob if it matches";
    return this.#sync(op, () => {
      checkBlobKey(key, op);
      const want = Digest.from(digest);
      const entry = this.#entries.get(key);
      if (!entry || !want.equals(entry.meta.digest)) return false;
      return this.#remove(key);
    });
  }

  /**
   * Stores content under its SHA-256.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const d = await new MemoryBlobStore().putCas("content");
   * strictEqual(d.hex.length, 64);
   * ```
   */
  async putCas(data: BlobData): Promise<Digest> {
    const op = "put content-addressed blob";
    this.#open(op);
    const bytes = (await collectData(data, op)).slice();
    this.#open(op);
    const digest = sha256(bytes);
    const key = casKey(digest);
    const old = this.#entries.get(key);
    if (!old || old.meta.digest !== digest.hex) {
      this.#commit(key, bytes, makeMeta(key, bytes, undefined, {}, digest), undefined, op);
    }
    return digest;
  }

  /**
   * Reads content by digest, re-verified.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * const d = await s.putCas("content");
   * strictEqual((await s.getCas(d)).length, 7);
   * ```
   */
  getCas(digest: Digest | string): Promise<Uint8Array> {
    return getCas(this, digest, MEMORY);
  }

  /**
   * Whether content with this digest is stored.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * import { sha256 } from "@cooljapan/oxistore/blob";
   * strictEqual(await new MemoryBlobStore().existsCas(sha256("x")), false);
   * ```
   */
  existsCas(digest: Digest | string): Promise<boolean> {
    return existsCas(this, digest);
  }

  /**
   * Begins a chunked upload (chunks are held until `complete`).
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * const up = await s.startUpload("big");
   * await up.write("part 1, ");
   * await up.write("part 2");
   * strictEqual((await up.complete()).size, 14);
   * ```
   */
  startUpload(key: string, opts: PutOptions = {}): Promise<ChunkedUpload> {
    const op = "start upload";
    return this.#sync(op, () => {
      checkBlobKey(key, op);
      const contentType = checkContentType(opts.contentType, op);
      const metadata = checkMetadata(opts.metadata, op);
      const putOpts: PutOptions = { metadata };
      if (contentType !== undefined) putOpts.contentType = contentType;
      return new MemoryUpload(
        key,
        this.#maxBytes,
        (bytes) => this.#write(key, bytes, putOpts, undefined, "complete upload"),
      );
    });
  }

  /**
   * Unsupported: a memory store has no URLs.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * const kind = await s.presign("a", { method: "GET", expiresInSeconds: 60 })
   *   .then(() => "signed", (e) => e.kind);
   * strictEqual(kind, "Unsupported");
   * ```
   */
  presign(key: string, _opts: PresignOptions): Promise<string> {
    return this.#sync("presign blob", () => {
      checkBlobKey(key, "presign blob");
      throw new StoreError("Unsupported", "Cannot presign: the memory blob store has no URLs");
    });
  }

  /**
   * Drops every blob; later calls throw `Closed`.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
   * const s = new MemoryBlobStore();
   * await s.close();
   * strictEqual(await s.exists("a").then(String, (e) => e.kind), "Closed");
   * ```
   */
  close(): Promise<void> {
    this.#closed = true;
    this.#entries.clear();
    this.#sorted = [];
    this.#used = 0;
    return Promise.resolve();
  }

  #sync<T>(op: string, fn: () => T): Promise<T> {
    try {
      this.#open(op);
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

class MemoryUpload implements ChunkedUpload {
  #chunks: Uint8Array[] = [];
  #size = 0;
  #done = false;

  constructor(
    readonly key: string,
    readonly maxBytes: number,
    readonly finish: (bytes: Uint8Array) => Promise<BlobMeta>,
  ) {}

  #live(op: string): void {
    if (this.#done) {
      throw new StoreError("Closed", `Cannot ${op}: upload to ${JSON.stringify(this.key)} ended`);
    }
  }

  write(chunk: Uint8Array | string): Promise<void> {
    try {
      this.#live("write upload chunk");
      const bytes = chunkBytes(chunk, "write upload chunk").slice();
      if (this.#size + bytes.length > this.maxBytes) {
        throw new StoreError(
          "CapacityExceeded",
          `Cannot write upload chunk: ${JSON.stringify(this.key)} would exceed the ` +
            `${this.maxBytes}-byte quota`,
        );
      }
      this.#chunks.push(bytes);
      this.#size += bytes.length;
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async complete(): Promise<BlobMeta> {
    this.#live("complete upload");
    this.#done = true;
    const all = new Uint8Array(this.#size);
    let at = 0;
    for (const c of this.#chunks) {
      all.set(c, at);
      at += c.length;
    }
    this.#chunks = [];
    return await this.finish(all);
  }

  abort(): Promise<void> {
    this.#done = true;
    this.#chunks = [];
    return Promise.resolve();
  }
}

function makeMeta(
  key: string,
  data: Uint8Array,
  contentType: string | undefined,
  metadata: Record<string, string>,
  digest: Digest = sha256(data),
): BlobMeta {
  const meta: BlobMeta = {
    key,
    size: data.length,
    digest: digest.hex,
    etag: newEtag(),
    lastModified: new Date(),
    metadata,
  };
  if (contentType !== undefined) meta.contentType = contentType;
  return meta;
}

function cloneMeta(meta: BlobMeta): BlobMeta {
  return { ...meta, lastModified: new Date(meta.lastModified), metadata: { ...meta.metadata } };
}
