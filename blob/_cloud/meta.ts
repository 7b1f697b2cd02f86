// How BlobStore metadata maps onto a cloud object's user metadata: the
// reserved `oxistore_*` entries (digest, "no content type" marker) and back.

import { StoreError } from "../../core/error.ts";
import { checkContentType, checkMetadata } from "../keys.ts";
import type { BlobMeta, PutOptions } from "../types.ts";
import type { StoredObject } from "./object_api.ts";

/** Names users may not use: oxistore keeps its own entries under this prefix. */
export const RESERVED_META = "oxistore_";
/** Set when a blob was written without a content type (services invent one). */
const NO_TYPE_META = "oxistore_notype";

/** Checked write options. */
export interface WriteOptions {
  contentType?: string;
  metadata: Record<string, string>;
}

/** Validates content type and metadata (reserved names → `InvalidInput`). */
export function checkWriteOptions(op: string, opts?: PutOptions): WriteOptions {
  const metadata = checkMetadata(opts?.metadata, op);
  for (const k of Object.keys(metadata)) {
    if (k.startsWith(RESERVED_META)) {
      throw new StoreError(
        "InvalidInput",
        `Cannot ${op}: metadata name ${JSON.stringify(k)} is reserved (prefix ${RESERVED_META})`,
      );
    }
  }
  const contentType = checkContentType(opts?.contentType, op);
  return contentType === undefined ? { metadata } : { contentType, metadata };
}

/** What goes to the service: user metadata plus the no-content-type marker. */
export function storedOptions(base: WriteOptions): WriteOptions {
  if (base.contentType !== undefined) return base;
  return { metadata: { ...base.metadata, [NO_TYPE_META]: "1" } };
}

/** A stored object as BlobMeta: reserved entries hidden, invented content types dropped. */
export function toBlobMeta(key: string, o: StoredObject, digest: string): BlobMeta {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.metadata)) {
    if (!k.startsWith(RESERVED_META)) metadata[k] = v;
  }
  const meta: BlobMeta = {
    key,
    size: o.size,
    digest,
    etag: o.etag,
    lastModified: o.lastModified,
    metadata,
  };
  if (o.contentType !== undefined && o.metadata[NO_TYPE_META] === undefined) {
    meta.contentType = o.contentType;
  }
  return meta;
}

/** Runs `fn` over the items, at most `limit` at once, keeping the order. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * The object a HEAD response describes: size, etag, date, content type and
 * the user metadata sent as headers starting with `metaPrefix`.
 */
export function storedFromHeaders(name: string, h: Headers, metaPrefix: string): StoredObject {
  const metadata: Record<string, string> = {};
  for (const [k, v] of h) if (k.startsWith(metaPrefix)) metadata[k.slice(metaPrefix.length)] = v;
  const o: StoredObject = {
    name,
    size: Number(h.get("content-length") ?? 0),
    etag: h.get("etag") ?? "",
    lastModified: new Date(h.get("last-modified") ?? Date.now()),
    metadata,
  };
  const ct = h.get("content-type");
  if (ct !== null) o.contentType = ct;
  return o;
}
