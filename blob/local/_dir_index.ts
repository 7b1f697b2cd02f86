/**
 * The listing index of a LocalBlobStore: one file per large directory of its
 * metadata tree, kept in the store's private `.oxistore/index/` area, holding
 * the sorted directory listing with every blob's raw sidecar, so a store
 * opened later can list the directory without opening each sidecar.
 *
 * An index is a cache of one moment. It is written only for a listing that
 * was still valid when saved — the directory's mtime then predated the read
 * by more than the clock slack — and records that mtime (and the directory's
 * inode). It is trusted on load only while the directory still has exactly
 * that mtime and inode: any blob write, overwrite, rename or delete in the
 * directory renames or unlinks one of its entries, which moves its mtime to
 * "now", later than the recorded one by more than the slack. A torn, foreign
 * or corrupt file fails the magic or SHA-256 check and is ignored.
 *
 * When the directory did change, the index still saves most of the work, as
 * git's index does: each blob's entry also records the file's inode, mtime,
 * ctime and size when its header was read. The store never modifies a blob
 * file in place (every write is a new file renamed over the old one), so a
 * file whose stamp still matches has that header — one `lstat` instead of an
 * open and a read. A file replaced since is another inode; an inode number
 * reused later belongs to a file written later, so its mtime differs unless
 * the recorded mtime is within the clock slack of the listing's read: such a
 * racily clean entry is never trusted. (Deno reports ctime in whole seconds
 * only, so it is compared but the mtime, in ms, carries the rule.)
 *
 * ```
 * 0   8  magic "OXIDIX03"
 * 8  32  SHA-256 of bytes [40, end)
 * 40  8  directory mtime, epoch ms (f64 LE)
 * 48  8  when the listing was read, epoch ms (f64 LE)
 * 56  8  directory inode (f64 LE, -1 if unknown)
 * 64  4  number of children N (u32 LE)
 * 68  4  length P of the directory path below the root (u32 LE)
 * 72  P  that path, UTF-8 ("" for the root, else "/a/b", escaped names)
 * …      N × { u8 kind (0 directory, 1 blob), u16 name length, name,
 *               blob only: u16 header length, header bytes,
 *               f64 file inode, f64 file mtime, f64 file ctime (epoch ms) }
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { entryToSegment } from "./_paths.ts";

const MAGIC = new TextEncoder().encode("OXIDIX03");
const FIXED = 72;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** One directory entry as the index keeps it. */
export interface IndexChild {
  rel: string;
  blob: boolean;
  name: string;
  /** Where the blob's raw header starts in its listing's {@link HeadArena}; -1 if unknown. */
  at: number;
  /** The blob file's inode, mtime and ctime (ms) when its header was read; -1 if unknown. */
  ino: number;
  mtime: number;
  ctime: number;
  /** Its entry in an older listing of the directory (see `_local_dir_cache.ts`); -1 if none. */
  hint: number;
}

/** A file's inode, mtime and ctime (ms) and size. */
export interface FileStamp {
  ino: number;
  mtime: number;
  ctime: number;
  size: number;
}

/** Fills `out` from a stat result; false if the platform lacks inode or times. */
export function fillStamp(st: Deno.FileInfo, out: FileStamp): boolean {
  const mtime = st.mtime?.getTime();
  const ctime = st.ctime?.getTime();
  if (st.ino === null || mtime === undefined || ctime === undefined) return false;
  out.ino = st.ino;
  out.mtime = mtime;
  out.ctime = ctime;
  out.size = st.size;
  return true;
}

/** The size of the sidecar file holding this header (the header is all of it). */
export function sidecarFileSize(head: Uint8Array): number {
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  return v.getUint32(8, true);
}

/**
 * Raw blob headers of one listing, packed in one buffer: far fewer objects
 * for the garbage collector than one array per blob.
 */
export class HeadArena {
  bytes: Uint8Array;
  used: number;

  constructor(bytes: Uint8Array = new Uint8Array(4096), used = 0) {
    this.bytes = bytes;
    this.used = used;
  }

  /** Appends a header; returns its offset. */
  add(head: Uint8Array): number {
    if (this.used + head.length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(2 * this.bytes.length, this.used + head.length));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    const at = this.used;
    this.bytes.set(head, at);
    this.used += head.length;
    return at;
  }

  /** The header at `at` (its length is in its bytes 8–11). */
  get(at: number): Uint8Array {
    const b = this.bytes;
    const len = (b[at + 8]! | b[at + 9]! << 8 | b[at + 10]! << 16 | b[at + 11]! << 24) >>> 0;
    return b.subarray(at, at + len);
  }
}

/** The bytes of an ASCII string (escaped names are), or undefined if it is not. */
function asciiBytes(s: string): Uint8Array | undefined {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return undefined;
    out[i] = c;
  }
  return out;
}

