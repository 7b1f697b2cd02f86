/**
 * File I/O of LocalBlobStore: content written to a temp file (hashed while
 * written, then fsynced, its stamp taken from the open file), sidecars
 * written and read, and the synchronous sidecar read that listing uses.
 *
 * @module
 */
import { StoreError } from "../../core/error.ts";
import { Digest, Sha256Hasher } from "../digest.ts";
import {
  type ContentStamp,
  decodeHeader,
  encodeHeader,
  encodeJson,
  type Header,
  HEADER_PROBE,
  headerLength,
  randomEtag,
} from "./_sidecar.ts";
import { type FileStamp, fillStamp } from "./_dir_index.ts";
import type { LocalFs, WritableFile } from "./_fs.ts";

/** Writes every byte (a write may write fewer). */
export async function writeAll(file: WritableFile, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await file.write(bytes.subarray(at));
}

/** Writes every byte synchronously (small writes: no thread pool hop). */
export function writeAllSync(file: WritableFile, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += file.writeSync(bytes.subarray(at));
}

/** Reads exactly `buf.length` bytes or fewer at end of file; returns how many. */
export async function readFull(file: Deno.FsFile, buf: Uint8Array): Promise<number> {
  let at = 0;
  while (at < buf.length) {
    const n = await file.read(buf.subarray(at));
    if (n === null) break;
    at += n;
  }
  return at;
}

/** The stamp of a file from its stat (ms times). */
export function stampOf(st: Deno.FileInfo): ContentStamp {
  return { ino: st.ino ?? 0, size: st.size, mtime: st.mtime?.getTime() ?? 0 };
}

/** What a finished content temp file holds. */
export interface WrittenContent {
  path: string;
  size: number;
  digest: Digest;
  stamp: ContentStamp;
}

/**
 * Content being written to a temp file: nothing about it is visible under
 * any key until the store publishes it.
 */
export class ContentWriter {
  #hasher = new Sha256Hasher();
  #size = 0;
  #file: WritableFile | undefined;

  private constructor(readonly path: string, file: WritableFile) {
    this.#file = file;
  }

  /** Creates the temp file (exclusively). */
  static async create(fs: LocalFs, path: string): Promise<ContentWriter> {
    return new ContentWriter(path, await fs.createNew(path));
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#size;
  }

  /** Appends content. */
  async write(chunk: Uint8Array): Promise<void> {
    if (!this.#file) throw new StoreError("Closed", "Cannot write blob: the temp file is closed");
    if (chunk.length === 0) return;
    const writing = writeAll(this.#file, chunk);
    this.#hasher.update(chunk); // overlaps with the write
    await writing;
    this.#size += chunk.length;
  }

  /** fdatasyncs and closes; returns size, digest and the file's stamp. */
  async finish(): Promise<WrittenContent> {
    const file = this.#file;
    if (!file) throw new StoreError("Closed", "Cannot finish blob: the temp file is closed");
    this.#file = undefined;
    try {
      await file.syncData();
      // Taken after the last write: renames keep inode and mtime.
      const stamp = stampOf(await file.stat());
      return { path: this.path, size: this.#size, digest: this.#hasher.digest(), stamp };
    } finally {
      file.close();
    }
  }

  /**
   * Finishes the content and its sidecar together: the sidecar, made from
   * the content's size, digest and stamp (which a flush does not change), is
   * written to `sidecarPath` and flushed while the content is flushed; both
   * are durable when this resolves.
   */
  async finishWithSidecar(
    fs: LocalFs,
    sidecarPath: string,
    sidecarOf: (written: WrittenContent) => Uint8Array,
  ): Promise<{ written: WrittenContent; sidecar: Uint8Array }> {
    const file = this.#file;
    if (!file) throw new StoreError("Closed", "Cannot finish blob: the temp file is closed");
    this.#file = undefined;
    try {
      const stamp = stampOf(await file.stat());
      const written = { path: this.path, size: this.#size, digest: this.#hasher.digest(), stamp };
      const sidecar = sidecarOf(written);
      await Promise.all([file.syncData(), writeSidecarTemp(fs, sidecarPath, sidecar)]);
      return { written, sidecar };
    } finally {
      file.close();
    }
  }

  /** Closes and removes the temp file; safe to call more than once. */
  async discard(fs: LocalFs): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    if (file) {
      try {
        file.close();
      } catch {
        // already closed
      }
    }
    await fs.remove(this.path).catch(() => {});
  }
}

/** A sidecar's bytes for content with this size, digest and stamp. */
export function sidecarBytes(
  size: number,
  digest: Digest,
  stamp: ContentStamp,
  contentType: string | undefined,
  metadata: Record<string, string>,
  etag: Uint8Array = randomEtag(),
  mtime: number = Date.now(),
): Uint8Array {
  return encodeHeader(encodeJson(contentType, metadata), size, digest, mtime, etag, stamp);
}

/** The same metadata, content type and etag as `h`, describing the content `stamp`. */
export function restamped(h: Header, stamp: ContentStamp, etag?: Uint8Array): Uint8Array {
  return sidecarBytes(
    h.size,
    Digest.fromHex(h.digest),
    stamp,
    h.contentType,
    h.metadata,
    etag ?? hexBytes(h.etag),
    etag ? Date.now() : h.mtime,
  );
}

/** Bytes of a hex string (an etag). */
export function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Writes sidecar bytes to a new temp file and fsyncs it. */
export async function writeSidecarTemp(
  fs: LocalFs,
  path: string,
  bytes: Uint8Array,
): Promise<void> {
  const file = await fs.createNew(path);
  try {
    writeAllSync(file, bytes);
    await file.syncData();
  } catch (err) {
    file.close();
    await fs.remove(path).catch(() => {});
    throw err;
  } finally {
    try {
      file.close();
    } catch {
      // closed above
    }
  }
}

/** The sidecar at `path`, or undefined if there is none (unreadable bytes are Corruption). */
export function readSidecarSync(path: string, where: string): Header | undefined {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw err;
  }
  return decodeHeader(bytes, where);
}

const syncProbe = new Uint8Array(HEADER_PROBE);

/**
 * Reads the raw bytes of a sidecar synchronously (one open, usually one
 * read), checking only the magic and length; `decodeHeader` checks the rest.
 * Listing uses it in short batches, since per-file async ops cost several
 * times more. The bytes may be a shared buffer: valid until the next call.
 * `stamp`, if given, receives the file's inode, ctime and size.
 */
export function readHeadSync(path: string, where: string, stamp?: FileStamp): Uint8Array {
  const file = Deno.openSync(path, { read: true });
  try {
    // The stamp of the very file read (not of whatever the path names later).
    if (stamp && !fillStamp(file.statSync(), stamp)) stamp.ino = -1;
    const probe = syncProbe; // safe to share: nothing awaits while it is in use
    let got = 0;
    for (;;) {
      const n = file.readSync(probe.subarray(got));
      if (n === null || n === 0) break;
      got += n;
      if (got >= 16 && got >= Math.min(headerLength(probe, where), HEADER_PROBE)) break;
    }
    const len = headerLength(probe.subarray(0, got), where);
    if (len <= got) return probe.subarray(0, len);
    const whole = new Uint8Array(len);
    whole.set(probe.subarray(0, got));
    while (got < len) {
      const n = file.readSync(whole.subarray(got));
      if (n === null || n === 0) break;
      got += n;
    }
    return whole.subarray(0, got);
  } finally {
    file.close();
  }
}
