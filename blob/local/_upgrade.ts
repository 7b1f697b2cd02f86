/**
 * The one-time upgrade of a format-1 LocalBlobStore (each blob one
 * `<escaped key>~blob` file: an `OXIBLOB1` header, then the content) to
 * format 2 (the content as the plain file `<root>/<key>`, its metadata in a
 * sidecar). It runs when such a store is opened, under a lock, one blob at a
 * time through the normal commit, so a crash midway leaves every blob
 * readable in one format or the other and the next open carries on. Digests,
 * etags, content types, metadata and last-modified times are kept.
 *
 * @module
 */
import { join } from "node:path";
import { StoreError } from "../../core/error.ts";
import { commit } from "./_commit.ts";
import { ContentWriter, hexBytes, readFull, sidecarBytes } from "./_io.ts";
import type { LocalLayout } from "./_layout.ts";
import { BLOB_SUFFIX, unescapeSegment } from "./_paths.ts";
import { decodeHeader, HEADER_PROBE, headerLength } from "./_sidecar.ts";

/** The marker file of a format-1 root. */
export const LEGACY_MARKER = "~oxistore-blob";
const LEGACY_DIRS = ["~tmp", "~lock", "~index"];
const FORMAT_FILE = "format";
const FORMAT_TEXT = "oxistore local blob store, format 2\n";

/** Whether the root is a format-1 store not upgraded yet. */
export async function needsUpgrade(layout: LocalLayout): Promise<boolean> {
  const marker = await Deno.readTextFile(join(layout.real, LEGACY_MARKER)).catch(() => "");
  if (!marker.startsWith("oxistore local blob store, format 1")) return false;
  return !await Deno.stat(join(layout.private, FORMAT_FILE)).then(() => true, () => false);
}

/**
 * Writes the format file of a new (or just upgraded) store. Not fsynced: a
 * power cut that loses it loses nothing — a new store writes it again at
 * open, and an upgrade whose format file is lost while the format-1 marker
 * stays runs again, finding every blob upgraded already.
 */
export async function markFormat(layout: LocalLayout, tempPath: () => string): Promise<void> {
  const path = join(layout.private, FORMAT_FILE);
  if (await Deno.stat(path).then(() => true, () => false)) return;
  const tmp = tempPath();
  await Deno.writeTextFile(tmp, FORMAT_TEXT);
  await layout.fs.rename(tmp, path);
}

/** Every format-1 blob file under `dir`, with its key, depth first. */
async function* legacyBlobs(
  dir: string,
  keyPrefix: string,
  top: boolean,
): AsyncGenerator<{ path: string; key: string; dir: string }> {
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
  for (const e of entries) {
    if (top && e.name === ".oxistore") continue;
    if (e.isFile && e.name.endsWith(BLOB_SUFFIX)) {
      const seg = unescapeSegment(e.name.slice(0, -BLOB_SUFFIX.length));
      if (seg !== undefined) yield { path: join(dir, e.name), key: keyPrefix + seg, dir };
    } else if (e.isDirectory) {
      const seg = unescapeSegment(e.name);
      if (seg !== undefined) yield* legacyBlobs(join(dir, e.name), `${keyPrefix}${seg}/`, false);
    }
  }
}

async function readLegacyHeader(file: Deno.FsFile, where: string) {
  const probe = new Uint8Array(HEADER_PROBE);
  const got = await readFull(file, probe);
  const len = headerLength(probe.subarray(0, got), where);
  let bytes = probe.subarray(0, got);
  if (len > got) {
    bytes = new Uint8Array(len);
    bytes.set(probe.subarray(0, got));
    await readFull(file, bytes.subarray(got));
  }
  const h = decodeHeader(bytes.subarray(0, len), where);
  if (!h.legacy) {
    throw new StoreError("Corruption", `Cannot upgrade blob ${where}: not a format-1 blob file`);
  }
  return h;
}

/** Converts one format-1 blob file. */
async function upgradeBlob(
  layout: LocalLayout,
  tempPath: () => string,
  old: { path: string; key: string },
): Promise<void> {
  const op = "upgrade local blob store";
  const p = layout.place(old.key, op);
  const file = await Deno.open(old.path, { read: true });
  const writer = await ContentWriter.create(layout.fs, tempPath());
  let header;
  try {
    header = await readLegacyHeader(file, `${JSON.stringify(old.key)} in ${layout.real}`);
    await file.seek(header.headerLen, Deno.SeekMode.Start);
    const buf = new Uint8Array(1 << 20);
    for (;;) {
      const n = await file.read(buf);
      if (n === null) break;
      await writer.write(buf.slice(0, n));
    }
  } catch (err) {
    await writer.discard(layout.fs);
    throw err;
  } finally {
    file.close();
  }
  const written = await writer.finish();
  if (written.size !== header.size || written.digest.hex !== header.digest) {
    await writer.discard(layout.fs);
    throw new StoreError(
      "Corruption",
      `Cannot ${op}: blob ${JSON.stringify(old.key)} does not match its header (size or digest)`,
    );
  }
  const etag = hexBytes(header.etag);
  const sidecar = sidecarBytes(
    written.size,
    written.digest,
    written.stamp,
    header.contentType,
    header.metadata,
    etag,
    header.mtime,
  );
  try {
    await layout.prepare(p, op);
    await commit(layout, tempPath, [{ place: p, sidecar, tombstone: false }], async () => {
      await layout.moveContent(written.path, p);
    });
  } catch (err) {
    await layout.fs.remove(written.path).catch(() => {});
    throw err;
  }
  await layout.fs.remove(old.path);
}

/**
 * Upgrades a format-1 store in place (callers hold the upgrade lock), then
 * removes format 1's private files.
 */
export async function upgrade(layout: LocalLayout, tempPath: () => string): Promise<number> {
  let n = 0;
  const dirs = new Set<string>();
  for await (const old of legacyBlobs(layout.real, "", true)) {
    await upgradeBlob(layout, tempPath, old);
    if (old.dir !== layout.real) dirs.add(old.dir);
    n++;
  }
  // Directories of escaped names that differ from the key's (a%20b vs "a b") are empty now.
  for (const dir of [...dirs].sort().reverse()) {
    await Deno.remove(dir).catch(() => {});
  }
  await markFormat(layout, tempPath);
  for (const name of LEGACY_DIRS) {
    await Deno.remove(join(layout.real, name), { recursive: true }).catch(() => {});
  }
  // Not fsynced either: a marker that comes back with no format file reruns a finished upgrade.
  await layout.fs.remove(join(layout.real, LEGACY_MARKER));
  return n;
}
