/**
 * The `BlobStore` contract written once over a {@link BlobBackend}: key and
 * option checks, closed checks, digests, conditional-write errors, content
 * addressing, batch input checks, listing plans, chunked-upload lifetimes and
 * the presign refusal of backends without URLs. The public store classes hold
 * one and delegate to it, so each keeps its own name, options and examples.
 *
 * @module
 */
import { StoreError, toStoreError } from "../core/error.ts";
import {
  alreadyExistsError,
  blobName,
  checkKeyList,
  closedError,
  etagMismatchError,
  existsCas,
  getCas,
  notFoundError,
  noUrlsError,
} from "./_contract.ts";
import { checkData, chunkBytes, collectData, resolveRange } from "./_data.ts";
import { planList } from "./_list.ts";
import type { BlobBackend, UploadSink, WriteCondition, WriteInfo } from "./_backend.ts";
import { Digest, sha256 } from "./digest.ts";
import { casKey, checkBlobKey, checkBlobPrefix, checkContentType, checkMetadata } from "./keys.ts";
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

/** Longest presigned URL lifetime (7 days, the S3 limit). */
const MAX_PRESIGN_SECONDS = 604800;

/** A BlobStore over one backend. */
export class BlobStoreCore implements BlobStore {
  #closed = false;

  constructor(readonly backend: BlobBackend) {}

  #open(op: string): void {
    if (this.#closed) throw closedError(op, this.backend.where);
  }

