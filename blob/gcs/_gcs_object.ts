// The JSON object resource of the GCS API and its mapping onto StoredObject.

import type { StoredObject, WriteResult } from "../_cloud/object_api.ts";

/** The fields of a GCS object resource that are used. */
export interface GcsObject {
  name?: string;
  size?: string;
  generation?: string;
  updated?: string;
  contentType?: string;
  metadata?: Record<string, string>;
}

/** A resource as a StoredObject (generation = etag). */
export function toStored(o: GcsObject, fallbackName: string): StoredObject {
  const s: StoredObject = {
    name: o.name ?? fallbackName,
    size: Number(o.size ?? 0),
    etag: String(o.generation ?? ""),
    lastModified: new Date(o.updated ?? Date.now()),
    metadata: { ...(o.metadata ?? {}) },
  };
  if (o.contentType !== undefined) s.contentType = o.contentType;
  return s;
}

/** The etag and time of a finished write. */
export function written(o: GcsObject): WriteResult {
  const r: WriteResult = { etag: String(o.generation ?? "") };
  if (o.updated) r.lastModified = new Date(o.updated);
  return r;
}
