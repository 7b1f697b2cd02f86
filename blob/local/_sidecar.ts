/**
 * The metadata of one LocalBlobStore blob, kept beside its content in a
 * sidecar file under `.oxistore/meta/` (the content itself is the plain file
 * `<root>/<key>`). The sidecar also records which content file it describes
 * (inode, size, mtime), so a reader can tell a sidecar that belongs to the
 * content from one left over by a crash or an outside edit.
 *
 * ```
 * 0   8  magic "OXIMETA1" (format 2; "OXIBLOB1" in format-1 blob files)
 * 8   4  header length H (u32 LE, fixed part + JSON)
 * 12  4  CRC-32 of bytes [16, H)
 * 16  8  content size (u64 LE)
 * 24 32  SHA-256 of the content
 * 56  8  last-modified, epoch ms (f64 LE)
 * 64 16  etag (random)
 * 80  8  inode of the content file (f64 LE; -1: a tombstone, the key is deleted)
 * 88  8  mtime of the content file, epoch ms (f64 LE)
 * 96  …  JSON {"t"?: contentType, "m": metadata}
 * ```
 *
 * A format-1 blob file (`OXIBLOB1`) has no content stamp (its fixed part
 * ends at 80) and its content follows the header; it is decoded here too, so
 * the upgrade from format 1 reads old files with the same code.
 *
 * @module
 */
import { StoreError } from "../../core/error.ts";
import { crc32 } from "../../core/crc32.ts";
import { toHex } from "../../core/bytes.ts";
import type { Digest } from "../digest.ts";
import type { BlobMeta } from "../types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MAGIC = encoder.encode("OXIMETA1");
const LEGACY_MAGIC = encoder.encode("OXIBLOB1");
/** Bytes of the fixed part of a sidecar. */
export const FIXED = 96;
/** Bytes of the fixed part of a format-1 blob file header. */
export const LEGACY_FIXED = 80;
/** A header larger than this is corrupt (metadata is capped at 2 KiB). */
export const MAX_HEADER = 16 * 1024;
/** How much to read at first to get the whole header in one go. */
export const HEADER_PROBE = 4096;

/** What the header says about its blob. */
export interface Header {
  headerLen: number;
  /** Format-1 blob file (content follows the header; no stamp). */
  legacy: boolean;
  /** The content file it describes: inode (-1: a tombstone) and mtime (ms). */
  ino: number;
  fileMtime: number;
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

/** Which content file a sidecar describes; `ino` -1 marks a deleted key. */
export interface ContentStamp {
  ino: number;
  size: number;
  mtime: number;
}

/** The stamp of a tombstone (the key is deleted). */
export const TOMBSTONE: ContentStamp = { ino: -1, size: 0, mtime: 0 };

/** The complete header bytes (fixed part + JSON), with a CRC over both. */
export function encodeHeader(
  json: Uint8Array,
  size: number,
  digest: Digest,
  mtime: number,
  etag: Uint8Array,
  stamp: ContentStamp,
): Uint8Array {
  const out = new Uint8Array(FIXED + json.length);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(8, out.length, true);
  view.setBigUint64(16, BigInt(size), true);
  out.set(digest.bytes, 24);
  view.setFloat64(56, mtime, true);
  out.set(etag, 64);
  view.setFloat64(80, stamp.ino, true);
  view.setFloat64(88, stamp.mtime, true);
  out.set(json, FIXED);
  view.setUint32(12, crc32(out.subarray(16)), true);
  return out;
}

/**
 * The header length a buffer starting at offset 0 announces, or throws
 * Corruption when it is not a blob file. Needs at least 16 bytes.
 */
export function headerLength(buf: Uint8Array, where: string): number {
  const fixed = fixedLength(buf);
  if (fixed === 0) {
    throw new StoreError("Corruption", `Cannot read blob ${where}: not an oxistore sidecar`);
  }
  const len = (buf[8]! | buf[9]! << 8 | buf[10]! << 16 | buf[11]! << 24) >>> 0;
  if (len < fixed || len > MAX_HEADER) {
    throw new StoreError(
      "Corruption",
      `Cannot read blob ${where}: header length ${len} is invalid`,
    );
  }
  return len;
}

/** The fixed length its magic announces (96 or 80 for format 1), or 0. */
function fixedLength(buf: Uint8Array): number {
  if (buf.length < 16) return 0;
  let ok = true;
  for (let i = 0; ok && i < MAGIC.length; i++) ok = buf[i] === MAGIC[i];
  if (ok) return FIXED;
  ok = true;
  for (let i = 0; ok && i < LEGACY_MAGIC.length; i++) ok = buf[i] === LEGACY_MAGIC[i];
  return ok ? LEGACY_FIXED : 0;
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
  const fixed = fixedLength(buf);
  const legacy = fixed === LEGACY_FIXED;
  const { contentType, metadata } = parseJsonPart(buf, fixed, headerLen, where);
  return {
    headerLen,
    legacy,
    ino: legacy ? 0 : view.getFloat64(80, true),
    fileMtime: legacy ? 0 : view.getFloat64(88, true),
    size: view.getUint32(16, true) + view.getUint32(20, true) * 2 ** 32,
    digest: toHex(buf.subarray(24, 56)),
    mtime: view.getFloat64(56, true),
    etag: toHex(buf.subarray(64, 80)),
    contentType,
    metadata,
  };
}

/** Whether a sidecar describes the content file with this stamp (undefined: none). */
export function describes(h: Header, stamp: ContentStamp | undefined): boolean {
  if (h.ino === -1) return stamp === undefined;
  return stamp !== undefined && stamp.ino === h.ino && stamp.size === h.size &&
    stamp.mtime === h.fileMtime;
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
