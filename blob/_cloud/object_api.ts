// The small protocol surface each cloud backend implements; CloudBlobStore
// builds the whole BlobStore contract on top of it. Names here are full object
// names (the store's prefix already applied).

/** An object as the service describes it. */
export interface StoredObject {
  /** Full object name. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** The service's version tag (S3/Azure ETag, GCS generation). */
  etag: string;
  /** Last write time. */
  lastModified: Date;
  /** Content-Type, if stored. */
  contentType?: string;
  /** User metadata as stored (includes the digest entry). */
  metadata: Record<string, string>;
}

/** A condition on a write: atomic on the service side. */
export type WriteCondition = { ifAbsent: true } | { ifMatch: string };

/** What a single-request write sends. */
export interface WriteRequest {
  /** Content-Type to store. */
  contentType?: string;
  /** User metadata to store (digest entry included). */
  metadata: Record<string, string>;
  /** Atomic precondition. */
  condition?: WriteCondition;
  /** Hex SHA-256 of the body (S3 signs it, so the service verifies it). */
  sha256Hex: string;
}

/** The result of a write. */
export interface WriteResult {
  /** New version tag. */
  etag: string;
  /** Server time of the write, if the service said. */
  lastModified?: Date;
}

/** A service-side multipart / block / resumable upload in progress. */
export interface PartUpload {
  /** Uploads part `index` (0-based, contiguous); parts may run in parallel. */
  uploadPart(index: number, data: Uint8Array): Promise<void>;
  /**
   * Commits the parts in order; metadata now carries the final digest (if the
   * upload started with the same digest entry, nothing needs rewriting).
   */
  complete(final: { metadata: Record<string, string>; size: number }): Promise<WriteResult>;
  /** Discards the parts. */
  abort(): Promise<void>;
}

/** One page of a listing. */
export interface ObjectPage {
  /** Objects, ascending by name. */
  objects: StoredObject[];
  /** Common prefixes, ascending. */
  prefixes: string[];
  /** Continuation token; absent on the last page. */
  cursor?: string;
}

/** The protocol a backend implements. */
export interface ObjectApi {
  /** `scheme://bucket/name` for messages. */
  describe(name: string): string;
  /** Whether `list` returns user metadata (else CloudBlobStore heads each item). */
  readonly listHasMetadata: boolean;
  /** Parts of a parallel upload may need a minimum size; uploads use this part size. */
  readonly partSize: number;
  /** Parts uploaded at once. */
  readonly concurrency: number;
  put(name: string, body: Uint8Array, req: WriteRequest): Promise<WriteResult>;
  /** Streams the object or `[start, end)` of it; missing → NotFound. */
  get(name: string, range?: [number, number]): Promise<ReadableStream<Uint8Array>>;
  /** Metadata, or undefined when missing. */
  head(name: string): Promise<StoredObject | undefined>;
  /** Deletes; false when missing. With `ifMatch`, only that version. */
  delete(name: string, ifMatch?: string): Promise<boolean>;
  list(
    prefix: string,
    opts: { delimiter?: string; limit: number; cursor?: string },
  ): Promise<ObjectPage>;
  /** Server-side copy with content type and metadata; missing source → NotFound. */
  copy(src: string, dst: string): Promise<void>;
  startUpload(
    name: string,
    req: { contentType?: string; metadata: Record<string, string>; condition?: WriteCondition },
  ): Promise<PartUpload>;
  presign(name: string, method: "GET" | "PUT", expiresInSeconds: number): Promise<string>;
  /**
   * Throws `Unsupported` if the service is known not to enforce conditional
   * writes (checked before every conditional write; may probe once).
   */
  ensureConditionalWrites?(): Promise<void>;
}

/** The user-metadata entry that carries the content's SHA-256 hex. */
export const DIGEST_META = "oxistore_sha256";
