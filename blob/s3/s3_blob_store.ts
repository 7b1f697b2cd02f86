/**
 * `S3BlobStore`: a BlobStore in an S3 bucket (AWS or any S3-compatible
 * endpoint), over `fetch` with SigV4 signing, no SDK.
 *
 * @module
 */
import { StoreError } from "../../core/error.ts";
import { env, normalizePrefix, positiveInt } from "../_cloud/options.ts";
import { bindCloudStore, CloudBlobStore } from "../_cloud/cloud_store.ts";
import type { RetryOptions } from "../_cloud/http.ts";
import { S3Api } from "./_s3_api.ts";
import type { AwsCredentials } from "./sigv4.ts";

/** Options of {@link S3BlobStore}. */
export interface S3BlobStoreOptions {
  /** Bucket name. */
  bucket: string;
  /** Key prefix inside the bucket (a trailing `/` is added if missing). Default "". */
  prefix?: string;
  /** Region (default env `AWS_REGION`, then `AWS_DEFAULT_REGION`, then `us-east-1`). */
  region?: string;
  /** Endpoint URL (default `https://s3.<region>.amazonaws.com`). */
  endpoint?: string;
  /**
   * Path-style URLs (`endpoint/bucket/key`) instead of virtual-hosted ones
   * (`bucket.endpoint/key`). Default: true with a custom `endpoint`, else false.
   */
  forcePathStyle?: boolean;
  /**
   * Credentials (default env `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
   * `AWS_SESSION_TOKEN`). The secret is only used to sign; it is never logged.
   */
  credentials?: AwsCredentials;
  /**
   * Part size of multipart uploads, bytes (default 8 MiB; S3's minimum is 5 MiB).
   * It doubles every 1000 parts, so a stream of unknown length fits S3's 10,000 parts.
   */
  partSize?: number;
  /** Parts uploaded in parallel (default 4). */
  concurrency?: number;
  /** Retries with back-off on 408/429/5xx and network errors. */
  retry?: RetryOptions;
  /**
   * `putIfAbsent`/`putIfMatch` rely on S3's own `If-None-Match`/`If-Match`.
   * `"probe"` (default for non-AWS endpoints) checks once, with a scratch
   * object, that the server enforces them and throws `Unsupported` if not;
   * `"trust"` (default for `amazonaws.com`) skips the check.
   */
  conditionalWrites?: "probe" | "trust";
}

/** Resolves credentials from options or the environment, or throws InvalidInput. */
function credentialsOf(opts: S3BlobStoreOptions, op: string): AwsCredentials {
  if (opts.credentials) {
    const c = opts.credentials;
    if (typeof c.accessKeyId !== "string" || typeof c.secretAccessKey !== "string") {
      throw new StoreError(
        "InvalidInput",
        `Cannot ${op}: credentials need accessKeyId and secretAccessKey`,
      );
    }
    return c;
  }
  const accessKeyId = env("AWS_ACCESS_KEY_ID");
  const secretAccessKey = env("AWS_SECRET_ACCESS_KEY");
  if (!accessKeyId || !secretAccessKey) {
    throw new StoreError(
      "InvalidInput",
      `Cannot ${op}: no credentials (pass options.credentials or set ` +
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
    );
  }
  const token = env("AWS_SESSION_TOKEN");
  return token
    ? { accessKeyId, secretAccessKey, sessionToken: token }
    : { accessKeyId, secretAccessKey };
}

/**
 * A BlobStore in an S3 bucket. Small blobs are one signed `PUT` (the body's
 * SHA-256 is signed, so S3 verifies it); large or streamed ones go up as a
 * multipart upload with parallel parts, aborted on any failure. Each blob's
 * SHA-256 and user metadata are stored as `x-amz-meta-*` headers.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { S3BlobStore } from "@cooljapan/oxistore/blob/s3";
 * const store = new S3BlobStore({
 *   bucket: "photos",
 *   endpoint: "http://127.0.0.1:4568",
 *   credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
 * });
 * const url = new URL(await store.presign("cat.jpg", { method: "GET", expiresInSeconds: 60 }));
 * strictEqual(url.pathname, "/photos/cat.jpg");
 * strictEqual(url.searchParams.get("X-Amz-Expires"), "60");
 * await store.close();
 * ```
 */
