/**
 * An in-memory BlobStore, optionally bounded by a byte quota.
 *
 * @module
 */
import { StoreError } from "../core/error.ts";
import { BlobStoreCore } from "./_core.ts";
import { MemoryBackend } from "./_memory_backend.ts";
import type { Digest } from "./digest.ts";
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

/** Options of {@link MemoryBlobStore}. */
export interface MemoryBlobStoreOptions {
  /** Most content bytes held at once; a write past it is `CapacityExceeded`. */
  maxBytes?: number;
}

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
  readonly #backend: MemoryBackend;
  readonly #core: BlobStoreCore;

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
    this.#backend = new MemoryBackend(max);
    this.#core = new BlobStoreCore(this.#backend);
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
    return this.#backend.usedBytes;
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
  put(key: string, data: BlobData, opts?: PutOptions): Promise<BlobMeta> {
    return this.#core.put(key, data, opts);
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
    return this.#core.get(key);
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
    return this.#core.getStream(key, range);
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
    return this.#core.head(key);
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
    return this.#core.delete(key);
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
    return this.#core.exists(key);
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
    return this.#core.list(prefix, opts);
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
    return this.#core.copy(src, dst);
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
    return this.#core.rename(src, dst);
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
  putIfAbsent(key: string, data: BlobData, opts?: PutOptions): Promise<BlobMeta> {
    return this.#core.putIfAbsent(key, data, opts);
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
  putIfMatch(key: string, data: BlobData, etag: string, opts?: PutOptions): Promise<BlobMeta> {
    return this.#core.putIfMatch(key, data, etag, opts);
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
    return this.#core.deleteMany(keys);
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
    return this.#core.deletePrefix(prefix);
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
    return this.#core.deleteIfMatches(key, digest);
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
  putCas(data: BlobData): Promise<Digest> {
    return this.#core.putCas(data);
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
    return this.#core.getCas(digest);
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
    return this.#core.existsCas(digest);
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
  startUpload(key: string, opts?: PutOptions): Promise<ChunkedUpload> {
    return this.#core.startUpload(key, opts);
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
  presign(key: string, opts: PresignOptions): Promise<string> {
    return this.#core.presign(key, opts);
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
    return this.#core.close();
  }
}
