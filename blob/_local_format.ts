/**
 * The on-disk format of one LocalBlobStore blob: a small header followed by
 * the content, in one file, so a single rename publishes both together.
 *
 * ```
 * 0   8  magic "OXIBLOB1"
 * 8   4  header length H (u32 LE, fixed part + JSON)
 * 12  4  CRC-32 of bytes [16, H)
 * 16  8  content size (u64 LE)
 * 24 32  SHA-256 of the content
 * 56  8  last-modified, epoch ms (f64 LE)
 * 64 16  etag (random)
 * 80  …  JSON {"t"?: contentType, "m": metadata}
 * H   …  content
 * ```
 *
 * The fixed part is written last (at offset 0) once the content's size and
 * digest are known; the JSON part is known before the first byte.
 *
 * @module
 */
import { StoreError } from "../core/error.ts";
import { crc32 } from "../core/crc32.ts";
import { toHex } from "../core/bytes.ts";
import type { Digest } from "./digest.ts";
import type { BlobMeta } from "./types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MAGIC = encoder.encode("OXIBLOB1");
/** Bytes of the fixed part of the header. */
export const FIXED = 80;
/** A header larger than this is corrupt (metadata is capped at 2 KiB). */
export const MAX_HEADER = 16 * 1024;
/** How much to read at first to get the whole header in one go. */
export const HEADER_PROBE = 4096;

/** What the header says about its blob. */
export interface Header {
  headerLen: number;
  size: number;
  digest: string;
  mtime: number;
  etag: string;
  contentType: string | undefined;
  metadata: Record<string, string>;
}

/** The variable (JSON) part, known before writing. */
export function encodeJson(
  contentType: string | undefined,
  metadata: Record<string, string>,
): Uint8Array {
  const obj: { t?: string; m: Record<string, string> } = { m: metadata };
  if (contentType !== undefined) obj.t = contentType;
  return encoder.encode(JSON.stringify(obj));
}

/** A fresh random etag for the fixed part. */
export function randomEtag(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(16));
}

/** The complete header bytes (fixed part + JSON), with a CRC over both. */
export function encodeHeader(
  json: Uint8Array,
  size: number,
  digest: Digest,
  mtime: number,
  etag: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(FIXED + json.length);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(8, out.length, true);
  view.setBigUint64(16, BigInt(size), true);
  out.set(digest.bytes, 24);
  view.setFloat64(56, mtime, true);
  out.set(etag, 64);
  out.set(json, FIXED);
  view.setUint32(12, crc32(out.subarray(16)), true);
  return out;
}

/**
 * The header length a buffer starting at offset 0 announces, or throws
 * Corruption when it is not a blob file. Needs at least 16 bytes.
 */
export function headerLength(buf: Uint8Array, where: string): number {
  let magic = buf.length >= 16;
  for (let i = 0; magic && i < MAGIC.length; i++) magic = buf[i] === MAGIC[i];
  if (!magic) {
    throw new StoreError("Corruption", `Cannot read blob ${where}: not an oxistore blob file`);
  }
  const len = (buf[8]! | buf[9]! << 8 | buf[10]! << 16 | buf[11]! << 24) >>> 0;
  if (len < FIXED || len > MAX_HEADER) {
    throw new StoreError(
      "Corruption",
      `Cannot read blob ${where}: header length ${len} is invalid`,
    );
  }
  return len;
}

interface JsonPart {
  contentType: string | undefined;
  metadata: Record<string, string>;
}

// Blobs listed together mostly share a content type and metadata, so the parsed
// JSON part is reused by its text. Callers copy the metadata before handing it out.
const jsonCache = new Map<string, JsonPart>();
const JSON_CACHE_MAX = 512;

function parseJsonPart(buf: Uint8Array, start: number, end: number, where: string): JsonPart {
  let ascii = true;
  for (let i = start; ascii && i < end; i++) ascii = buf[i]! < 0x80;
  const text = ascii && end - start <= 4096
    ? String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[])
    : decoder.decode(buf.subarray(start, end));
  const hit = jsonCache.get(text);
  if (hit) return hit;
  let json: { t?: unknown; m?: unknown };
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new StoreError("Corruption", `Cannot read blob ${where}: header JSON is invalid`, {
      cause: err,
    });
  }
  const part: JsonPart = {
    contentType: typeof json.t === "string" ? json.t : undefined,
    metadata: (typeof json.m === "object" && json.m !== null ? json.m : {}) as Record<
      string,
      string
    >,
  };
  Object.freeze(part.metadata);
  if (jsonCache.size >= JSON_CACHE_MAX) jsonCache.clear();
  jsonCache.set(text, part);
  return part;
}

/**
 * Parses a complete header (`buf` holds at least its `headerLen` bytes).
 * `checked`: its CRC was verified before (bytes kept since), so skip it.
 */
export function decodeHeader(buf: Uint8Array, where: string, checked = false): Header {
  const headerLen = headerLength(buf, where);
  if (buf.length < headerLen) {
    throw new StoreError("Corruption", `Cannot read blob ${where}: header is truncated`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (!checked && view.getUint32(12, true) !== crc32(buf.subarray(16, headerLen))) {
    throw new StoreError("Corruption", `Cannot read blob ${where}: header checksum mismatch`);
  }
  const { contentType, metadata } = parseJsonPart(buf, FIXED, headerLen, where);
  return {
    headerLen,
    size: view.getUint32(16, true) + view.getUint32(20, true) * 2 ** 32,
    digest: toHex(buf.subarray(24, 56)),
    mtime: view.getFloat64(56, true),
    etag: toHex(buf.subarray(64, 80)),
    contentType,
    metadata,
  };
}

/** The public metadata of a header. */
export function headerMeta(key: string, h: Header): BlobMeta {
  const meta: BlobMeta = {
    key,
    size: h.size,
    digest: h.digest,
    etag: h.etag,
    lastModified: new Date(h.mtime),
    metadata: { ...h.metadata },
  };
  if (h.contentType !== undefined) meta.contentType = h.contentType;
  return meta;
}
