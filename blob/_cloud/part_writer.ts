// Streams bytes into a service-side multipart upload: fixed-size parts,
// up to `concurrency` in flight, SHA-256 computed on the way, abort on any
// failure. A blob smaller than one part becomes a single conditional PUT.

import { StoreError } from "../../core/error.ts";
import { Sha256Hasher } from "../digest.ts";
import {
  DIGEST_META,
  type ObjectApi,
  type PartUpload,
  type WriteCondition,
  type WriteResult,
} from "./object_api.ts";

/** Parts uploaded at one size before the part size doubles. */
export const PARTS_PER_SIZE = 1000;

/** What a finished write produced. */
export interface WrittenBlob extends WriteResult {
  /** Bytes written. */
  size: number;
  /** SHA-256 hex of the content. */
  digest: string;
}

/** Accumulates chunks and uploads them as parts. */
export class PartWriter {
  #api: ObjectApi;
  #name: string;
  #req: { contentType?: string; metadata: Record<string, string>; condition?: WriteCondition };
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #size = 0;
  #hasher = new Sha256Hasher();
  #upload: PartUpload | undefined;
  #next = 0;
  #inflight = new Set<Promise<void>>();
  #failure: unknown;
  #done = false;

  constructor(
    api: ObjectApi,
    name: string,
    req: { contentType?: string; metadata: Record<string, string>; condition?: WriteCondition },
  ) {
    this.#api = api;
    this.#name = name;
    this.#req = req;
  }

  /** Adds bytes; uploads every full part (waits when too many are in flight). */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.#done) {
      throw new StoreError(
        "InvalidInput",
        `Cannot write to upload ${this.#api.describe(this.#name)}: it is already finished`,
      );
    }
    this.#throwIfFailed();
    if (bytes.length === 0) return;
    this.#hasher.update(bytes);
    this.#size += bytes.length;
    this.#chunks.push(bytes);
    this.#buffered += bytes.length;
    while (this.#buffered >= this.#partSize()) await this.#sendPart(this.#take(this.#partSize()));
  }

  /** Uploads the rest, commits, and returns what was written. */
  async complete(): Promise<WrittenBlob> {
    this.#done = true;
    const digest = this.#hasher.digest().hex;
    const metadata = { ...this.#req.metadata, [DIGEST_META]: digest };
    try {
      if (this.#upload === undefined) {
        const body = this.#take(this.#buffered);
        const req = { ...this.#req, metadata, sha256Hex: digest };
        const r = await this.#api.put(this.#name, body, req);
        return { ...r, size: this.#size, digest };
      }
      if (this.#buffered > 0) await this.#sendPart(this.#take(this.#buffered));
      await Promise.all(this.#inflight);
      this.#throwIfFailed();
      const r = await this.#upload.complete({ metadata, size: this.#size });
      return { ...r, size: this.#size, digest };
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Discards everything; safe to call more than once. */
  async abort(): Promise<void> {
    this.#done = true;
    this.#chunks = [];
    this.#buffered = 0;
    await Promise.allSettled(this.#inflight);
    const up = this.#upload;
    this.#upload = undefined;
    if (up) await up.abort().catch(() => {});
  }

  /**
   * The size of the next part: the configured size, doubled every
   * {@link PARTS_PER_SIZE} parts, so a stream of unknown length never runs
   * into S3's 10,000-part limit (8 MiB parts would stop at 80 GB).
   */
  #partSize(): number {
    const doublings = Math.min(10, Math.floor(this.#next / PARTS_PER_SIZE));
    return this.#api.partSize * 2 ** doublings;
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const head = this.#chunks[0]!;
      const k = Math.min(head.length, n - at);
      out.set(head.subarray(0, k), at);
      at += k;
      if (k === head.length) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(k);
    }
    this.#buffered -= n;
    return out;
  }

  async #sendPart(part: Uint8Array): Promise<void> {
    try {
      this.#upload ??= await this.#api.startUpload(this.#name, this.#req);
    } catch (err) {
      this.#failure = err;
      throw err;
    }
    const upload = this.#upload;
    const index = this.#next++;
    const p: Promise<void> = upload.uploadPart(index, part).then(
      () => {
        this.#inflight.delete(p);
      },
      (err) => {
        this.#inflight.delete(p);
        this.#failure ??= err;
      },
    );
    this.#inflight.add(p);
    if (this.#inflight.size >= this.#api.concurrency) await Promise.race(this.#inflight);
    this.#throwIfFailed();
  }
}