export class S3BlobStore extends CloudBlobStore {
  /** The bucket. */
  readonly bucket: string;
  /** The key prefix ("" or ending in "/"). */
  readonly prefix: string;

  /**
   * Checks the options and resolves credentials; sends no request.
   *
   * @param opts bucket, endpoint, credentials and tuning
   */
  constructor(opts: S3BlobStoreOptions) {
    const op = "open S3 blob store";
    if (
      !opts || typeof opts.bucket !== "string" ||
      !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(opts.bucket)
    ) {
      throw new StoreError(
        "InvalidInput",
        `Cannot ${op}: bad bucket name ${JSON.stringify(opts?.bucket)}`,
      );
    }
    const prefix = normalizePrefix(opts.prefix, op);
    const region = opts.region ?? env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ?? "us-east-1";
    let endpoint: URL;
    try {
      endpoint = new URL(opts.endpoint ?? `https://s3.${region}.amazonaws.com`);
    } catch (err) {
      throw new StoreError("InvalidInput", `Cannot ${op}: bad endpoint ${opts.endpoint}`, {
        cause: err,
      });
    }
    if (endpoint.protocol !== "http:" && endpoint.protocol !== "https:") {
      throw new StoreError(
        "InvalidInput",
        `Cannot ${op}: endpoint must be http(s): ${endpoint.href}`,
      );
    }
    const aws = endpoint.hostname.endsWith(".amazonaws.com");
    const api = new S3Api({
      bucket: opts.bucket,
      region,
      endpoint,
      forcePathStyle: opts.forcePathStyle ?? opts.endpoint !== undefined,
      credentials: credentialsOf(opts, op),
      retry: opts.retry ?? {},
      partSize: positiveInt(opts.partSize, 8 * 1024 * 1024, "partSize", op),
      concurrency: positiveInt(opts.concurrency, 4, "concurrency", op),
      conditionalWrites: opts.conditionalWrites ?? (aws ? "trust" : "probe"),
      probePrefix: prefix,
    });
    super();
    bindCloudStore(this, api, prefix);
    this.bucket = opts.bucket;
    this.prefix = prefix;
  }
}

/**
 * Opens an S3BlobStore from `s3://bucket/prefix?endpoint=…&region=…&forcePathStyle=true`.
 * Credentials come from `options` or the environment; the URL's query wins
 * over `options` for endpoint, region and path style.
 *
 * @param url the `s3:` URL
 * @param options extra options (credentials, tuning)
 * @returns the store
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { fromUrl } from "@cooljapan/oxistore/blob/s3";
 * Deno.env.set("AWS_ACCESS_KEY_ID", "S3RVER");
 * Deno.env.set("AWS_SECRET_ACCESS_KEY", "S3RVER");
 * const store = await fromUrl(new URL("s3://bucket/some/prefix?endpoint=http://127.0.0.1:4568"));
 * strictEqual(store.bucket, "bucket");
 * strictEqual(store.prefix, "some/prefix/");
 * await store.close();
 * ```
 */
export function fromUrl(
  url: URL,
  options: Omit<S3BlobStoreOptions, "bucket" | "prefix"> = {},
): Promise<S3BlobStore> {
  try {
    if (url.protocol !== "s3:") {
      throw new StoreError("InvalidInput", `Cannot open ${url.href}: not an s3:// URL`);
    }
    const q = url.searchParams;
    const opts: S3BlobStoreOptions = {
      ...options,
      bucket: url.hostname,
      prefix: decodeURIComponent(url.pathname.replace(/^\/+/, "")),
    };
    const endpoint = q.get("endpoint");
    const region = q.get("region");
    const pathStyle = q.get("forcePathStyle");
    if (endpoint) opts.endpoint = endpoint;
    if (region) opts.region = region;
    if (pathStyle !== null) opts.forcePathStyle = pathStyle !== "false";
    return Promise.resolve(new S3BlobStore(opts));
  } catch (err) {
    return Promise.reject(err);
  }
}
