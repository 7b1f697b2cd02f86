/**
 * How a LocalBlobStore change reaches the disk so that a crash at any point
 * never pairs content with metadata that does not describe it, and how a
 * reader decides which sidecar holds.
 *
 * A change (put, delete, rename, copy) of some keys, under their key locks:
 * 1. for each key, the new sidecar (a tombstone for a key going away) is
 *    written to a temp file, fsynced, and renamed to `<key>~next`; the
 *    metadata directories are fsynced;
 * 2. the content moves: a temp file renamed to `<root>/<key>`, or unlinked;
 *    the content directory is fsynced (the change is durable from here);
 * 3. each `~next` is renamed over `~blob` (a tombstone removes both: the
 *    `~blob` durably first, then the `~next`).
 *
 * Step 3's rename is not fsynced on its own: the next change of the key
 * fsyncs the metadata directory before its step 1 replaces `~next`, since a
 * disk may apply the renames of one directory in any order.
 *
 * Every sidecar records the inode, size and mtime of the content file it
 * describes (the store never writes a content file in place: renames keep
 * all three). A reader takes the pending sidecar if it describes the content
 * on disk (step 2 happened), else the settled one if it does (step 2 did
 * not), so a crash between any two steps shows the old blob or the new one,
 * whole. A content file no sidecar describes (changed by another program, or
 * the store copied elsewhere) is hashed again: same digest, its metadata is
 * kept; another, it becomes a blob with no metadata and a new etag. A
 * content file with no sidecar at all is not a blob of the store.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { StoreError } from "../../core/error.ts";
import { Digest } from "../digest.ts";
import { type ContentStamp, decodeHeader, describes, type Header } from "./_sidecar.ts";
import { type LocalLayout, lstatOrUndefined, type Place } from "./_layout.ts";
import { readSidecarSync, restamped, sidecarBytes, stampOf, writeSidecarTemp } from "./_io.ts";
import { type LocalFs, syncDir } from "./_fs.ts";

/** One key's side of a change: its new sidecar bytes (a tombstone to delete it). */
export interface Change {
  place: Place;
  sidecar: Uint8Array;
  tombstone: boolean;
  /** A temp file already holding `sidecar`, flushed (else one is written here). */
  ready?: string | undefined;
}

/** What a reader found for a key. */
export interface Found {
  /** The blob's header, or undefined when the key has no blob. */
  header: Header | undefined;
  /** The content file's stamp, if there is one. */
  stamp: ContentStamp | undefined;
  /** Whether the disk needs tidying (a pending sidecar to settle or a stale one). */
  unsettled: boolean;
  /** The header was made by hashing the content again (no sidecar described it). */
  rehashed: boolean;
}

/** Runs steps 1–3 for `changes`; `move` is step 2. Callers hold the keys' locks. */
export async function commit(
  layout: LocalLayout,
  tempPath: () => string,
  changes: Change[],
  move: () => Promise<void>,
): Promise<void> {
  const fs = layout.fs;
  const metaDirs = new Set<string>();
  // The rename that settled this key's last change (`~next` over `~blob`, step 3) is not
  // fsynced: if the disk applied our new `~next` before it, a power cut would leave the old
  // `~blob` and a `~next` that describes content not yet moved, and the blob would be lost.
  // So a key with a settled sidecar gets its directory fsynced before `~next` is replaced.
  const settled = new Set<string>();
  for (const c of changes) {
    if (lstatOrUndefined(c.place.sidecar) !== undefined) settled.add(c.place.metaDir);
  }
  for (const dir of settled) await syncDir(fs, dir);
  for (const c of changes) {
    const tmp = c.ready ?? tempPath();
    if (c.ready === undefined) await writeSidecarTemp(fs, tmp, c.sidecar);
    try {
      await fs.rename(tmp, c.place.next);
    } catch (err) {
      await fs.remove(tmp).catch(() => {});
      throw err;
    }
    metaDirs.add(c.place.metaDir);
  }
  for (const dir of metaDirs) await syncDir(fs, dir);
  await move();
  const gone = changes.filter((c) => c.tombstone).map((c) => c.place);
  for (const c of changes) {
    if (!c.tombstone) await fs.rename(c.place.next, c.place.sidecar);
  }
  // Only a removal needs this: a lost rename of ~next leaves a ~next that still holds.
  if (gone.length > 0) await dropSidecars(fs, gone);
}

/**
 * Removes the sidecars of keys that have no content any more: every `~blob`
 * first, durably, and only then the `~next` tombstones. The disk may apply
 * the unlinks of one directory in any order, and a `~blob` left without its
 * `~next` would be listed (listing trusts settled sidecars) while reads give
 * NotFound.
 */
