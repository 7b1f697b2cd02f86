/**
 * Google Cloud Storage blobs over `fetch` and the JSON API (no SDK): multipart
 * and resumable uploads, generation preconditions for conditional writes,
 * listing with prefix/delimiter/pageToken, V4 signed URLs, and pluggable auth
 * (service-account JWT → access token, a fixed token, or none for emulators).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { GcsBlobStore } from "@cooljapan/oxistore/blob/gcs";
 * const store = new GcsBlobStore({ bucket: "data", endpoint: "http://127.0.0.1:9199" });
 * strictEqual(store.bucket, "data");
 * await store.close();
 * ```
 *
 * @module
 */
export { fromUrl, GcsBlobStore, type GcsBlobStoreOptions } from "./gcs_blob_store.ts";
export {
  bearerToken,
  type GcsAuth,
  importPrivateKeyPem,
  NO_AUTH,
  ServiceAccountAuth,
  type ServiceAccountAuthOptions,
  type ServiceAccountKey,
  signJwtRs256,
} from "./auth.ts";
export { type GcsSignedUrl, type GcsSignedUrlRequest, signGcsUrl } from "./signed_url.ts";
export type { RetryOptions } from "../_cloud/http.ts";
export { CloudBlobStore } from "../_cloud/cloud_store.ts";
