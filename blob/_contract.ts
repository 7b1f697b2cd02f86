/**
 * The parts of the BlobStore contract that do not depend on how a backend
 * moves bytes, written once for the memory, local and cloud stores: the
 * errors a caller sees (same kinds, same wording, each naming the operation
 * and the store), the input checks of batch calls, and content addressing on
 * top of `get`/`exists`.
 *
 * @module
 */
import { StoreError } from "../core/error.ts";
import { Digest, sha256 } from "./digest.ts";
import { casKey, checkBlobKey } from "./keys.ts";

/**
 * How messages name one blob: `"key" in <store>`, or the backend's own name
 * for it (a cloud object's URL).
 */
export function blobName(key: string, where: string): string {
  return `${JSON.stringify(key)} in ${where}`;
}

/** `NotFound` for a missing blob (`blob` as {@link blobName} gives it). */
export function notFoundError(op: string, blob: string): StoreError {
  return new StoreError("NotFound", `Cannot ${op}: no blob ${blob}`);
}

/** `Closed` for a call after `close()`. */
export function closedError(op: string, where: string): StoreError {
  return new StoreError("Closed", `Cannot ${op}: the blob store at ${where} is closed`);
}

/** Checks the argument of `deleteMany`: an array of valid keys. */
export function checkKeyList(keys: unknown, op: string, where: string): string[] {
  if (!Array.isArray(keys)) {
    throw new StoreError(
      "InvalidInput",
      `Cannot ${op} in ${where}: keys must be an array of strings`,
    );
  }
  for (const k of keys) checkBlobKey(k, op);
  return keys;
}

/** What content addressing needs from a store. */
interface CasReader {
  get(key: string): Promise<Uint8Array>;
  exists(key: string): Promise<boolean>;
}

/** `getCas`: reads `cas/sha256/…` and re-hashes it (`Corruption` on a mismatch). */
export async function getCas(
  store: CasReader,
  digest: Digest | string,
  where: string,
): Promise<Uint8Array> {
  const want = Digest.from(digest);
  const data = await store.get(casKey(want));
  if (!sha256(data).equals(want)) {
    throw new StoreError(
      "Corruption",
      `Cannot get content-addressed blob ${want.hex} in ${where}: ` +
        `the stored content does not hash to it`,
    );
  }
  return data;
}

/** `existsCas`: whether `cas/sha256/…` exists (a bad digest is `InvalidInput`). */
export function existsCas(store: CasReader, digest: Digest | string): Promise<boolean> {
  try {
    return store.exists(casKey(Digest.from(digest)));
  } catch (err) {
    return Promise.reject(err);
  }
}

/** `AlreadyExists` for a `putIfAbsent` that found a blob. */
export function alreadyExistsError(op: string, blob: string): StoreError {
  return new StoreError("AlreadyExists", `Cannot ${op}: a blob already exists at ${blob}`);
}

/** `CasMismatch` for a `putIfMatch` whose blob is missing or has another etag. */
export function etagMismatchError(
  op: string,
  blob: string,
  etag: string,
  found: boolean,
): StoreError {
  return new StoreError(
    "CasMismatch",
    `Cannot ${op}: ${blob} ${found ? `has another etag than ${etag}` : "does not exist"}`,
  );
}

/** `Unsupported` for `presign` on a store without URLs. */
export function noUrlsError(blob: string, where: string): StoreError {
  return new StoreError(
    "Unsupported",
    `Cannot presign ${blob}: the blob store at ${where} has no URLs`,
  );
}
