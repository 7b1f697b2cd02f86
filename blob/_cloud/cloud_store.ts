// BlobStore over an ObjectApi: the shared core (../_core.ts) over the cloud
// backend (object_backend.ts), written once for S3, Azure and GCS. Each
// backend's store class binds one, with its own constructor.

import { StoreError } from "../../core/error.ts";
import { BlobStoreCore } from "../_core.ts";
import type { Digest } from "../digest.ts";
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
} from "../types.ts";
import type { ObjectApi } from "./object_api.ts";
import { ObjectBackend } from "./object_backend.ts";

/** Stands in until a backend binds its protocol: every call is Unsupported. */
const UNBOUND = new Proxy({}, {
  get(_target, name) {
    if (name === "describe") return (objectName: string) => objectName;
    return () => {
      throw new StoreError(
        "Unsupported",
        "Cannot use a CloudBlobStore made directly: construct an S3BlobStore, GcsBlobStore " +
          "or AzureBlobStore",
      );
    };
  },
}) as ObjectApi;

let bind: (store: CloudBlobStore, api: ObjectApi, prefix: string) => void;

/**
 * Gives a cloud store its backend protocol and key prefix (inside the
 * bucket/container: "" or ending in "/"). Called once, by the backend's constructor.
 */
export function bindCloudStore(store: CloudBlobStore, api: ObjectApi, prefix: string): void {
  bind(store, api, prefix);
}

/**
 * What the S3, GCS and Azure blob stores share: the whole `BlobStore`
 * contract (key rules, digests kept in object metadata, conditional writes
 * with the service's own preconditions, content addressing, chunked uploads
 * into multipart uploads, listing pages) over each service's protocol. Use
 * it as a type; construct `S3BlobStore`, `GcsBlobStore` or `AzureBlobStore`
 * (a `CloudBlobStore` made directly throws `Unsupported` on every call).
 *
 * @example
 * ```ts
 * import { CloudBlobStore, S3BlobStore } from "@cooljapan/oxistore/blob/s3";
 * import { strictEqual } from "node:assert/strict";
 * const store = new S3BlobStore({
 *   bucket: "data",
 *   endpoint: "http://127.0.0.1:4568",
 *   credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
 * });
 * strictEqual(store instanceof CloudBlobStore, true);
 * await store.close();
 * ```
 */
export class CloudBlobStore implements BlobStore {
  #core = new BlobStoreCore(new ObjectBackend(UNBOUND, ""));

  static {
    bind = (store, api, prefix) => {
      store.#core = new BlobStoreCore(new ObjectBackend(api, prefix));
    };
  }

  /** Writes (or overwrites) a blob; large or streamed data goes up in parallel parts. */
  put(key: string, data: BlobData, opts?: PutOptions): Promise<BlobMeta> {
    return this.#core.put(key, data, opts);
  }

  /** Writes only if nothing is stored under the key (service-side condition). */
  putIfAbsent(key: string, data: BlobData, opts?: PutOptions): Promise<BlobMeta> {
    return this.#core.putIfAbsent(key, data, opts);
  }

  /** Writes only if the stored blob's etag is `etag` (service-side condition). */
  putIfMatch(key: string, data: BlobData, etag: string, opts?: PutOptions): Promise<BlobMeta> {
    return this.#core.putIfMatch(key, data, etag, opts);
  }

  /** Reads a whole blob. */
  get(key: string): Promise<Uint8Array> {
    return this.#core.get(key);
  }

  /** Streams a blob or `[start, end)` of it (`end` clamped to the size). */
  getStream(key: string, range?: GetRangeOptions): Promise<ReadableStream<Uint8Array>> {
    return this.#core.getStream(key, range);
  }

  /** The blob's metadata. */
  head(key: string): Promise<BlobMeta> {
    return this.#core.head(key);
  }

  /** Removes a blob; a missing key is `NotFound`. */
  delete(key: string): Promise<void> {
    return this.#core.delete(key);
  }

  /** Whether a blob exists under the key. */
  exists(key: string): Promise<boolean> {
    return this.#core.exists(key);
  }

  /** One page of blobs under `prefix`, ascending by key. */
  list(prefix?: string, opts?: ListOptions): Promise<ListResult> {
    return this.#core.list(prefix, opts);
  }

  /** Server-side copy of content, content type and metadata. */
  copy(src: string, dst: string): Promise<void> {
    return this.#core.copy(src, dst);
  }

  /** Copy then delete: not atomic (no cloud has a rename); the source goes last. */
  rename(src: string, dst: string): Promise<void> {
    return this.#core.rename(src, dst);
  }

  /** Removes every listed key that exists; returns how many. */
  deleteMany(keys: string[]): Promise<number> {
    return this.#core.deleteMany(keys);
  }

  /** Removes every blob under the prefix; returns how many. */
  deletePrefix(prefix: string): Promise<number> {
    return this.#core.deletePrefix(prefix);
  }

  /** Removes the blob if its content has this digest (delete conditioned on its etag). */
  deleteIfMatches(key: string, digest: Digest | string): Promise<boolean> {
    return this.#core.deleteIfMatches(key, digest);
  }

  /** Stores content under its SHA-256 (streams are read into memory first). */
  putCas(data: BlobData): Promise<Digest> {
    return this.#core.putCas(data);
  }

  /** Reads content by digest and re-verifies it. */
  getCas(digest: Digest | string): Promise<Uint8Array> {
    return this.#core.getCas(digest);
  }

  /** Whether content with this digest is stored. */
  existsCas(digest: Digest | string): Promise<boolean> {
    return this.#core.existsCas(digest);
  }

  /** A chunked upload straight into the service's multipart upload. */
  startUpload(key: string, opts?: PutOptions): Promise<ChunkedUpload> {
    return this.#core.startUpload(key, opts);
  }

  /** A time-limited URL for GET or PUT of the key. */
  presign(key: string, opts: PresignOptions): Promise<string> {
    return this.#core.presign(key, opts);
  }

  /** Marks the store closed; later calls throw `Closed`. */
  close(): Promise<void> {
    return this.#core.close();
  }
}
