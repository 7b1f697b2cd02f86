/**
 * Blob storage: named byte objects with metadata, conditional writes,
 * content addressing and chunked uploads, on the local disk, in memory,
 * or in S3 / GCS / Azure (`./blob/s3`, `./blob/gcs`, `./blob/azure`).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { sha256 } from "@cooljapan/oxistore/blob";
 * strictEqual(sha256("hello").hex.length, 64);
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./digest.ts";
// Key rules users need to know; the validators themselves stay internal.
export { CAS_PREFIX, casKey, MAX_BLOB_KEY_BYTES, MAX_METADATA_BYTES } from "./keys.ts";
export * from "./memory_blob_store.ts";
export * from "./local_blob_store.ts";
export * from "./builder.ts";
