// GCS resumable upload: ordered chunks, the last one held back until the total
// size is known, then the digest added with a generation-conditioned PATCH.

import { StoreError } from "../../core/error.ts";
import { DIGEST_META, type PartUpload, type WriteResult } from "../_cloud/object_api.ts";
import type { GcsApi } from "./_gcs_api.ts";
import { type GcsObject, written } from "./_gcs_object.ts";

/**
 * A resumable upload. Chunks go up in order; the last one is held back until
 * `complete`, which sends it with the total size so GCS finalizes the object.
 */
export class GcsResumableUpload implements PartUpload {
  #api: GcsApi;
  #name: string;
  #session: string;
  #sent = 0;
  #held: Uint8Array | undefined;
  #queue: Promise<void> = Promise.resolve();

  #startMetadata: Record<string, string>;

  constructor(api: GcsApi, name: string, session: string, metadata: Record<string, string>) {
    this.#startMetadata = metadata;
    this.#api = api;
    this.#name = name;
    this.#session = session;
  }

  uploadPart(_index: number, data: Uint8Array): Promise<void> {
    this.#queue = this.#queue.then(async () => {
      if (this.#held) await this.#send(this.#held, undefined);
      this.#held = data;
    });
    return this.#queue;
  }

  async #send(chunk: Uint8Array, total: number | undefined): Promise<Response> {
    const first = this.#sent;
    const last = first + chunk.length - 1;
    const range = chunk.length === 0
      ? `bytes */${total}`
      : `bytes ${first}-${last}/${total ?? "*"}`;
    const res = await this.#api.call({
      op: `upload bytes ${first}-${last} of`,
      target: this.#api.describe(this.#name),
      method: "PUT",
      url: this.#session,
      headers: { "content-range": range },
      body: chunk,
      accept: [308],
    });
    if (total === undefined) {
      await res.body?.cancel();
      if (res.status !== 308) {
        throw new StoreError(
          "Io",
          `Cannot upload ${this.#api.describe(this.#name)}: the server finalized the ` +
            `upload after a non-final chunk (HTTP ${res.status}); chunked resumable uploads ` +
            "are not supported by this server",
        );
      }
    }
    this.#sent += chunk.length;
    return res;
  }

  async complete(final: { metadata: Record<string, string>; size: number }): Promise<WriteResult> {
    await this.#queue;
    const res = await this.#send(this.#held ?? new Uint8Array(0), final.size);
    this.#held = undefined;
    const text = await res.text();
    const where = this.#api.describe(this.#name);
    let obj: GcsObject;
    try {
      obj = JSON.parse(text) as GcsObject;
    } catch (err) {
      throw new StoreError("Io", `Cannot finish upload ${where}: answer is not JSON`, {
        cause: err,
      });
    }
    if (this.#startMetadata[DIGEST_META] === final.metadata[DIGEST_META]) return written(obj);
    // The digest is known only now: add it, only to this generation.
    try {
      const patched = await this.#api.patchMetadata(
        this.#name,
        String(obj.generation),
        final.metadata,
      );
      return {
        etag: String(obj.generation),
        ...(patched.updated ? { lastModified: new Date(patched.updated) } : {}),
      };
    } catch {
      return written(obj); // head() then computes the digest by reading
    }
  }

  async abort(): Promise<void> {
    await this.#queue.catch(() => {});
    const res = await this.#api.call({
      op: "cancel upload",
      target: this.#api.describe(this.#name),
      method: "DELETE",
      url: this.#session,
      accept: [404, 410, 499],
    }).catch(() => undefined);
    await res?.body?.cancel();
  }
}
