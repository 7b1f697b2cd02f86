/**
 * Loads a cloud backend on demand, so a program that never opens S3, GCS or
 * Azure never loads their code. Each backend's `mod.ts` exports
 * `fromUrl(url: URL): Promise<BlobStore>`.
 *
 * @module
 */
import { StoreError, toStoreError } from "../core/error.ts";
import type { BlobStore } from "./types.ts";

/** Imports a backend module. */
export type CloudLoader = () => Promise<object>;

/** Loads a backend with `load` (a dynamic import) and calls its `fromUrl`. */
export async function openCloud(url: URL, load: CloudLoader, what: string): Promise<BlobStore> {
  let mod: { fromUrl?: unknown };
  try {
    mod = (await load()) as { fromUrl?: unknown };
  } catch (err) {
    throw new StoreError(
      "Unsupported",
      `Cannot open ${url.href}: the ${what} backend is not available`,
      { cause: err },
    );
  }
  if (typeof mod.fromUrl !== "function") {
    throw new StoreError(
      "Unsupported",
      `Cannot open ${url.href}: the ${what} backend has no fromUrl`,
    );
  }
  try {
    return await (mod.fromUrl as (u: URL) => Promise<BlobStore>)(url);
  } catch (err) {
    throw toStoreError(err, `open ${url.href}`);
  }
}
