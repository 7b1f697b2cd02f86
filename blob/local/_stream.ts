/**
 * Streams in and out of LocalBlobStore files: ranged reads that hold one
 * chunk at a time, and chunked uploads into a temp file.
 *
 * @module
 */
import { StoreError, toStoreError } from "../../core/error.ts";
import { chunkBytes } from "../_data.ts";
import { type ContentWriter, readFull, type WrittenContent } from "./_io.ts";
import type { LocalFs } from "./_fs.ts";
import type { BlobMeta, ChunkedUpload } from "../types.ts";

const STREAM_CHUNK = 256 * 1024;

/** A chunked upload writing into a temp file until `complete()` publishes it. */
export class LocalUpload implements ChunkedUpload {
  #state: "open" | "done" = "open";
  // Writes run one after another even if a caller does not await each one.
  #tail: Promise<void> = Promise.resolve();
  #failed: unknown;

  constructor(
    readonly key: string,
    readonly fs: LocalFs,
    readonly writer: ContentWriter,
    readonly publish: (written: WrittenContent) => Promise<BlobMeta>,
    readonly forget: () => void,
  ) {}

  #live(op: string): void {
    if (this.#state !== "open") {
      throw new StoreError("Closed", `Cannot ${op}: upload to ${JSON.stringify(this.key)} ended`);
    }
  }

  async write(chunk: Uint8Array | string): Promise<void> {
    this.#live("write upload chunk");
    const bytes = chunkBytes(chunk, "write upload chunk");
    const run = this.#tail.then(() => {
      if (this.#failed !== undefined) throw this.#failed;
      return this.writer.write(bytes);
    });
    this.#tail = run.catch((err) => {
      this.#failed ??= err;
    });
    try {
      await run;
    } catch (err) {
      throw toStoreError(err, `write upload chunk to ${JSON.stringify(this.key)}`);
    }
  }

  async complete(): Promise<BlobMeta> {
    this.#live("complete upload");
    this.#state = "done";
    try {
      await this.#tail;
      if (this.#failed !== undefined) throw this.#failed;
      return await this.publish(await this.writer.finish());
    } catch (err) {
      this.forget();
      await this.writer.discard(this.fs);
      throw toStoreError(err, `complete upload to ${JSON.stringify(this.key)}`);
    }
  }

  async abort(): Promise<void> {
    this.#state = "done";
    this.forget();
    await this.#tail;
    await this.writer.discard(this.fs);
  }
}

/** Streams `length` bytes from the file's current offset, then closes it. */
export function rangeStream(
  file: Deno.FsFile,
  length: number,
  what: string,
): ReadableStream<Uint8Array> {
  let left = length;
  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      file.close();
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        if (left === 0) {
          close();
          c.close();
          return;
        }
        const buf = new Uint8Array(Math.min(STREAM_CHUNK, left));
        const n = await readFull(file, buf);
        if (n < buf.length) {
          throw new StoreError("Corruption", `Cannot ${what}: the file ends before its size`);
        }
        left -= n;
        c.enqueue(buf);
      } catch (err) {
        close();
        c.error(toStoreError(err, what));
      }
    },
    cancel() {
      close();
    },
  });
}
