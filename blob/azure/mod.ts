/**
 * Azure Blob storage over `fetch` (no SDK): Shared Key signing, block blobs
 * staged in parallel (Put Block / Put Block List), ranged reads, listing with
 * prefix/delimiter/marker, Azure's own conditional writes, SAS presigned URLs,
 * and connection strings including `UseDevelopmentStorage=true` (Azurite).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { AzureBlobStore } from "@cooljapan/oxistore/blob/azure";
 * const store = new AzureBlobStore({
 *   container: "data",
 *   connectionString: "UseDevelopmentStorage=true",
 * });
 * strictEqual(store.container, "data");
 * await store.close();
 * ```
 *
 * @module
 */
export { AzureBlobStore, type AzureBlobStoreOptions, fromUrl } from "./azure_blob_store.ts";
export {
  type AzureConnection,
  AZURITE_ACCOUNT_KEY,
  AZURITE_ACCOUNT_NAME,
  parseConnectionString,
} from "./connection_string.ts";
export {
  AZURE_API_VERSION,
  type AzureSharedKey,
  type BlobSasOptions,
  blobSasQuery,
  sharedKeyStringToSign,
  signSharedKey,
} from "./shared_key.ts";
export type { RetryOptions } from "../_cloud/http.ts";
export { CloudBlobStore } from "../_cloud/cloud_store.ts";
