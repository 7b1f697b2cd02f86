/**
 * Blob storage: named byte objects with metadata, conditional writes,
 * content addressing and chunked uploads, on the local disk, in memory,
 * or in S3 / GCS / Azure (`./blob/s3`, `./blob/gcs`, `./blob/azure`).
 *
 * @example
 * ```ts
 * import { sha256 } from "@cooljapan/oxistore/blob";
 * console.log(sha256("hello").hex.length); // 64
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./digest.ts";
export * from "./keys.ts";
export * from "./memory_blob_store.ts";
export * from "./local_blob_store.ts";
export * from "./builder.ts";
