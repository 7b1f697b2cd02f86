/**
 * `GcsBlobStore`: a BlobStore in a Google Cloud Storage bucket (or the local
 * emulator), over `fetch` and the JSON API, no SDK.
 *
 * @module
 */
import { StoreError } from "../../core/error.ts";
import { env, normalizePrefix } from "../_cloud/options.ts";
import { bindCloudStore, CloudBlobStore } from "../_cloud/cloud_store.ts";
import type { RetryOptions } from "../_cloud/http.ts";
import { GcsApi } from "./_gcs_api.ts";
import {
  bearerToken,
  type GcsAuth,
  NO_AUTH,
  ServiceAccountAuth,
  type ServiceAccountKey,
} from "./auth.ts";

/** Options of {@link GcsBlobStore}. */
export interface GcsBlobStoreOptions {
  /** Bucket name. */
  bucket: string;
  /** Key prefix inside the bucket (a trailing `/` is added). Default "". */
  prefix?: string;
  /**
   * API root (default: `http://$STORAGE_EMULATOR_HOST` if set, else
   * `https://storage.googleapis.com`).
   */
  endpoint?: string;
  /**
   * Service-account key: used for tokens (unless `auth` is given) and signed URLs.
   * Default: the JSON file named by `GOOGLE_APPLICATION_CREDENTIALS`, if set.
   */
  credentials?: ServiceAccountKey;
  /**
   * How requests authenticate. Default: the service account of `credentials`;
   * none for an emulator endpoint or when no credentials are given.
   */
  auth?: GcsAuth;
  /** A fixed OAuth access token (instead of `auth`). */
  accessToken?: string;
  /** Chunk size of resumable uploads: a multiple of 256 KiB (default 8 MiB). */
  partSize?: number;
  /** Retries with back-off on 408/429/5xx and network errors. */
  retry?: RetryOptions;
  /**
   * `"probe"` (default for non-Google endpoints) checks once that the server
   * enforces `ifGenerationMatch=0` and throws `Unsupported` if not; `"trust"`
   * (default for storage.googleapis.com) skips the check.
   */
  conditionalWrites?: "probe" | "trust";
}

const CHUNK = 256 * 1024;

/** The key file named by `GOOGLE_APPLICATION_CREDENTIALS`, if set. */
function keyFile(op: string): ServiceAccountKey | undefined {
  const path = env("GOOGLE_APPLICATION_CREDENTIALS");
  if (!path) return undefined;
  let key: ServiceAccountKey;
  try {
    key = JSON.parse(Deno.readTextFileSync(path));
  } catch (err) {
    throw new StoreError(
      "InvalidInput",
      `Cannot ${op}: GOOGLE_APPLICATION_CREDENTIALS=${path} is not a readable JSON key file`,
      { cause: err },
    );
  }
  if (typeof key?.client_email !== "string" || typeof key?.private_key !== "string") {
    throw new StoreError(
      "InvalidInput",
      `Cannot ${op}: ${path} is not a service-account key (no client_email/private_key)`,
    );
  }
  return key;
}

/**
 * A BlobStore in a GCS bucket. Small blobs are one multipart upload (JSON
 * resource + bytes); large or streamed ones are a resumable upload in chunks.
 * The object's generation is its etag, so `putIfAbsent`/`putIfMatch` are GCS's
 * own `ifGenerationMatch` preconditions. The SHA-256 and user metadata live in
 * the object's custom metadata.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { GcsBlobStore } from "@cooljapan/oxistore/blob/gcs";
 * const store = new GcsBlobStore({ bucket: "photos", endpoint: "http://127.0.0.1:9199" });
 * const kind = await store.presign("cat.jpg", { method: "GET", expiresInSeconds: 60 })
 *   .then(() => "signed", (e) => e.kind);
 * strictEqual(kind, "Unsupported"); // signing needs a service-account key
 * await store.close();
 * ```
 */
export class GcsBlobStore extends CloudBlobStore {
  /** The bucket. */
  readonly bucket: string;
  /** The key prefix ("" or ending in "/"). */
  readonly prefix: string;

  /**
   * Checks the options and resolves credentials; sends no request.
   *
   * @param opts bucket, endpoint, credentials and tuning
   */
  constructor(opts: GcsBlobStoreOptions) {
    const op = "open GCS blob store";
    if (
      !opts || typeof opts.bucket !== "string" ||
      !/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(opts.bucket)
    ) {
      throw new StoreError(
        "InvalidInput",
        `Cannot ${op}: bad bucket name ${JSON.stringify(opts?.bucket)}`,
      );
    }
    const prefix = normalizePrefix(opts.prefix, op);
    const emulator = env("STORAGE_EMULATOR_HOST");
    let endpoint = opts.endpoint ??
      (emulator
        ? (/^https?:\/\//.test(emulator) ? emulator : `http://${emulator}`)
        : "https://storage.googleapis.com");
    try {
      endpoint = new URL(endpoint).href.replace(/\/+$/, "");
    } catch (err) {
      throw new StoreError("InvalidInput", `Cannot ${op}: bad endpoint ${endpoint}`, {
        cause: err,
      });
    }
    const google = new URL(endpoint).hostname === "storage.googleapis.com";
    const key = opts.credentials ?? (opts.auth || opts.accessToken ? undefined : keyFile(op));
    const signer = key ? new ServiceAccountAuth(key) : undefined;
    const auth = opts.auth ??
      (opts.accessToken ? bearerToken(opts.accessToken) : google && signer ? signer : NO_AUTH);
    const partSize = opts.partSize ?? 8 * 1024 * 1024;
    if (!Number.isSafeInteger(partSize) || partSize < CHUNK || partSize % CHUNK !== 0) {
      throw new StoreError(
        "InvalidInput",
        `Cannot ${op}: partSize must be a positive multiple of 256 KiB`,
      );
    }
    const api = new GcsApi({
      bucket: opts.bucket,
      endpoint,
      auth,
      ...(signer ? { signer } : {}),
      retry: opts.retry ?? {},
      partSize,
      conditionalWrites: opts.conditionalWrites ?? (google ? "trust" : "probe"),
      probePrefix: prefix,
    });
    super();
    bindCloudStore(this, api, prefix);
    this.bucket = opts.bucket;
    this.prefix = prefix;
  }
}

/**
 * Opens a GcsBlobStore from `gs://bucket/prefix[?endpoint=…]`; the endpoint
 * defaults to `STORAGE_EMULATOR_HOST`, then Google.
 *
 * @param url the `gs:` URL
 * @param options extra options (credentials, auth, tuning)
 * @returns the store
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { fromUrl } from "@cooljapan/oxistore/blob/gcs";
 * const store = await fromUrl(new URL("gs://photos/2024?endpoint=http://127.0.0.1:9199"));
 * strictEqual(store.prefix, "2024/");
 * ```
 */
export function fromUrl(
  url: URL,
  options: Omit<GcsBlobStoreOptions, "bucket" | "prefix"> = {},
): Promise<GcsBlobStore> {
  try {
    if (url.protocol !== "gs:") {
      throw new StoreError("InvalidInput", `Cannot open ${url.href}: not a gs:// URL`);
    }
    const endpoint = url.searchParams.get("endpoint");
    const opts: GcsBlobStoreOptions = {
      ...options,
      bucket: url.hostname,
      prefix: decodeURIComponent(url.pathname.replace(/^\/+/, "")),
    };
    if (endpoint) opts.endpoint = endpoint;
    return Promise.resolve(new GcsBlobStore(opts));
  } catch (err) {
    return Promise.reject(err);
  }
}
