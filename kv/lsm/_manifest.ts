// The manifest: which tables form each level, the next file number and the
// oldest WAL still needed. Rewritten whole (temp file + rename) after every
// flush or compaction, so a crash leaves either the old or the new one.
import { StoreError } from "../../core/error.ts";
import { ByteReader, ByteWriter, getU32, putU32 } from "./_coding.ts";
import type { TableMeta } from "./_table_writer.ts";
import { xxhash32 as checksum } from "../../core/xxhash32.ts";

/** The manifest's file name. */
export const MANIFEST_NAME = "MANIFEST";
/** First bytes of a manifest. */
export const MANIFEST_MAGIC = "OXLSMMAN";
/** Format version of the whole store (manifest, tables, WAL). */
export const FORMAT_VERSION = 1;

const HEADER = 20;
const MAGIC_BYTES = new TextEncoder().encode(MANIFEST_MAGIC);

/** The durable state of the tree. */
export interface ManifestState {
  nextFile: number;
  logNumber: number;
  levels: TableMeta[][];
  /**
   * Counts manifest edits (0 in manifests written before there was one):
   * other openers compare it to learn of a new manifest, and a file an edit
   * made obsolete waits until no opener still reads an older edit.
   */
  edit: number;
}

/** Serialises a manifest. */
export function encodeManifest(m: ManifestState): Uint8Array {
  const w = new ByteWriter(1024);
  w.varint(m.nextFile);
  w.varint(m.logNumber);
  w.varint(m.levels.length);
  for (const level of m.levels) {
    w.varint(level.length);
    for (const t of level) {
      w.varint(t.number);
      w.varint(t.size);
      w.varint(t.entries);
      w.varint(t.smallest.length);
      w.bytes(t.smallest);
      w.varint(t.largest.length);
      w.bytes(t.largest);
    }
  }
  w.varint(m.edit);
  const payload = w.view();
  const out = new Uint8Array(HEADER + payload.length);
  out.set(MAGIC_BYTES);
  putU32(out, 8, FORMAT_VERSION);
  putU32(out, 12, payload.length);
  putU32(out, 16, checksum(payload));
  out.set(payload, HEADER);
  return out;
}

/** True when `bytes` start like a manifest (magic bytes). */
export function hasManifestMagic(bytes: Uint8Array): boolean {
  if (bytes.length < HEADER) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== MAGIC_BYTES[i]) return false;
  return true;
}

/** Parses and verifies a manifest; anything wrong is `Corruption`. */
export function decodeManifest(bytes: Uint8Array, where: string): ManifestState {
  const bad = (why: string, cause?: unknown) =>
    new StoreError("Corruption", `Cannot read manifest of LSM store at ${where}: ${why}`, {
      cause,
    });
  if (!hasManifestMagic(bytes)) throw bad("not an oxistore LSM manifest (bad magic bytes)");
  const version = getU32(bytes, 8);
  if (version !== FORMAT_VERSION) throw bad(`unsupported format version ${version}`);
  const len = getU32(bytes, 12);
  if (HEADER + len !== bytes.length) throw bad("length mismatch (truncated file?)");
  const payload = bytes.subarray(HEADER);
  if (checksum(payload) !== getU32(bytes, 16)) throw bad("checksum mismatch");
  try {
    const r = new ByteReader(payload);
    const nextFile = r.varint();
    const logNumber = r.varint();
    const nLevels = r.varint();
    if (nLevels > 16) throw new RangeError("too many levels");
    const levels: TableMeta[][] = [];
    for (let l = 0; l < nLevels; l++) {
      const n = r.varint();
      const level: TableMeta[] = [];
      for (let i = 0; i < n; i++) {
        const number = r.varint();
        const size = r.varint();
        const entries = r.varint();
        const smallest = r.bytes(r.varint()).slice();
        const largest = r.bytes(r.varint()).slice();
        level.push({ number, size, entries, smallest, largest });
      }
      levels.push(level);
    }
    const edit = r.done ? 0 : r.varint();
    if (!r.done) throw new RangeError("trailing bytes");
    return { nextFile, logNumber, levels, edit };
  } catch (err) {
    throw bad("undecodable contents", err);
  }
}
