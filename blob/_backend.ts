/**
 * The small interface a blob backend implements under {@link BlobStoreCore}
 * (`_core.ts`): how bytes and metadata are stored, read, listed and removed.
 * Everything a caller can get wrong (keys, options, ranges, conditions,
 * closed stores) is checked by the core before a backend is called, and the
 * errors a caller sees are made there, so a backend only reports facts
 * ("missing", "another etag") and its own failures (quota, I/O).
 *
 * @module
 */
import type { Digest } from "./digest.ts";
import type { ListPlan } from "./_list.ts";
import type { BlobData, BlobMeta, ListResult } from "./types.ts";

/** What the core knows about a write before the backend stores it. */
export interface WriteInfo {
  /** Checked content type, if any. */
  contentType?: string;
  /** Checked user metadata (a fresh object the backend may keep). */
  metadata: Record<string, string>;
  /** SHA-256 of the data, when the core already knows it (content addressing). */
  digest?: Digest;
}

/** A precondition the backend applies atomically with the write. */
export type WriteCondition = { ifAbsent: true } | { ifMatch: string };

/** Why a conditional write did not happen. */
export type WriteConflict = "exists" | "missing" | "mismatch";

/** Where a chunked upload's bytes go until it is completed. */
export interface UploadSink {
  /** Takes the next chunk (the caller's own array: copy it before keeping it). */
  write(chunk: Uint8Array): Promise<void>;
  /** Publishes the blob under its key. */
  complete(): Promise<BlobMeta>;
  /** Drops what was written. */
  abort(): Promise<void>;
}

/** How one kind of storage moves bytes; the core does the rest. */
export interface BlobBackend {
  /** How messages name the store (":memory:", a path, a bucket URL). */
  readonly where: string;
  /** Whether list cursors are the service's own tokens (else the core's positions). */
  readonly nativeCursors?: boolean;
  /** How messages name one blob, when the backend has its own name for it (a URL). */
  describe?(key: string): string;
  /** `deleteMany` removals in flight at once. */
  readonly removeConcurrency: number;
  /** Gets ready before an operation (a local store opens its root on first use). */
  prepare?(op: string): Promise<void>;
  /** Rules the backend adds to the common key rules (throws `InvalidInput`/`Unsupported`). */
  checkKey?(key: string, op: string): void;
  /**
   * Stores the data (bytes, string or stream, already type-checked; bytes are
   * the caller's own array) if `cond` holds; returns the new blob's metadata
   * or why the condition failed.
   */
  write(
    key: string,
    data: BlobData,
    info: WriteInfo,
    cond: WriteCondition | undefined,
    op: string,
  ): Promise<BlobMeta | WriteConflict>;
  /** The whole content (a copy the caller owns), or undefined when missing. */
  read(key: string): Promise<Uint8Array | undefined>;
  /** `[start, end)` clamped to the size, or undefined when missing. */
  readStream(
    key: string,
    range: { start: number; end?: number } | undefined,
    op: string,
  ): Promise<ReadableStream<Uint8Array> | undefined>;
  /** Metadata (a copy the caller owns), or undefined when missing. */
  stat(key: string): Promise<BlobMeta | undefined>;
  /** Removes the blob (only if its content has `ifDigest`); false when it did not. */
  remove(key: string, ifDigest?: Digest): Promise<boolean>;
  /** Removes every blob whose key starts with `prefix`; how many. */
  removePrefix(prefix: string): Promise<number>;
  /** One page of a checked listing, ascending by key. */
  list(plan: ListPlan): Promise<ListResult>;
  /** Copies content, type and metadata under a fresh etag; false when `src` is missing. */
  copy(src: string, dst: string, op: string): Promise<boolean>;
  /** Moves a blob (a no-op when `src === dst`); false when `src` is missing. */
  rename(src: string, dst: string, op: string): Promise<boolean>;
  /** Where a chunked upload to `key` collects its bytes. */
  openUpload(key: string, info: WriteInfo, op: string): Promise<UploadSink>;
  /** A signed URL; absent on backends that have none (the core says `Unsupported`). */
  presign?(key: string, method: "GET" | "PUT", expiresInSeconds: number): Promise<string>;
  /** Releases what the backend holds. */
  close(): Promise<void>;
}
