/**
 * `AzureBlobStore`: a BlobStore in an Azure Storage container (or Azurite),
 * over `fetch` with Shared Key signing, no SDK.
 *
 * @module
 */
import { StoreError } from "../../core/error.ts";
import { CloudBlobStore } from "../_cloud/cloud_store.ts";
import type { RetryOptions } from "../_cloud/http.ts";
import { checkBlobPrefix } from "../keys.ts";
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

import { AzureApi } from "./_azure_api.ts";
import { type AzureConnection, parseConnectionString } from "./connection_string.ts";

/** Options of {@link AzureBlobStore}. */
export interface AzureBlobStoreOptions {
  /** Container name (3–63 of `a-z0-9-`). */
  container: string;
  /** Key prefix inside the container (a trailing `/` is added). Default "". */
  prefix?: string;
  /**
   * A connection string (`AccountName=…;AccountKey=…[;BlobEndpoint=…]` or
   * `UseDevelopmentStorage=true`). Default: env `AZURE_STORAGE_CONNECTION_STRING`,
   * unless `accountName` + `accountKey` are given.
   */
  connectionString?: string;
  /** Account name (with `accountKey`, instead of a connection string). */
  accountName?: string;
  /** Account key, base64. Used to sign; never logged. */
  accountKey?: string;
  /** Blob endpoint (default `https://<account>.blob.core.windows.net`). */
  endpoint?: string;
  /** Block size of staged uploads, bytes (default 8 MiB). */
  partSize?: number;
  /** Blocks uploaded in parallel (default 4). */
  concurrency?: number;
  /** Retries with back-off on 408/429/5xx and network errors. */
  retry?: RetryOptions;
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

function connectionOf(o: AzureBlobStoreOptions, op: string): AzureConnection {
  if (o.accountName !== undefined || o.accountKey !== undefined) {
    if (!o.accountName || !o.accountKey) {
      throw new StoreError("InvalidInput", `Cannot ${op}: give both accountName and accountKey`);
    }
    return {
      accountName: o.accountName,
      accountKey: o.accountKey,
      blobEndpoint: (o.endpoint ?? `https://${o.accountName}.blob.core.windows.net`)
        .replace(/\/+$/, ""),
    };
  }
  const text = o.connectionString ?? env("AZURE_STORAGE_CONNECTION_STRING");
  if (!text) {
    throw new StoreError(
      "InvalidInput",
      `Cannot ${op}: no credentials (pass connectionString or accountName/accountKey, ` +
        "or set AZURE_STORAGE_CONNECTION_STRING)",
    );
  }
  const c = parseConnectionString(text);
  return o.endpoint ? { ...c, blobEndpoint: o.endpoint.replace(/\/+$/, "") } : c;
}

function positiveInt(v: number | undefined, dflt: number, what: string, op: string): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new StoreError("InvalidInput", `Cannot ${op}: ${what} must be a positive integer`);
  }
  return v;
}

/**
 * A BlobStore in an Azure Storage container. Small blobs are one `Put Blob`;
 * large or streamed ones are staged as blocks (`Put Block`, in parallel) and
 * committed with `Put Block List`, which also carries the final SHA-256 and
 * the user metadata (`x-ms-meta-*`). Conditional writes use Azure's own
 * `If-None-Match: *` / `If-Match`; presigned URLs are service SAS tokens.
 *
 * @example
 * ```ts
 * import { AzureBlobStore } from "./azure_blob_store.ts";
 * const store = new AzureBlobStore({
 *   container: "photos",
 *   connectionString: "UseDevelopmentStorage=true",
 * });
 * const url = await store.presign("cat.jpg", { method: "GET", expiresInSeconds: 60 });
 * console.log(new URL(url).searchParams.get("sr")); // b
 * await store.close();
 * ```
 */
export class AzureBlobStore implements BlobStore {
  #inner: CloudBlobStore;
  /** The container. */
  readonly container: string;
  /** The key prefix ("" or ending in "/"). */
  readonly prefix: string;
  #api: AzureApi;

  /**
   * Checks the options and resolves credentials; sends no request.
   *
   * @param opts container, credentials and tuning
   */
  constructor(opts: AzureBlobStoreOptions) {
    const op = "open Azure blob store";
    if (
      !opts || typeof opts.container !== "string" ||
      !/^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/.test(opts.container)
    ) {
      throw new StoreError(
        "InvalidInput",
        `Cannot ${op}: bad container name ${JSON.stringify(opts?.container)}`,
      );
    }
    let prefix = opts.prefix ?? "";
    if (prefix !== "" && !prefix.endsWith("/")) prefix += "/";
    if (prefix !== "") checkBlobPrefix(prefix, op);
    const c = connectionOf(opts, op);
    const api = new AzureApi({
      key: { accountName: c.accountName, accountKey: c.accountKey },
      endpoint: c.blobEndpoint,
      container: opts.container,
      retry: opts.retry ?? {},
      partSize: positiveInt(opts.partSize, 8 * 1024 * 1024, "partSize", op),
      concurrency: positiveInt(opts.concurrency, 4, "concurrency", op),
    });
    this.#inner = new CloudBlobStore(api, prefix);
    this.#api = api;
    this.container = opts.container;
    this.prefix = prefix;
  }

