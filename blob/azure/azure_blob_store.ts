/**
 * `AzureBlobStore`: a BlobStore in an Azure Storage container (or Azurite),
 * over `fetch` with Shared Key signing, no SDK.
 *
 * @module
 */
import { StoreError } from "../../core/error.ts";
import { env, normalizePrefix, positiveInt } from "../_cloud/options.ts";
import { bindCloudStore, CloudBlobStore } from "../_cloud/cloud_store.ts";
import type { RetryOptions } from "../_cloud/http.ts";
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

/**
 * A BlobStore in an Azure Storage container. Small blobs are one `Put Blob`;
 * large or streamed ones are staged as blocks (`Put Block`, in parallel) and
 * committed with `Put Block List`, which also carries the final SHA-256 and
 * the user metadata (`x-ms-meta-*`). Conditional writes use Azure's own
 * `If-None-Match: *` / `If-Match`; presigned URLs are service SAS tokens.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { AzureBlobStore } from "@cooljapan/oxistore/blob/azure";
 * const store = new AzureBlobStore({
 *   container: "photos",
 *   connectionString: "UseDevelopmentStorage=true",
 * });
 * const url = await store.presign("cat.jpg", { method: "GET", expiresInSeconds: 60 });
 * strictEqual(new URL(url).searchParams.get("sr"), "b");
 * await store.close();
 * ```
 */
export class AzureBlobStore extends CloudBlobStore {
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
    const prefix = normalizePrefix(opts.prefix, op);
    const c = connectionOf(opts, op);
    const api = new AzureApi({
      key: { accountName: c.accountName, accountKey: c.accountKey },
      endpoint: c.blobEndpoint,
      container: opts.container,
      retry: opts.retry ?? {},
      partSize: positiveInt(opts.partSize, 8 * 1024 * 1024, "partSize", op),
      concurrency: positiveInt(opts.concurrency, 4, "concurrency", op),
    });
    super();
    bindCloudStore(this, api, prefix);
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
   * import { AzureBlobStore } from "@cooljapan/oxistore/blob/azure";
   * const store = new AzureBlobStore({
   *   container: "c01",
   *   connectionString: "UseDevelopmentStorage=true",
   *   retry: { maxAttempts: 1, timeoutMs: 2000 },
   * });
   * // Io when no Azurite listens on 127.0.0.1:10000
   * const outcome = await store.createContainer().then(String, (e) => e.kind);
   * if (!["true", "false", "Io"].includes(outcome)) throw new Error(outcome);
   * ```
   */
  createContainer(): Promise<boolean> {
    return this.#api.createContainer();
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
 * import { strictEqual } from "node:assert/strict";
 * import { fromUrl } from "@cooljapan/oxistore/blob/azure";
 * const store = await fromUrl(new URL("az://photos/2024"), {
 *   connectionString: "UseDevelopmentStorage=true",
 * });
 * strictEqual(store.prefix, "2024/");
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
