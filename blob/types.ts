/**
 * The `BlobStore` contract every blob backend (local, memory, S3, GCS, Azure)
 * implements, and the shapes it takes and returns.
 *
 * Decisions that hold on every backend:
 * - Keys are relative `/`-separated paths (see `checkBlobKey` in `keys.ts`).
 * - Listing is ascending by key in UTF-8 byte order (= Unicode code point order).
 * - `put`-like writes return the new blob's {@link BlobMeta}; `etag` is opaque.
 *   Local and memory mint a fresh one per write (so `putIfMatch` never takes
 *   two writes of the same bytes for "nothing changed"); cloud backends use the
 *   service's (S3's is the content MD5 for simple uploads).
 * - `presign` is a method on every store; backends without presigned URLs
 *   (local, memory) throw `StoreError` kind `Unsupported`.
 * - After `close()`, every call throws kind `Closed`.
 *
 * @module
 */
import type { Digest } from "./digest.ts";

/** What a blob write accepts: bytes, a UTF-8 string, or a byte stream. */
export type BlobData = Uint8Array | string | ReadableStream<Uint8Array>;

/** What is known about a stored blob. */
export interface BlobMeta {
  /** The blob's key. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** SHA-256 of the content, lower-case hex (64 characters). */
  digest: string;
  /** MIME type given at write time, if any. */
  contentType?: string;
  /** Opaque version tag for `putIfMatch` (see the module notes per backend). */
  etag: string;
  /** When the blob was last written. */
  lastModified: Date;
  /** User metadata given at write time (names: `[a-z_][a-z0-9_]*`). */
  metadata: Record<string, string>;
}

/** Options of `put`, `putIfAbsent`, `putIfMatch` and `startUpload`. */
export interface PutOptions {
  /** MIME type stored with the blob (printable ASCII). */
  contentType?: string;
  /**
   * User metadata. Names must match `[a-z_][a-z0-9_]{0,127}` (the common subset
   * of S3, GCS and Azure rules); values printable ASCII; 2 KiB in total.
   */
  metadata?: Record<string, string>;
}

/** Options of `list`. */
export interface ListOptions {
  /**
   * Group keys that contain this string after the prefix into `prefixes`
   * (each ending with the delimiter), like S3's `Delimiter`.
   */
  delimiter?: string;
  /** Most items + prefixes in one page (default 1000). Positive integer. */
  limit?: number;
  /** The `cursor` of the previous page. */
  cursor?: string;
}

/** One page of `list`. */
export interface ListResult {
  /** Blobs on this page, ascending by key. */
  items: BlobMeta[];
  /** Common prefixes (with `delimiter`), ascending, each ending with it. */
  prefixes: string[];
  /** Pass to the next `list` call; absent on the last page. */
  cursor?: string;
}

/** Byte range of `getStream`: `[start, end)`; `end` defaults to the size. */
export interface GetRangeOptions {
  /** First byte, inclusive (≥ 0). */
  start: number;
  /** Last byte, exclusive; clamped to the size. */
  end?: number;
}

/** Options of `presign`. */
export interface PresignOptions {
  /** What the URL allows. */
  method: "GET" | "PUT";
  /** How long the URL is valid, in seconds (positive integer). */
  expiresInSeconds: number;
}

/**
 * A blob written piece by piece without buffering it whole. Nothing is
 * visible under the key until `complete()` resolves; `abort()` discards it.
 */
export interface ChunkedUpload {
  /** The key the blob will have. */
  readonly key: string;
  /** Appends bytes. Calls must not overlap (await each one). */
  write(chunk: Uint8Array | string): Promise<void>;
  /** Publishes the blob atomically and returns its metadata. */
  complete(): Promise<BlobMeta>;
  /** Discards everything written; safe to call more than once. */
  abort(): Promise<void>;
}

/**
 * A blob store: named byte objects with metadata, conditional writes and a
 * content-addressed area. Every failure is a `StoreError`:
 * missing key → `NotFound`, bad key → `InvalidInput`, digest mismatch →
 * `Corruption`, failed condition → `AlreadyExists` / `CasMismatch`.
 *
 * Content-addressed blobs (`putCas`) live under the ordinary key
 * `cas/sha256/<first two hex>/<full hex>` (see `casKey`).
 */
export interface BlobStore {
  /** Writes (or overwrites) a blob. */
  put(key: string, data: BlobData, opts?: PutOptions): Promise<BlobMeta>;
  /** Reads a whole blob. */
  get(key: string): Promise<Uint8Array>;
  /** Streams a blob or the byte range `[start, end)` of it. */
  getStream(key: string, range?: GetRangeOptions): Promise<ReadableStream<Uint8Array>>;
  /** The blob's metadata. */
  head(key: string): Promise<BlobMeta>;
  /** Removes a blob; a missing key is `NotFound`. */
  delete(key: string): Promise<void>;
  /** Whether a blob exists under the key. */
  exists(key: string): Promise<boolean>;
  /** One page of blobs whose key starts with `prefix` (default: all). */
  list(prefix?: string, opts?: ListOptions): Promise<ListResult>;
  /** Copies content, content type and metadata to `dst` (overwriting it). */
  copy(src: string, dst: string): Promise<void>;
  /** Moves a blob to `dst` (overwriting it). */
  rename(src: string, dst: string): Promise<void>;
  /** Writes only if no blob exists under the key, else `AlreadyExists`. Atomic. */
  putIfAbsent(key: string, data: BlobData, opts?: PutOptions): Promise<BlobMeta>;
  /**
   * Writes only if the current blob's etag is `etag`, else `CasMismatch`
   * (also when the key is missing). Atomic.
   */
  putIfMatch(key: string, data: BlobData, etag: string, opts?: PutOptions): Promise<BlobMeta>;
  /** Removes every listed key that exists; returns how many were removed. */
  deleteMany(keys: string[]): Promise<number>;
  /** Removes every blob whose key starts with `prefix`; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  /** Removes the blob only if its content has this digest; false when missing or different. */
  deleteIfMatches(key: string, digest: Digest | string): Promise<boolean>;
  /** Stores content under its own SHA-256; idempotent. */
  putCas(data: BlobData): Promise<Digest>;
  /** Reads content by digest, re-verifying it (mismatch → `Corruption`). */
  getCas(digest: Digest | string): Promise<Uint8Array>;
  /** Whether content with this digest is stored. */
  existsCas(digest: Digest | string): Promise<boolean>;
  /** Begins a chunked upload to `key`. */
  startUpload(key: string, opts?: PutOptions): Promise<ChunkedUpload>;
  /** A time-limited URL for the key; `Unsupported` where the backend has none. */
  presign(key: string, opts: PresignOptions): Promise<string>;
  /** Releases resources; later calls throw `Closed`. */
  close(): Promise<void>;
}
