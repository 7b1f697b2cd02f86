/**
 * A BlobStore on the local file system: each blob is the plain file
 * `<root>/<key>`, byte for byte, so `cat`, a static file server, `rsync` or
 * DuckDB read the directory as it is. Content type, metadata, digest and etag
 * live in a sidecar under `<root>/.oxistore/` (hidden from listings), which
 * records which content file it describes, so a crash never pairs content
 * with metadata that is not its own (see `local/_commit.ts`). A write goes to
 * a temp file private to the writing store, is fsynced, and is published by
 * one `rename`, so a reader — or a crash — never sees a torn blob. Writes to
 * a key are serialised across processes by striped `flock` locks, which
 * makes `putIfAbsent`/`putIfMatch` atomic. A store of the first format
 * (`<key>~blob` files with an `OXIBLOB1` header) is upgraded when opened.
 *
 * @module
 */
import { StoreError } from "../core/error.ts";
import { BlobStoreCore } from "./_core.ts";
import { LocalBackend } from "./local/_backend.ts";
import { denoFs, type LocalFs } from "./local/_fs.ts";
import { PRIVATE_DIR } from "./local/_layout.ts";
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

export type { LocalFs, WritableFile } from "./local/_fs.ts";

/** Options of {@link LocalBlobStore}. */
export interface LocalBlobStoreOptions {
  /**
   * Most directory entries plus sidecars kept for listing (default
   * 50,000; roughly 0.7 KiB per listed blob, so ~35 MiB at most). They are
   * reused only while their directory is unchanged, so a cached listing is
   * never stale. Directories with 64 blobs or more also get an index file
   * under `~index/` (written when a listing has read all their headers, and
   * at close for directories this store filled), which a store opened later
   * trusts under the same rule. 0 disables all of it — the cache, the index
   * files and the parking of list walkers between pages, so each page reads
   * its directory and headers again: use it on network file systems whose
   * server clock may lag this machine's, since unchanged is judged by mtimes.
   */
  listCacheEntries?: number;
  /**
   * The file calls that change the disk (default: Deno's). Tests put a
   * simulated disk here to inject failures; programs leave it unset.
   */
  fs?: LocalFs;
}

const DEFAULT_LIST_CACHE = 50_000;

/** Name of the private directory that marks a LocalBlobStore root (format 2). */
export const LOCAL_BLOB_MARKER: string = PRIVATE_DIR;