  /** How messages name the blob under `key`. */
  #blob(key: string): string {
    return this.backend.describe?.(key) ?? blobName(key, this.backend.where);
  }

  #missing(op: string, key: string): StoreError {
    return notFoundError(op, this.#blob(key));
  }

  #key(key: string, op: string): string {
    checkBlobKey(key, op);
    this.backend.checkKey?.(key, op);
    return key;
  }

  /**
   * Runs one operation: closed check, the backend made ready, then `fn`; a
   * failure is a StoreError naming the operation, its subject and the store.
   */
  async #run<T>(op: string, subject: string, fn: () => Promise<T> | T): Promise<T> {
    try {
      this.#open(op);
      if (this.backend.prepare) {
        await this.backend.prepare(op);
        this.#open(op); // closed while the backend got ready
      }
      return await fn();
    } catch (err) {
      throw toStoreError(err, `${op} ${subject} in ${this.backend.where}`);
    }
  }

  #writeInfo(op: string, opts: PutOptions | undefined): WriteInfo {
    const o = opts ?? {};
    const contentType = checkContentType(o.contentType, op);
    const metadata = checkMetadata(o.metadata, op);
    return contentType === undefined ? { metadata } : { contentType, metadata };
  }

  #write(
    op: string,
    key: string,
    data: BlobData,
    opts: PutOptions | undefined,
    cond?: WriteCondition,
  ): Promise<BlobMeta> {
    return this.#run(op, JSON.stringify(key), async () => {
      this.#key(key, op);
      const info = this.#writeInfo(op, opts);
      checkData(data, op);
      const r = await this.backend.write(key, data, info, cond, op);
      if (typeof r !== "string") return r;
      if (r === "exists") throw alreadyExistsError(op, this.#blob(key));
      const etag = cond && "ifMatch" in cond ? cond.ifMatch : "";
      throw etagMismatchError(op, this.#blob(key), etag, r === "mismatch");
    });
  }

  put(key: string, data: BlobData, opts?: PutOptions): Promise<BlobMeta> {
    return this.#write("put blob", key, data, opts);
  }

  putIfAbsent(key: string, data: BlobData, opts?: PutOptions): Promise<BlobMeta> {
    return this.#write("put blob if absent", key, data, opts, { ifAbsent: true });
  }

  putIfMatch(key: string, data: BlobData, etag: string, opts?: PutOptions): Promise<BlobMeta> {
    const op = "put blob if match";
    if (typeof etag !== "string" || etag === "") {
      return Promise.reject(
        new StoreError(
          "InvalidInput",
          `Cannot ${op} ${JSON.stringify(key)}: etag must be a string`,
        ),
      );
    }
    return this.#write(op, key, data, opts, { ifMatch: etag });
  }

  get(key: string): Promise<Uint8Array> {
    const op = "get blob";
    return this.#run(op, JSON.stringify(key), async () => {
      const data = await this.backend.read(this.#key(key, op));
      if (data === undefined) throw this.#missing(op, key);
      return data;
    });
  }

  getStream(key: string, range?: GetRangeOptions): Promise<ReadableStream<Uint8Array>> {
    const op = "stream blob";
    return this.#run(op, JSON.stringify(key), async () => {
      this.#key(key, op);
      resolveRange(range, Number.MAX_SAFE_INTEGER, op); // checks the shape; the backend clamps
      const stream = await this.backend.readStream(key, range, op);
      if (stream === undefined) throw this.#missing(op, key);
      return stream;
    });
  }

  head(key: string): Promise<BlobMeta> {
    const op = "head blob";
    return this.#run(op, JSON.stringify(key), async () => {
      const meta = await this.backend.stat(this.#key(key, op));
      if (meta === undefined) throw this.#missing(op, key);
      return meta;
    });
  }

  delete(key: string): Promise<void> {
    const op = "delete blob";
    return this.#run(op, JSON.stringify(key), async () => {
      if (!(await this.backend.remove(this.#key(key, op)))) throw this.#missing(op, key);
    });
  }

  exists(key: string): Promise<boolean> {
    const op = "check blob";
    return this.#run(
      op,
      JSON.stringify(key),
      async () => (await this.backend.stat(this.#key(key, op))) !== undefined,
    );
  }

  list(prefix?: string, opts?: ListOptions): Promise<ListResult> {
    const op = "list blobs";
    return this.#run(
      op,
      `under ${JSON.stringify(prefix ?? "")}`,
      () => this.backend.list(planList(prefix, opts, !this.backend.nativeCursors)),
    );
  }

  copy(src: string, dst: string): Promise<void> {
    const op = "copy blob";
    return this.#run(op, `${JSON.stringify(src)} to ${JSON.stringify(dst)}`, async () => {
      this.#key(src, op);
      this.#key(dst, op);
      if (!(await this.backend.copy(src, dst, op))) throw this.#missing(op, src);
    });
  }

  rename(src: string, dst: string): Promise<void> {
    const op = "rename blob";
    return this.#run(op, `${JSON.stringify(src)} to ${JSON.stringify(dst)}`, async () => {
      this.#key(src, op);
      this.#key(dst, op);
      if (!(await this.backend.rename(src, dst, op))) throw this.#missing(op, src);
    });
  }

  deleteMany(keys: string[]): Promise<number> {
    const op = "delete blobs";
    return this.#run(op, `(${keys?.length} keys)`, async () => {
      // Every key is checked before the first removal.
      const all = checkKeyList(keys, op, this.backend.where).map((k) => this.#key(k, op));
      const unique = [...new Set(all)];
      const step = Math.max(1, this.backend.removeConcurrency);
      let removed = 0;
      for (let i = 0; i < unique.length; i += step) {
        const batch = unique.slice(i, i + step);
        const done = await Promise.all(batch.map((k) => this.backend.remove(k)));
        removed += done.filter(Boolean).length;
      }
      return removed;
    });
  }

  deletePrefix(prefix: string): Promise<number> {
    const op = "delete blobs by prefix";
    return this.#run(
      op,
      `under ${JSON.stringify(prefix)}`,
      () => this.backend.removePrefix(checkBlobPrefix(prefix, op)),
    );
  }

  deleteIfMatches(key: string, digest: Digest | string): Promise<boolean> {
    const op = "delete blob if it matches";
    return this.#run(op, JSON.stringify(key), () => {
      this.#key(key, op);
      return this.backend.remove(key, Digest.from(digest));
    });
  }

  putCas(data: BlobData): Promise<Digest> {
    const op = "put content-addressed blob";
    return this.#run(op, "", async () => {
      const bytes = await collectData(data, op);
      this.#open(op);
      const digest = sha256(bytes);
      const key = casKey(digest);
      // No condition needed: whoever wins a race writes the same bytes.
      if ((await this.backend.stat(key))?.digest !== digest.hex) {
        await this.backend.write(key, bytes, { metadata: {}, digest }, undefined, op);
      }
      return digest;
    });
  }

  getCas(digest: Digest | string): Promise<Uint8Array> {
    return getCas(this, digest, this.backend.where);
  }

  existsCas(digest: Digest | string): Promise<boolean> {
    return existsCas(this, digest);
  }

  startUpload(key: string, opts?: PutOptions): Promise<ChunkedUpload> {
    const op = "start upload";
    return this.#run(op, JSON.stringify(key), async () => {
      this.#key(key, op);
      const sink = await this.backend.openUpload(key, this.#writeInfo(op, opts), op);
      return new CoreUpload(key, sink, (what) => this.#open(what));
    });
  }

  presign(key: string, opts: PresignOptions): Promise<string> {
    const op = "presign blob";
    return this.#run(op, JSON.stringify(key), () => {
      this.#key(key, op);
      const { backend } = this;
      if (backend.presign === undefined) throw noUrlsError(this.#blob(key), backend.where);
      const method = opts?.method;
      const secs = opts?.expiresInSeconds;
      if (method !== "GET" && method !== "PUT") {
        throw new StoreError("InvalidInput", `Cannot ${op} ${key}: method must be GET or PUT`);
      }
      if (!Number.isSafeInteger(secs) || secs < 1 || secs > MAX_PRESIGN_SECONDS) {
        throw new StoreError(
          "InvalidInput",
          `Cannot ${op} ${key}: expiresInSeconds must be an integer in 1…${MAX_PRESIGN_SECONDS}`,
        );
      }
      return backend.presign(key, method, secs);
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return this.backend.close();
  }
}

/** A chunked upload's lifetime (open → completed | aborted) over a backend's sink. */
class CoreUpload implements ChunkedUpload {
  #state: "open" | "completed" | "aborted" = "open";

  constructor(
    readonly key: string,
    readonly sink: UploadSink,
    readonly ensureOpen: (op: string) => void,
  ) {}

  #live(op: string): void {
    this.ensureOpen(op);
    if (this.#state !== "open") {
      throw new StoreError(
        "Closed",
        `Cannot ${op}: the upload to ${JSON.stringify(this.key)} is already ${this.#state}`,
      );
    }
  }

  async write(chunk: Uint8Array | string): Promise<void> {
    const op = "write upload chunk";
    this.#live(op);
    try {
      await this.sink.write(chunkBytes(chunk, op));
    } catch (err) {
      // A failed write ends the upload: what was written is discarded.
      if (this.#state === "open") {
        this.#state = "aborted";
        await this.sink.abort().catch(() => {});
      }
      throw err;
    }
  }

  async complete(): Promise<BlobMeta> {
    this.#live("complete upload");
    this.#state = "completed"; // a failed completion discards what the sink held
    return await this.sink.complete();
  }

  async abort(): Promise<void> {
    if (this.#state === "completed") return;
    this.#state = "aborted";
    await this.sink.abort();
  }
}
