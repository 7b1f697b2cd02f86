/**
 * Loads a cloud backend on demand, so a program that never opens S3, GCS or
 * Azure never loads their code. Each backend's `mod.ts` exports
 * `fromUrl(url: URL): Promise<BlobStore>`.
 *
 * @module
 */
import { StoreError, toStoreError } from "../core/error.ts";
import type { BlobStore } from "./types.ts";

/** Imports `specifier` (relative to this file) and calls its `fromUrl`. */
export async function openCloud(url: URL, specifier: string, what: string): Promise<BlobStore> {
  let mod: { fromUrl?: unknown };
  try {
    // A non-literal specifier keeps the backend out of the static module graph.
    mod = await import(specifier);
  } catch (err) {
    throw new StoreError(
      "Unsupported",
      `Cannot open ${url.href}: the ${what} backend (${specifier}) is not available`,
      { cause: err },
    );
  }
  if (typeof mod.fromUrl !== "function") {
    throw new StoreError(
      "Unsupported",
      `Cannot open ${url.href}: the ${what} backend (${specifier}) has no fromUrl`,
    );
  }
  try {
    return await (mod.fromUrl as (u: URL) => Promise<BlobStore>)(url);
  } catch (err) {
    throw toStoreError(err, `open ${url.href}`);
  }
}
