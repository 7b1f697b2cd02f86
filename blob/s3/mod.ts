/**
 * S3 blob storage over `fetch` (no SDK): SigV4-signed requests, path-style or
 * virtual-hosted URLs, multipart uploads with parallel parts, server-side copy,
 * presigned URLs and S3's own conditional writes (`If-None-Match`/`If-Match`).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { S3BlobStore } from "@cooljapan/oxistore/blob/s3";
 * const store = new S3BlobStore({
 *   bucket: "data",
 *   endpoint: "http://127.0.0.1:4568",
 *   credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
 * });
 * const url = await store.presign("report.csv", { method: "GET", expiresInSeconds: 300 });
 * strictEqual(new URL(url).searchParams.has("X-Amz-Signature"), true);
 * await store.close();
 * ```
 *
 * @module
 */
export { fromUrl, S3BlobStore, type S3BlobStoreOptions } from "./s3_blob_store.ts";
export {
  amzDate,
  type AwsCredentials,
  presignUrl,
  signRequest,
  type SigV4Request,
  type SigV4Result,
  type SigV4Scope,
} from "./sigv4.ts";
export type { RetryOptions } from "../_cloud/http.ts";
export { CloudBlobStore } from "../_cloud/cloud_store.ts";