  /**
   * Creates the container if it does not exist.
   *
   * @returns true if it was created, false if it was already there
   *
   * @example
   * ```ts
   * import { AzureBlobStore } from "./azure_blob_store.ts";
   * const store = new AzureBlobStore({
   *   container: "c01",
   *   connectionString: "UseDevelopmentStorage=true",
   *   retry: { maxAttempts: 1, timeoutMs: 2000 },
   * });
   * // Io when no Azurite listens on 127.0.0.1:10000
   * await store.createContainer().catch((e) => console.log(e.kind));
   * ```
   */
  createContainer(): Promise<boolean> {
    return this.#api.createContainer();
  }

  /** Writes (or overwrites) a blob; large or streamed data goes up in parts. */
  put(key: string, data: BlobData, opts?: PutOptions): Promise<BlobMeta> {
    return this.#inner.put(key, data, opts);
  }

  /** Reads a whole blob (missing → `NotFound`). */
  get(key: string): Promise<Uint8Array> {
    return this.#inner.get(key);
  }

  /** Streams a blob or its byte range `[start, end)`. */
  getStream(key: string, range?: GetRangeOptions): Promise<ReadableStream<Uint8Array>> {
    return this.#inner.getStream(key, range);
  }

  /** The blob's size, SHA-256, etag, content type and metadata. */
  head(key: string): Promise<BlobMeta> {
    return this.#inner.head(key);
  }

  /** Removes a blob (missing → `NotFound`). */
  delete(key: string): Promise<void> {
    return this.#inner.delete(key);
  }

  /** Whether a blob exists under the key. */
  exists(key: string): Promise<boolean> {
    return this.#inner.exists(key);
  }

  /** One page of blobs under `prefix`, ascending by key. */
  list(prefix?: string, opts?: ListOptions): Promise<ListResult> {
    return this.#inner.list(prefix, opts);
  }

  /** Server-side copy of content, content type and metadata. */
  copy(src: string, dst: string): Promise<void> {
    return this.#inner.copy(src, dst);
  }

  /** Copy, then delete the source (not atomic: no cloud has a rename). */
  rename(src: string, dst: string): Promise<void> {
    return this.#inner.rename(src, dst);
  }

  /** Writes only if nothing is stored under the key (the service's own condition). */
  putIfAbsent(key: string, data: BlobData, opts?: PutOptions): Promise<BlobMeta> {
    return this.#inner.putIfAbsent(key, data, opts);
  }

  /** Writes only if the stored blob's etag is `etag` (the service's own condition). */
  putIfMatch(key: string, data: BlobData, etag: string, opts?: PutOptions): Promise<BlobMeta> {
    return this.#inner.putIfMatch(key, data, etag, opts);
  }

  /** Removes every listed key that exists; returns how many. */
  deleteMany(keys: string[]): Promise<number> {
    return this.#inner.deleteMany(keys);
  }

  /** Removes every blob under the prefix; returns how many. */
  deletePrefix(prefix: string): Promise<number> {
    return this.#inner.deletePrefix(prefix);
  }

  /** Removes the blob if its content has this SHA-256. */
  deleteIfMatches(key: string, digest: Digest | string): Promise<boolean> {
    return this.#inner.deleteIfMatches(key, digest);
  }

  /** Stores content under its SHA-256 (idempotent). */
  putCas(data: BlobData): Promise<Digest> {
    return this.#inner.putCas(data);
  }

  /** Reads content by digest, re-verifying it (mismatch → `Corruption`). */
  getCas(digest: Digest | string): Promise<Uint8Array> {
    return this.#inner.getCas(digest);
  }

  /** Whether content with this digest is stored. */
  existsCas(digest: Digest | string): Promise<boolean> {
    return this.#inner.existsCas(digest);
  }

  /** A chunked upload streamed into the service's multipart upload. */
  startUpload(key: string, opts?: PutOptions): Promise<ChunkedUpload> {
    return this.#inner.startUpload(key, opts);
  }

  /** A time-limited URL for GET or PUT of the key. */
  presign(key: string, opts: PresignOptions): Promise<string> {
    return this.#inner.presign(key, opts);
  }

  /** Marks the store closed; later calls throw `Closed`. */
  close(): Promise<void> {
    return this.#inner.close();
  }
}

/**
 * Opens an AzureBlobStore from `az://container/prefix`. Credentials come from
 * `AZURE_STORAGE_CONNECTION_STRING` unless `options` gives them; the query may
 * set `endpoint`.
 *
 * @param url the `az:` URL
 * @param options extra options (credentials, tuning)
 * @returns the store
 *
 * @example
 * ```ts
 * import { fromUrl } from "./azure_blob_store.ts";
 * const store = await fromUrl(new URL("az://photos/2024"), {
 *   connectionString: "UseDevelopmentStorage=true",
 * });
 * console.log(store.prefix); // 2024/
 * ```
 */
export function fromUrl(
  url: URL,
  options: Omit<AzureBlobStoreOptions, "container" | "prefix"> = {},
): Promise<AzureBlobStore> {
  try {
    if (url.protocol !== "az:") {
      throw new StoreError("InvalidInput", `Cannot open ${url.href}: not an az:// URL`);
    }
    const endpoint = url.searchParams.get("endpoint");
    const opts: AzureBlobStoreOptions = {
      ...options,
      container: url.hostname,
      prefix: decodeURIComponent(url.pathname.replace(/^\/+/, "")),
    };
    if (endpoint) opts.endpoint = endpoint;
    return Promise.resolve(new AzureBlobStore(opts));
  } catch (err) {
    return Promise.reject(err);
  }
}
