/**
 * How LocalBlobStore names the sidecars of its metadata tree (the content
 * files carry the key as it is). Each key segment is percent-escaped
 * so that only `[A-Za-z0-9._-+=@,]` stay as they are (a trailing `.` is escaped
 * too, for file systems that drop it); directories carry the escaped segment,
 * blob files add {@link BLOB_SUFFIX}. Because `~` is always escaped, names with
 * a raw `~` are never keys — the store's own `~tmp`, `~lock` live beside them,
 * and a key `a` (file `a~blob`) can coexist with `a/b` (directory `a`).
 *
 * @module
 */
import { StoreError } from "../../core/error.ts";

/** Suffix of sidecar files. */
export const BLOB_SUFFIX = "~blob";
/** Suffix of a pending sidecar: the metadata of a write not finished yet (or cut by a crash). */
export const NEXT_SUFFIX = "~next";
/** Longest file name most file systems allow, in bytes. */
const NAME_MAX = 255;

const KEEP = /^[A-Za-z0-9._\-+=@,]$/;
const PLAIN = /^[A-Za-z0-9._\-+=@,]+$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Escapes one key segment into a file-name-safe form. */
export function escapeSegment(seg: string): string {
  let out = "";
  const bytes = encoder.encode(seg);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const ch = String.fromCharCode(b);
    const last = i === bytes.length - 1;
    if (b < 0x80 && KEEP.test(ch) && !(last && ch === ".")) out += ch;
    else out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** Reverses {@link escapeSegment}; undefined for names this store did not make. */
export function unescapeSegment(name: string): string | undefined {
  if (PLAIN.test(name) && !name.endsWith(".")) return name; // nothing escaped
  if (name === "" || name.includes("~")) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    if (ch === "%") {
      const hex = name.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (KEEP.test(ch)) bytes.push(ch.charCodeAt(0));
    else return undefined;
  }
  try {
    const seg = decoder.decode(new Uint8Array(bytes));
    return escapeSegment(seg) === name ? seg : undefined;
  } catch {
    return undefined;
  }
}

/** Escaped directory names and the blob file name of a (valid) key. */
export function keyToParts(key: string, op: string): { dirs: string[]; file: string } {
  const segs = key.split("/");
  const last = segs.pop()!;
  const dirs = segs.map(escapeSegment);
  const file = escapeSegment(last) + BLOB_SUFFIX;
  for (const name of [...dirs, file]) {
    if (encoder.encode(name).length > NAME_MAX) {
      throw new StoreError(
        "InvalidInput",
        `Cannot ${op}: a segment of key ${JSON.stringify(key.slice(0, 80))} is too long for ` +
          `a file name once escaped (${NAME_MAX} bytes)`,
      );
    }
  }
  return { dirs, file };
}

/**
 * The key segment a metadata-tree entry stands for, whether it is a blob's
 * sidecar, and whether it is a pending one (`~next`).
 */
export function entryToSegment(
  name: string,
  isFile: boolean,
  isDirectory: boolean,
): { seg: string; blob: boolean; pending?: boolean } | undefined {
  if (isFile && name.endsWith(BLOB_SUFFIX)) {
    const seg = unescapeSegment(name.slice(0, -BLOB_SUFFIX.length));
    return seg === undefined ? undefined : { seg, blob: true };
  }
  if (isFile && name.endsWith(NEXT_SUFFIX)) {
    const seg = unescapeSegment(name.slice(0, -NEXT_SUFFIX.length));
    return seg === undefined ? undefined : { seg, blob: true, pending: true };
  }
  if (isDirectory) {
    const seg = unescapeSegment(name);
    return seg === undefined ? undefined : { seg, blob: false };
  }
  return undefined;
}