// Escaped names are ASCII; String.fromCharCode avoids a decoder call per name.
function asciiOrUtf8(bytes: Uint8Array, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    if (bytes[i]! >= 0x80) return decoder.decode(bytes.subarray(start, end));
  }
  return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash("sha256").update(bytes).digest();
}

/** The index file of a directory (`rel` is its path below the metadata root). */
export function indexPath(indexDir: string, rel: string): string {
  const name = createHash("sha256").update(rel).digest("hex").slice(0, 32);
  return join(indexDir, name);
}

/** The directory's mtime and inode, or undefined when it cannot be stat'ed. */
export function dirStamp(dir: string): { mtime: number; ino: number } | undefined {
  try {
    const st = Deno.statSync(dir);
    const mtime = st.mtime?.getTime();
    return mtime === undefined ? undefined : { mtime, ino: st.ino ?? -1 };
  } catch {
    return undefined;
  }
}

/** Encodes a complete listing (every blob with its head) into index bytes. */
export function encodeIndex(
  rel: string,
  children: readonly IndexChild[],
  arena: HeadArena,
  readAt: number,
  stamp: { mtime: number; ino: number },
): Uint8Array {
  const relBytes = encoder.encode(rel);
  const names = children.map((c) => asciiBytes(c.name) ?? encoder.encode(c.name));
  const heads = children.map((c) => c.blob ? arena.get(c.at) : undefined);
  let size = FIXED + relBytes.length;
  for (const [i, c] of children.entries()) {
    size += 3 + names[i]!.length + (c.blob ? 26 + heads[i]!.length : 0);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setFloat64(40, stamp.mtime, true);
  view.setFloat64(48, readAt, true);
  view.setFloat64(56, stamp.ino, true);
  view.setUint32(64, children.length, true);
  view.setUint32(68, relBytes.length, true);
  out.set(relBytes, FIXED);
  let at = FIXED + relBytes.length;
  for (const [i, c] of children.entries()) {
    const name = names[i]!;
    out[at] = c.blob ? 1 : 0;
    view.setUint16(at + 1, name.length, true);
    out.set(name, at + 3);
    at += 3 + name.length;
    if (c.blob) {
      const head = heads[i]!;
      view.setUint16(at, head.length, true);
      out.set(head, at + 2);
      at += 2 + head.length;
      view.setFloat64(at, c.ino, true);
      view.setFloat64(at + 8, c.mtime, true);
      view.setFloat64(at + 16, c.ctime, true);
      at += 24;
    }
  }
  out.set(sha256(out.subarray(40)), 8);
  return out;
}

/**
 * Parses index bytes for directory `rel`; undefined when they are not a
 * whole, well-formed index of that directory. Trust is decided by the caller.
 */
export function decodeIndex(
  bytes: Uint8Array,
  rel: string,
):
  | { children: IndexChild[]; arena: HeadArena; readAt: number; mtime: number; ino: number }
  | undefined {
  if (bytes.length < FIXED || MAGIC.some((b, i) => bytes[i] !== b)) return undefined;
  const sum = sha256(bytes.subarray(40));
  if (sum.some((b, i) => bytes[8 + i] !== b)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mtime = view.getFloat64(40, true);
  const readAt = view.getFloat64(48, true);
  const ino = view.getFloat64(56, true);
  const count = view.getUint32(64, true);
  const relLen = view.getUint32(68, true);
  let at = FIXED + relLen;
  if (at > bytes.length) return undefined;
  if (decoder.decode(bytes.subarray(FIXED, at)) !== rel) return undefined;
  const children: IndexChild[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 3 > bytes.length) return undefined;
    const blob = bytes[at] === 1;
    const nameLen = view.getUint16(at + 1, true);
    at += 3;
    if (at + nameLen > bytes.length) return undefined;
    const name = asciiOrUtf8(bytes, at, at + nameLen);
    at += nameLen;
    const parsed = entryToSegment(name, blob, !blob);
    if (!parsed) return undefined;
    const rel = blob ? parsed.seg : parsed.seg + "/";
    const child: IndexChild = { rel, blob, name, at: -1, ino: -1, mtime: -1, ctime: -1, hint: -1 };
    if (blob) {
      if (at + 2 > bytes.length) return undefined;
      const headLen = view.getUint16(at, true);
      at += 2;
      // The arena reads a header's length from the header itself: it must agree.
      if (at + headLen > bytes.length || headLen < 16 || view.getUint32(at + 8, true) !== headLen) {
        return undefined;
      }
      child.at = at;
      at += headLen;
      if (at + 24 > bytes.length) return undefined;
      child.ino = view.getFloat64(at, true);
      child.mtime = view.getFloat64(at + 8, true);
      child.ctime = view.getFloat64(at + 16, true);
      at += 24;
    }
    children.push(child);
  }
  if (at !== bytes.length) return undefined;
  return { children, arena: new HeadArena(bytes, bytes.length), readAt, mtime, ino };
}
