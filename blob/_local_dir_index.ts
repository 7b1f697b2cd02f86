/**
 * The listing index of a LocalBlobStore: one file per large directory, kept
 * in the store's private `~index/` area (never a key), holding the sorted
 * directory listing with every blob's raw header, so a store opened later can
 * list the directory without opening each blob.
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
 * ```
 * 0   8  magic "OXIDIX01"
 * 8  32  SHA-256 of bytes [40, end)
 * 40  8  directory mtime, epoch ms (f64 LE)
 * 48  8  when the listing was read, epoch ms (f64 LE)
 * 56  8  directory inode (f64 LE, -1 if unknown)
 * 64  4  number of children N (u32 LE)
 * 68  4  length P of the directory path below the root (u32 LE)
 * 72  P  that path, UTF-8 ("" for the root, else "/a/b", escaped names)
 * …      N × { u8 kind (0 directory, 1 blob), u16 name length, name,
 *               blob only: u16 header length, header bytes }
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { entryToSegment } from "./_local_paths.ts";

const MAGIC = new TextEncoder().encode("OXIDIX01");
const FIXED = 72;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Name of the store's private directory holding index files. */
export const INDEX_DIR = "~index";

/** One directory entry as the index keeps it. */
export interface IndexChild {
  rel: string;
  blob: boolean;
  name: string;
  /** Raw header bytes (blobs only). */
  head?: Uint8Array | undefined;
}

/** A loaded (and trusted) index. */
export interface LoadedIndex {
  children: IndexChild[];
  readAt: number;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash("sha256").update(bytes).digest();
}

/** The index file of a directory (`rel` is its path below the root). */
export function indexPath(root: string, rel: string): string {
  const name = createHash("sha256").update(rel).digest("hex").slice(0, 32);
  return join(root, INDEX_DIR, name);
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
  readAt: number,
  stamp: { mtime: number; ino: number },
): Uint8Array {
  const relBytes = encoder.encode(rel);
  const names = children.map((c) => encoder.encode(c.name));
  let size = FIXED + relBytes.length;
  for (const [i, c] of children.entries()) {
    size += 3 + names[i]!.length + (c.blob ? 2 + c.head!.length : 0);
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
      view.setUint16(at, c.head!.length, true);
      out.set(c.head!, at + 2);
      at += 2 + c.head!.length;
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
): { children: IndexChild[]; readAt: number; mtime: number; ino: number } | undefined {
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
    const name = decoder.decode(bytes.subarray(at, at + nameLen));
    at += nameLen;
    const parsed = entryToSegment(name, blob, !blob);
    if (!parsed) return undefined;
    const child: IndexChild = { rel: blob ? parsed.seg : parsed.seg + "/", blob, name };
    if (blob) {
      if (at + 2 > bytes.length) return undefined;
      const headLen = view.getUint16(at, true);
      at += 2;
      if (at + headLen > bytes.length) return undefined;
      child.head = bytes.subarray(at, at + headLen);
      at += headLen;
    }
    children.push(child);
  }
  return at === bytes.length ? { children, readAt, mtime, ino } : undefined;
}
