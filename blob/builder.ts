/**
 * Picks and opens a BlobStore from a URL.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { StoreError } from "../core/error.ts";
import { type CloudLoader, openCloud } from "./_cloud_loader.ts";
import { LocalBlobStore } from "./local_blob_store.ts";
import { MemoryBlobStore, type MemoryBlobStoreOptions } from "./memory_blob_store.ts";
import type { BlobStore } from "./types.ts";

// Dynamic imports: a program that never opens a cloud store never loads one.
const CLOUD: Record<string, [load: CloudLoader, name: string]> = {
  "s3:": [() => import("./s3/mod.ts"), "S3"],
  "gs:": [() => import("./gcs/mod.ts"), "GCS"],
  "az:": [() => import("./azure/mod.ts"), "Azure"],
};

/**
 * Opens blob stores from URLs:
 *
 * | URL | store |
 * |---|---|
 * | `file:///abs/dir` | {@link LocalBlobStore} at that directory |
 * | `memory://` (optional `?maxBytes=N`) | a new {@link MemoryBlobStore} |
 * | `s3://bucket/prefix?endpoint=…` | S3 (loaded on demand from `./s3`) |
 * | `gs://bucket/prefix` | GCS (loaded on demand from `./gcs`) |
 * | `az://container/prefix` | Azure Blob (loaded on demand from `./azure`) |
 *
 * Any other scheme is `InvalidInput`; a cloud backend that cannot be loaded is
 * `Unsupported`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { BlobStoreBuilder } from "@cooljapan/oxistore/blob";
 * const store = await BlobStoreBuilder.fromUrl("memory://");
 * await store.put("k", "v");
 * strictEqual(await store.exists("k"), true);
 * await store.close();
 * ```
 */
export class BlobStoreBuilder {
  private constructor() {}

  /**
   * Opens the store a URL names.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { BlobStoreBuilder } from "@cooljapan/oxistore/blob";
   * const dir = await Deno.makeTempDir();
   * const url = new URL(`file://${dir}`);
   * const store = await BlobStoreBuilder.fromUrl(url);
   * await store.put("notes/a.txt", "hi");
   * strictEqual(await Deno.readTextFile(`${dir}/notes/a.txt`), "hi"); // the content, byte for byte
   * await store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  static async fromUrl(url: string | URL): Promise<BlobStore> {
    let u: URL;
    try {
      u = url instanceof URL ? url : new URL(String(url));
    } catch (err) {
      throw new StoreError(
        "InvalidInput",
        `Cannot open blob store ${JSON.stringify(String(url))}: not a URL`,
        { cause: err },
      );
    }
    if (u.protocol === "file:") return await BlobStoreBuilder.#local(u);
    if (u.protocol === "memory:") return BlobStoreBuilder.#memory(u);
    const cloud = CLOUD[u.protocol];
    if (cloud) return await openCloud(u, cloud[0], cloud[1]);
    throw new StoreError(
      "InvalidInput",
      `Cannot open blob store ${u.href}: unknown scheme ${u.protocol} ` +
        "(use file:, memory:, s3:, gs: or az:)",
    );
  }

  static async #local(u: URL): Promise<BlobStore> {
    let path: string;
    try {
      path = fileURLToPath(u);
    } catch (err) {
      // The caller's URL names no local path (a remote host, say): their input, not a failure.
      throw new StoreError(
        "InvalidInput",
        `Cannot open blob store ${u.href}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    return await LocalBlobStore.open(path);
  }

  static #memory(u: URL): BlobStore {
    const opts: MemoryBlobStoreOptions = {};
    const max = u.searchParams.get("maxBytes");
    if (max !== null) {
      const n = Number(max);
      if (!/^\d+$/.test(max) || !Number.isSafeInteger(n)) {
        throw new StoreError(
          "InvalidInput",
          `Cannot open blob store ${u.href}: maxBytes must be a non-negative integer`,
        );
      }
      opts.maxBytes = n;
    }
    return new MemoryBlobStore(opts);
  }
}