async function dropSidecars(fs: LocalFs, places: Place[]): Promise<void> {
  const dirs = new Set(places.map((p) => p.metaDir));
  let removed = false;
  for (const p of places) {
    removed = await fs.remove(p.sidecar).then(() => true, ignoreMissing) || removed;
  }
  if (removed) { for (const dir of dirs) await syncDir(fs, dir); }
  // Not fsynced: a tombstone that comes back reads, lists and settles as no blob.
  for (const p of places) await fs.remove(p.next).catch(ignoreMissing);
}

function ignoreMissing(err: unknown): false {
  if (!(err instanceof Deno.errors.NotFound)) throw err;
  return false;
}

function readSidecar(path: string, where: string): Header | undefined {
  // Sidecars are fsynced before they are renamed into place: a bad one is damage, not a
  // crash's leftover, and is reported (Corruption) rather than guessed around.
  return readSidecarSync(path, where);
}

/** The content file's stamp (undefined if there is none; a symlink is refused). */
export function contentStamp(p: Place): ContentStamp | undefined {
  const st = lstatOrUndefined(p.content);
  if (st === undefined || st.isDirectory) return undefined;
  if (st.isSymlink) {
    throw new StoreError("Corruption", `Refusing ${JSON.stringify(p.key)}: it is a symlink`);
  }
  return stampOf(st);
}

/** Hashes a content file synchronously, in chunks. */
function hashFileSync(path: string): Digest {
  const hash = createHash("sha256");
  const file = Deno.openSync(path, { read: true });
  try {
    const buf = new Uint8Array(1 << 20);
    for (;;) {
      const n = file.readSync(buf);
      if (n === null || n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    file.close();
  }
  return Digest.fromHex(hash.digest("hex"));
}

/**
 * The blob at `p` as the disk holds it now, without changing anything.
 * `stamp` may be passed when the caller has the open content file's stat.
 */
export function findBlob(p: Place, stamp: ContentStamp | undefined = contentStamp(p)): Found {
  const where = `${JSON.stringify(p.key)}`;
  const settled = readSidecar(p.sidecar, where);
  const pending = readSidecar(p.next, where);
  if (pending && describes(pending, stamp)) {
    return { header: live(pending), stamp, unsettled: true, rehashed: false };
  }
  if (settled && describes(settled, stamp)) {
    return { header: live(settled), stamp, unsettled: pending !== undefined, rehashed: false };
  }
  if (stamp === undefined) {
    return { header: undefined, stamp, unsettled: !!(settled || pending), rehashed: false };
  }
  if (!settled) {
    // Content no sidecar claims: not a blob of this store.
    return { header: undefined, stamp, unsettled: false, rehashed: false };
  }
  const digest = hashFileSync(p.content);
  const same = digest.hex === settled.digest && stamp.size === settled.size;
  const bytes = same
    ? restamped(settled, stamp)
    : sidecarBytes(stamp.size, digest, stamp, undefined, {}, undefined, stamp.mtime);
  return { header: decodeHeader(bytes, where, true), stamp, unsettled: true, rehashed: true };
}

function live(h: Header): Header | undefined {
  return h.ino === -1 ? undefined : h;
}

/**
 * Brings the key's sidecars in line with its content (callers hold its
 * lock): settles a pending sidecar that holds, drops one that does not,
 * writes the sidecar a rehash made.
 */
export async function settle(
  layout: LocalLayout,
  tempPath: () => string,
  p: Place,
): Promise<Found> {
  const found = findBlob(p);
  if (!found.unsettled) return found;
  const fs = layout.fs;
  const pending = readSidecar(p.next, p.key);
  if (found.header === undefined) {
    await dropSidecars(fs, [p]);
  } else if (found.rehashed) {
    const tmp = tempPath();
    await writeSidecarTemp(
      fs,
      tmp,
      restamped(found.header, found.stamp!, undefined),
    );
    await fs.rename(tmp, p.sidecar);
    await fs.remove(p.next).catch(ignoreMissing);
  } else if (pending && found.header.etag === pending.etag && describes(pending, found.stamp)) {
    // The content's move (step 2) may not be durable yet (its directory fsync failed, or a
    // crash came first): make it so before the old sidecar goes, or a power cut could leave
    // the old content with only the new sidecar, which does not describe it. If that fsync
    // fails too, leave both sidecars: the reader's answer holds either way.
    const durable = await syncDir(fs, p.contentDir).then(() => true, () => false);
    if (!durable) return found;
    await fs.rename(p.next, p.sidecar);
  } else {
    await fs.remove(p.next).catch(ignoreMissing);
  }
  // Not fsynced: undone by a power cut, each of these leaves sidecars that read the same and
  // settle again; and the next change of the key fsyncs this directory before it writes.
  return { ...found, unsettled: false };
}