/**
 * A BlobStore in a directory. Open with `await LocalBlobStore.open(root)`
 * (or `new LocalBlobStore(root)`, which prepares the root on first use).
 * Stale temp files of crashed writers are removed when a store opens.
 * Keys are paths of the file system: a key and keys below it (`a` and
 * `a/b`) cannot both exist (`Unsupported`), keys differing only by letter
 * case collide on case-insensitive file systems, and the first segment
 * `.oxistore` is reserved.
 *
 * @example
 * ```ts
 * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
 * import { strictEqual } from "node:assert/strict";
 * const root = await Deno.makeTempDir();
 * const store = await LocalBlobStore.open(root);
 * await store.put("reports/q1.txt", "revenue up", { contentType: "text/plain" });
 * strictEqual((await store.head("reports/q1.txt")).size, 10);
 * // The file is the blob's bytes.
 * strictEqual(await Deno.readTextFile(`${root}/reports/q1.txt`), "revenue up");
 * await store.close();
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export class LocalBlobStore implements BlobStore {
  /** The root directory as given. */
  readonly root: string;
  readonly #backend: LocalBackend;
  readonly #core: BlobStoreCore;

  /**
   * A store at `root`; the directory is prepared on first use.
   *
   * @param root the directory holding the blobs (created if missing)
   * @param opts tuning
   */
  constructor(root: string, opts: LocalBlobStoreOptions = {}) {
    if (typeof root !== "string" || root === "") {
      throw new StoreError("InvalidInput", "Cannot open local blob store: root must be a path");
    }
    const max = opts.listCacheEntries ?? DEFAULT_LIST_CACHE;
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new StoreError(
        "InvalidInput",
        `Cannot open local blob store at ${root}: listCacheEntries must be an integer ≥ 0`,
      );
    }
    this.root = root;
    this.#backend = new LocalBackend(root, opts.fs ?? denoFs, max);
    this.#core = new BlobStoreCore(this.#backend);
  }

  /**
   * Opens (creating if needed) a store at `root`, cleaning stale temp files
   * and upgrading a store of the first format.
   *
   * @param root the directory holding the blobs (created if missing)
   * @param opts tuning
   * @returns the open store
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * strictEqual(await store.exists("nothing"), false);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  static async open(root: string, opts: LocalBlobStoreOptions = {}): Promise<LocalBlobStore> {
    const store = new LocalBlobStore(root, opts);
    await store.#backend.prepare("open local blob store");
    return store;
  }

  /**
   * Writes (or overwrites) a blob atomically.
   *
   * @param key where to store it
   * @param data bytes, a string (UTF-8) or a stream
   * @param opts content type and metadata
   * @returns the new blob's metadata
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * const meta = await store.put("a/b.bin", new Uint8Array([1, 2, 3]));
   * strictEqual(meta.size, 3);
   * strictEqual(meta.digest.length, 64);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  put(key: string, data: BlobData, opts?: PutOptions): Promise<BlobMeta> {
    return this.#core.put(key, data, opts);
  }

  /**
   * Reads a whole blob.
   *
   * @param key the blob
   * @returns its bytes
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("k", "hello");
   * strictEqual(new TextDecoder().decode(await store.get("k")), "hello");
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  get(key: string): Promise<Uint8Array> {
    return this.#core.get(key);
  }

  /**
   * Streams a blob or the range `[start, end)`, reading only that range.
   *
   * @param key the blob
   * @param range bytes to read (default: all)
   * @returns a stream of its bytes
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("k", "hello world");
   * strictEqual(await new Response(await store.getStream("k", { start: 6 })).text(), "world");
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  getStream(key: string, range?: GetRangeOptions): Promise<ReadableStream<Uint8Array>> {
    return this.#core.getStream(key, range);
  }

  /**
   * The blob's metadata (read from its sidecar).
   *
   * @param key the blob
   * @returns its metadata
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { deepStrictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("k", "x", { metadata: { owner: "ada" } });
   * deepStrictEqual((await store.head("k")).metadata, { owner: "ada" });
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  head(key: string): Promise<BlobMeta> {
    return this.#core.head(key);
  }

  /**
   * Removes a blob; missing → `NotFound`.
   *
   * @param key the blob
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("k", "x");
   * await store.delete("k");
   * strictEqual(await store.exists("k"), false);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  delete(key: string): Promise<void> {
    return this.#core.delete(key);
  }

  /**
   * Whether a blob exists.
   *
   * @param key the blob
   * @returns true if it exists
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * strictEqual(await store.exists("nothing"), false);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  exists(key: string): Promise<boolean> {
    return this.#core.exists(key);
  }

  /**
   * One page of blobs under a prefix, ascending by key.
   *
   * @param prefix only keys starting with it
   * @param opts delimiter, page size and cursor
   * @returns the page
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { deepStrictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("logs/1", "a");
   * await store.put("logs/old/2", "b");
   * const page = await store.list("logs/", { delimiter: "/" });
   * deepStrictEqual(page.items.map((m) => m.key), ["logs/1"]);
   * deepStrictEqual(page.prefixes, ["logs/old/"]);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  list(prefix?: string, opts?: ListOptions): Promise<ListResult> {
    return this.#core.list(prefix, opts);
  }

  /**
   * Copies a blob (content, type, metadata; fresh etag) to `dst`.
   *
   * @param src the blob to copy
   * @param dst where the copy goes (replaced if present)
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("a", "x");
   * await store.copy("a", "b/c");
   * strictEqual(await store.exists("b/c"), true);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  copy(src: string, dst: string): Promise<void> {
    return this.#core.copy(src, dst);
  }

  /**
   * Moves a blob to `dst` (one rename of its file; the etag travels with it).
   *
   * @param src the blob to move
   * @param dst its new key (replaced if present)
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("a", "x");
   * await store.rename("a", "b");
   * strictEqual(await store.exists("a"), false);
   * strictEqual(await store.exists("b"), true);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  rename(src: string, dst: string): Promise<void> {
    return this.#core.rename(src, dst);
  }

  /**
   * Writes only if no blob exists under the key (`AlreadyExists` otherwise),
   * atomically across processes.
   *
   * @param key where to store it
   * @param data bytes, a string (UTF-8) or a stream
   * @param opts content type and metadata
   * @returns the new blob's metadata
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.putIfAbsent("lock", "me");
   * const kind = await store.putIfAbsent("lock", "you").catch((e) => e.kind);
   * strictEqual(kind, "AlreadyExists");
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  putIfAbsent(key: string, data: BlobData, opts?: PutOptions): Promise<BlobMeta> {
    return this.#core.putIfAbsent(key, data, opts);
  }

  /**
   * Writes only if the blob's etag is `etag` (`CasMismatch` otherwise).
   *
   * @param key where to store it
   * @param data bytes, a string (UTF-8) or a stream
   * @param etag the etag the blob must have now
   * @param opts content type and metadata
   * @returns the new blob's metadata
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * const v1 = await store.put("doc", "v1");
   * await store.putIfMatch("doc", "v2", v1.etag);
   * const kind = await store.putIfMatch("doc", "v3", v1.etag).catch((e) => e.kind);
   * strictEqual(kind, "CasMismatch");
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  putIfMatch(key: string, data: BlobData, etag: string, opts?: PutOptions): Promise<BlobMeta> {
    return this.#core.putIfMatch(key, data, etag, opts);
  }

  /**
   * Removes the existing keys among `keys`; returns how many.
   *
   * @param keys the blobs to remove
   * @returns how many existed
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("a", "x");
   * strictEqual(await store.deleteMany(["a", "b"]), 1);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  deleteMany(keys: string[]): Promise<number> {
    return this.#core.deleteMany(keys);
  }

  /**
   * Removes every blob under a prefix; returns how many.
   *
   * @param prefix keys starting with it go
   * @returns how many were removed
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("tmp/1", "x");
   * await store.put("tmp/2/3", "y");
   * strictEqual(await store.deletePrefix("tmp/"), 2);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  deletePrefix(prefix: string): Promise<number> {
    return this.#core.deletePrefix(prefix);
  }

  /**
   * Removes the blob only if its content has this digest.
   *
   * @param key the blob
   * @param digest the SHA-256 its content must have
   * @returns whether it was removed
   *
   * @example
   * ```ts
   * import { LocalBlobStore, sha256 } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("k", "x");
   * strictEqual(await store.deleteIfMatches("k", sha256("y")), false);
   * strictEqual(await store.deleteIfMatches("k", sha256("x")), true);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  deleteIfMatches(key: string, digest: Digest | string): Promise<boolean> {
    return this.#core.deleteIfMatches(key, digest);
  }

  /**
   * Stores content under `cas/sha256/…` by its SHA-256; idempotent.
   *
   * @param data bytes, a string (UTF-8) or a stream
   * @returns its digest
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * const d = await store.putCas("content");
   * strictEqual(await store.existsCas(d), true);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  putCas(data: BlobData): Promise<Digest> {
    return this.#core.putCas(data);
  }

  /**
   * Reads content by digest, re-hashing it (`Corruption` on mismatch).
   *
   * @param digest the content's SHA-256
   * @returns the content
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * const d = await store.putCas("content");
   * strictEqual((await store.getCas(d)).length, 7);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  getCas(digest: Digest | string): Promise<Uint8Array> {
    return this.#core.getCas(digest);
  }

  /**
   * Whether content with this digest is stored.
   *
   * @param digest the content's SHA-256
   * @returns true if stored
   *
   * @example
   * ```ts
   * import { LocalBlobStore, sha256 } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * strictEqual(await store.existsCas(sha256("x")), false);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  existsCas(digest: Digest | string): Promise<boolean> {
    return this.#core.existsCas(digest);
  }

  /**
   * Begins a chunked upload, streamed to a temp file (never held in memory)
   * and published atomically by `complete()`.
   *
   * @param key where the blob goes
   * @param opts content type and metadata
   * @returns the upload
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * const up = await store.startUpload("video.bin");
   * await up.write(new Uint8Array(1000));
   * await up.write(new Uint8Array(24));
   * strictEqual((await up.complete()).size, 1024);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  startUpload(key: string, opts?: PutOptions): Promise<ChunkedUpload> {
    return this.#core.startUpload(key, opts);
  }

  /**
   * Unsupported: a local store has no URLs (throws `Unsupported`).
   *
   * @param key the blob
   * @param _opts method and lifetime (unused)
   * @returns never; it rejects
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const dir = await Deno.makeTempDir();
   * const store = new LocalBlobStore(dir);
   * const kind = await store.presign("k", { method: "GET", expiresInSeconds: 60 })
   *   .catch((e) => e.kind);
   * strictEqual(kind, "Unsupported");
   * await store.close();
   * ```
   */
  presign(key: string, opts: PresignOptions): Promise<string> {
    return this.#core.presign(key, opts);
  }

  /**
   * Aborts open uploads, releases locks and removes this store's temp files.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.close();
   * strictEqual(await store.exists("a").then(String, (e) => e.kind), "Closed");
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  close(): Promise<void> {
    return this.#core.close();
  }
}
