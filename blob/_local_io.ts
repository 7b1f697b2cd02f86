/**
 * File I/O of LocalBlobStore: writing a blob into a temp file (header, then
 * content while hashing, then the final header at offset 0, then fsync) and
 * reading headers and content back.
 *
 * @module
 */
import { StoreError } from "../core/error.ts";
import { Digest, sha256, Sha256Hasher } from "./digest.ts";
import {
  decodeHeader,
  encodeHeader,
  encodeJson,
  FIXED,
  type Header,
  HEADER_PROBE,
  headerLength,
  randomEtag,
} from "./_local_format.ts";
import { type FileStamp, fillStamp } from "./_local_dir_index.ts";

/** Blobs up to this size are written with one write and one flush. */
const SMALL_BLOB = 64 * 1024;

/** Writes every byte (FsFile.write may write fewer). */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await file.write(bytes.subarray(at));
}

/** Writes every byte synchronously (for small writes: no thread pool hop). */
export function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
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

/** Reads and checks the header at the start of an open blob file. */
export async function readHeader(
  file: Deno.FsFile,
  where: string,
  fresh = false,
): Promise<Header> {
  if (!fresh) await file.seek(0, Deno.SeekMode.Start);
  const probe = new Uint8Array(HEADER_PROBE);
  // One read usually brings the whole header (it is well under the probe size).
  let got = (await file.read(probe)) ?? 0;
  if (got < 16) got += await readFull(file, probe.subarray(got, 16));
  const len = headerLength(probe.subarray(0, got), where);
  if (got < Math.min(len, HEADER_PROBE)) {
    got += await readFull(file, probe.subarray(got, Math.min(len, HEADER_PROBE)));
  }
  if (len <= got) return decodeHeader(probe.subarray(0, len), where);
  const whole = new Uint8Array(len);
  whole.set(probe.subarray(0, got));
  const more = await readFull(file, whole.subarray(got));
  if (got + more < len) {
    throw new StoreError("Corruption", `Cannot read blob ${where}: header is truncated`);
  }
  return decodeHeader(whole, where);
}

/** Reads the header of the blob file at `path`. */
export async function readHeaderAt(path: string, where: string): Promise<Header> {
  const file = await Deno.open(path, { read: true });
  try {
    return await readHeader(file, where, true);
  } finally {
    file.close();
  }
}

const syncProbe = new Uint8Array(HEADER_PROBE);

/**
 * Reads the raw header bytes of a blob file synchronously (one open, usually
 * one read), checking only the magic and length; `decodeHeader` checks the
 * rest. Listing uses it in short batches, since per-file async ops cost
 * several times more, and keeps the bytes (compact) rather than the decoded
 * header. The bytes may be a shared buffer: valid until the next call.
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

/**
 * A blob being written to a temp file. Nothing about it is visible under any
 * key; the caller renames `path` into place after `finish()`.
 */
export class TempBlobWriter {
  #hasher = new Sha256Hasher();
  #size = 0;
  #json: Uint8Array;
  #file: Deno.FsFile | undefined;

  private constructor(readonly path: string, file: Deno.FsFile, json: Uint8Array) {
    this.#file = file;
    this.#json = json;
  }

  /** Creates the temp file (exclusively) and reserves the header. */
  static async create(
    path: string,
    contentType: string | undefined,
    metadata: Record<string, string>,
  ): Promise<TempBlobWriter> {
    const json = encodeJson(contentType, metadata);
    const file = await Deno.open(path, { createNew: true, write: true, read: true });
    const w = new TempBlobWriter(path, file, json);
    try {
      await writeAll(file, new Uint8Array(FIXED + json.length));
    } catch (err) {
      await w.discard();
      throw err;
    }
    return w;
  }

  /**
   * Writes a whole blob known in advance into a new temp file: the content
   * (hashed meanwhile), then the header in front of it, then fsync.
   */
  static async writeWhole(
    path: string,
    data: Uint8Array,
    contentType: string | undefined,
    metadata: Record<string, string>,
  ): Promise<Header> {
    const json = encodeJson(contentType, metadata);
    const file = Deno.openSync(path, { createNew: true, write: true });
    try {
      if (data.length <= SMALL_BLOB) {
        // Small: copying is cheaper than a second write, so header and content go in one.
        const header = encodeHeader(json, data.length, sha256(data), Date.now(), randomEtag());
        const whole = new Uint8Array(header.length + data.length);
        whole.set(header);
        whole.set(data, header.length);
        writeAllSync(file, whole);
        await file.syncData();
        file.close();
        return decodeHeader(header, path);
      }
      // Content first, at its final offset, hashed while the write is in flight;
      // then the header in front of it and one flush. (Hashing during a first
      // flush instead, then flushing the header apart, measured no faster when
      // the disk is quiet and clearly slower when other processes flush too.)
      file.seekSync(FIXED + json.length, Deno.SeekMode.Start);
      const writing = writeAll(file, data);
      let digest: Digest;
      try {
        digest = sha256(data);
      } finally {
        await writing;
      }
      const header = encodeHeader(json, data.length, digest, Date.now(), randomEtag());
      file.seekSync(0, Deno.SeekMode.Start);
      writeAllSync(file, header);
      await file.syncData();
      file.close();
      return decodeHeader(header, path);
    } catch (err) {
      try {
        file.close();
      } catch {
        // already closed
      }
      await Deno.remove(path).catch(() => {});
      throw err;
    }
  }

  /** Bytes of content written so far. */
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

  /** Writes the final header, fsyncs and closes; returns the header. */
  async finish(): Promise<Header> {
    const file = this.#file;
    if (!file) throw new StoreError("Closed", "Cannot finish blob: the temp file is closed");
    const digest = this.#hasher.digest();
    const mtime = Date.now();
    const header = encodeHeader(this.#json, this.#size, digest, mtime, randomEtag());
    await file.seek(0, Deno.SeekMode.Start);
    await writeAll(file, header);
    await file.sync();
    file.close();
    this.#file = undefined;
    return decodeHeader(header, this.path);
  }

  /** Closes and removes the temp file; safe to call more than once. */
  async discard(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    if (file) {
      try {
        file.close();
      } catch {
        // already closed
      }
    }
    await Deno.remove(this.path).catch(() => {});
  }
}

/**
 * Gives a copied blob file a fresh etag and mtime (the content, digest and
 * metadata stay), then fsyncs it.
 */
export async function restampCopy(path: string, where: string): Promise<Header> {
  const file = await Deno.open(path, { read: true, write: true });
  try {
    const h = await readHeader(file, where);
    const probe = new Uint8Array(h.headerLen);
    await file.seek(0, Deno.SeekMode.Start);
    await readFull(file, probe);
    const json = probe.slice(FIXED);
    const header = encodeHeader(json, h.size, Digest.fromHex(h.digest), Date.now(), randomEtag());
    await file.seek(0, Deno.SeekMode.Start);
    await writeAll(file, header);
    await file.sync();
    return decodeHeader(header, where);
  } finally {
    file.close();
  }
}
