// The ChunkedUpload handle of the cloud stores: a small state machine over a
// PartWriter (open → completed | aborted); calls after either are `Closed`.

import { StoreError } from "../../core/error.ts";
import { chunkBytes } from "../_data.ts";
import type { BlobMeta, ChunkedUpload } from "../types.ts";
import type { PartWriter, WrittenBlob } from "./part_writer.ts";

/** What the handle needs from its store. */
export interface UploadHooks {
  /** `s3://bucket/key` etc., for messages. */
  where(): string;
  /** Throws `Closed` if the store was closed. */
  ensureOpen(op: string): void;
  /** Builds the BlobMeta of the finished blob. */
  finish(w: WrittenBlob): BlobMeta;
}

/** A chunked upload streamed into the service's multipart upload. */
export class CloudChunkedUpload implements ChunkedUpload {
  readonly key: string;
  #writer: PartWriter;
  #hooks: UploadHooks;
  #state: "open" | "completed" | "aborted" = "open";

  constructor(key: string, writer: PartWriter, hooks: UploadHooks) {
    this.key = key;
    this.#writer = writer;
    this.#hooks = hooks;
  }

  #check(op: string): void {
    if (this.#state !== "open") {
      throw new StoreError(
        "Closed",
        `Cannot ${op} ${this.#hooks.where()}: the upload is already ${this.#state}`,
      );
    }
    this.#hooks.ensureOpen(op);
  }

  async write(chunk: Uint8Array | string): Promise<void> {
    this.#check("write upload");
    try {
      await this.#writer.write(chunkBytes(chunk, `write upload ${this.#hooks.where()}`));
    } catch (err) {
      this.#state = "aborted";
      await this.#writer.abort();
      throw err;
    }
  }

  async complete(): Promise<BlobMeta> {
    this.#check("complete upload");
    this.#state = "completed"; // a failed completion aborts the service-side upload
    return this.#hooks.finish(await this.#writer.complete());
  }

  async abort(): Promise<void> {
    if (this.#state === "completed") return;
    this.#state = "aborted";
    await this.#writer.abort();
  }
}
