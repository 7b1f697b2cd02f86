/**
 * The portable backup stream: a backup from any engine restores into any
 * other, and it can live in a file, in any byte stream, or in a blob.
 *
 * Layout: `"OXIBAK"`, version byte (1), flags byte (0); then one record per
 * entry — tag 1, u32 key length, u32 value length, raw key, stored value (TTL
 * header included), u32 CRC-32 of the record so far; then a trailer — tag 0,
 * u32 entry count, u32 CRC-32 of the trailer so far. All integers big-endian.
 * A missing trailer, a bad checksum or a count mismatch is `Corruption`.
 *
 * @module
 */
import { crc32 } from "./crc32.ts";
import type { RawEntry } from "./engine.ts";
import { StoreError, toStoreError } from "./error.ts";

const MAGIC = new TextEncoder().encode("OXIBAK");
const VERSION = 1;
const CHUNK_BYTES = 1 << 20;

/**
 * The part of a blob store a backup needs (any `BlobStore` fits): core does
 * not import the blob family, so it names only these two methods.
 */
export interface BackupBlobStore {
  /** Writes (or overwrites) a blob from a byte stream. */
  put(key: string, data: ReadableStream<Uint8Array>): Promise<unknown>;
  /** Reads a blob as a byte stream. */
  getStream(key: string): Promise<ReadableStream<Uint8Array>>;
}

/** A backup kept as one blob of a blob store. */
export interface BackupBlob {
  /** Any `BlobStore` (S3, GCS, Azure, local, memory). */
  store: BackupBlobStore;
  /** The blob's key. */
  key: string;
}

/**
 * Where `backup` writes: a file path (written to a temp file, synced, then
 * renamed), a byte stream (closed when the backup is whole, aborted on
 * failure), or a blob `{ store, key }` (published only when whole).
 */
export type BackupTarget = string | WritableStream<Uint8Array> | BackupBlob;

/** Where `restore` reads: a file path, a byte stream, or a blob `{ store, key }`. */
export type BackupSource = string | ReadableStream<Uint8Array> | BackupBlob;

/** A short name of a target or source, for messages. */
export function describeBackup(where: BackupTarget | BackupSource): string {
  if (typeof where === "string") return where;
  if (isBlob(where)) return `blob ${where.key}`;
  return "a byte stream";
}

function isBlob(x: unknown): x is BackupBlob {
  return typeof x === "object" && x !== null && "store" in x && "key" in x;
}

/** Throws `InvalidInput` unless `where` is a usable target or source. */
export function checkBackupLocation(where: unknown, op: string): void {
  if (typeof where === "string" && where !== "") return;
  if (where instanceof WritableStream || where instanceof ReadableStream) return;
  if (
    isBlob(where) && typeof where.key === "string" && where.key !== "" &&
    typeof where.store?.put === "function" && typeof where.store?.getStream === "function"
  ) return;
  throw new StoreError(
    "InvalidInput",
    `Cannot ${op}: expected a non-empty path, a byte stream or { store, key }, got ${
      where === null ? "null" : typeof where
    }`,
  );
}

/** The backup's bytes, in chunks of about 1 MiB. */
export async function* encodeBackup(entries: AsyncIterable<RawEntry>): AsyncGenerator<Uint8Array> {
  let chunks: Uint8Array[] = [new Uint8Array([...MAGIC, VERSION, 0])];
  let pending = 8;
  let count = 0;
  for await (const [key, value] of entries) {
    const rec = new Uint8Array(9 + key.length + value.length + 4);
    const view = new DataView(rec.buffer);
    rec[0] = 1;
    view.setUint32(1, key.length);
    view.setUint32(5, value.length);
    rec.set(key, 9);
    rec.set(value, 9 + key.length);
    view.setUint32(rec.length - 4, crc32(rec.subarray(0, rec.length - 4)));
    chunks.push(rec);
    pending += rec.length;
    count++;
    if (pending >= CHUNK_BYTES) {
      yield concat(chunks, pending);
      chunks = [];
      pending = 0;
    }
  }
  const trailer = new Uint8Array(9);
  const tv = new DataView(trailer.buffer);
  tv.setUint32(1, count);
  tv.setUint32(5, crc32(trailer.subarray(0, 5)));
  chunks.push(trailer);
  yield concat(chunks, pending + 9);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const buf = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    buf.set(c, o);
    o += c.length;
  }
  return buf;
}

/**
 * Writes `entries` as a backup to `target`. A file is written atomically (a
 * temp file beside it is synced and renamed over it).
 */
export async function writeBackup(
  target: BackupTarget,
  entries: AsyncIterable<RawEntry>,
): Promise<void> {
  const what = `write backup to ${describeBackup(target)}`;
  if (typeof target === "string") return await writeBackupFile(target, entries);
  try {
    if (target instanceof WritableStream) {
      const writer = target.getWriter();
      try {
        for await (const chunk of encodeBackup(entries)) await writer.write(chunk);
        await writer.close();
      } catch (err) {
        await writer.abort(err).catch(() => {});
        throw err;
      }
      return;
    }
    await target.store.put(target.key, ReadableStream.from(encodeBackup(entries)));
  } catch (err) {
    throw toStoreError(err, what);
  }
}

async function writeBackupFile(path: string, entries: AsyncIterable<RawEntry>): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID()}`;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(tmp, { write: true, createNew: true });
  } catch (err) {
    throw toStoreError(err, `write backup to ${path}`);
  }
  try {
    for await (const chunk of encodeBackup(entries)) {
      let written = 0;
      while (written < chunk.length) written += await file.write(chunk.subarray(written));
    }
    await file.syncData();
    file.close();
    await Deno.rename(tmp, path);
  } catch (err) {
    try {
      file.close();
    } catch { /* already closed */ }
    await Deno.remove(tmp).catch(() => {});
    throw toStoreError(err, `write backup to ${path}`);
  }
}

async function openSource(source: BackupSource): Promise<AsyncIterable<Uint8Array>> {
  if (typeof source === "string") return (await Deno.open(source, { read: true })).readable;
  if (source instanceof ReadableStream) return source;
  return await source.store.getStream(source.key);
}

/**
 * Reads every entry of the backup at `source`, verifying checksums as it
 * goes; the last step checks the trailer, so a consumer must not commit
 * anything until iteration has finished (see {@link verifyBackup}).
 */
export async function* readBackup(source: BackupSource): AsyncGenerator<RawEntry> {
  const name = describeBackup(source);
  let chunks: AsyncIterable<Uint8Array>;
  try {
    chunks = await openSource(source);
  } catch (err) {
    throw toStoreError(err, `read backup ${name}`);
  }
  const reader = new ChunkReader(chunks[Symbol.asyncIterator]());
  const bad = (why: string) => new StoreError("Corruption", `Cannot read backup ${name}: ${why}`);
  try {
    const head = await reader.read(8);
    if (!head || !MAGIC.every((b, i) => head[i] === b)) {
      throw bad("not an oxistore backup (bad magic bytes)");
    }
    if (head[6] !== VERSION) throw bad(`unsupported backup version ${head[6]}`);
    let count = 0;
    while (true) {
      const tag = await reader.read(1);
      if (!tag) throw bad("truncated (no trailer)");
      if (tag[0] === 0) {
        const rest = await reader.read(8);
        if (!rest) throw bad("truncated trailer");
        const trailer = new Uint8Array([0, ...rest]);
        const tv = new DataView(trailer.buffer);
        if (tv.getUint32(5) !== crc32(trailer.subarray(0, 5))) {
          throw bad("trailer checksum mismatch");
        }
        if (tv.getUint32(1) !== count) {
          throw bad(`trailer says ${tv.getUint32(1)} entries, found ${count}`);
        }
        if (await reader.read(1)) throw bad("data after the trailer");
        return;
      }
      if (tag[0] !== 1) throw bad(`unknown record tag ${tag[0]}`);
      const lens = await reader.read(8);
      if (!lens) throw bad("truncated record");
      const lv = new DataView(lens.buffer, lens.byteOffset, 8);
      const keyLen = lv.getUint32(0);
      const valLen = lv.getUint32(4);
      if (keyLen > 1 << 16 || valLen > (1 << 27)) throw bad("record length out of range");
      const body = await reader.read(keyLen + valLen + 4);
      if (!body) throw bad("truncated record");
      let c = crc32(tag);
      c = crc32(lens, c);
      c = crc32(body.subarray(0, keyLen + valLen), c);
      const want = new DataView(body.buffer, body.byteOffset + keyLen + valLen, 4).getUint32(0);
      if (c !== want) throw bad(`record ${count} checksum mismatch`);
      count++;
      yield [body.slice(0, keyLen), body.slice(keyLen, keyLen + valLen)];
    }
  } catch (err) {
    throw toStoreError(err, `read backup ${name}`);
  } finally {
    await reader.cancel();
  }
}

/**
 * Reads a whole backup and throws `Corruption` if any part is bad. A file is
 * read twice (here, then when applied); a stream or blob cannot be, so its
 * entries are returned to apply from memory.
 */
export async function verifyBackup(source: BackupSource): Promise<RawEntry[] | undefined> {
  if (typeof source === "string") {
    for await (const _ of readBackup(source)) { /* checks only */ }
    return undefined;
  }
  return await Array.fromAsync(readBackup(source));
}

class ChunkReader {
  #chunks: AsyncIterator<Uint8Array>;
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;
  #eof = false;
  constructor(chunks: AsyncIterator<Uint8Array>) {
    this.#chunks = chunks;
  }
  /** Exactly `n` bytes, or undefined at a clean or torn end of the stream. */
  async read(n: number): Promise<Uint8Array | undefined> {
    if (this.#buf.length - this.#pos < n && !this.#eof) {
      const parts: Uint8Array[] = [this.#buf.subarray(this.#pos)];
      let have = parts[0]!.length;
      while (have < n) {
        const next = await this.#chunks.next();
        if (next.done) {
          this.#eof = true;
          break;
        }
        parts.push(next.value);
        have += next.value.length;
      }
      this.#buf = concat(parts, have);
      this.#pos = 0;
    }
    if (this.#buf.length - this.#pos < n) return undefined;
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }
  async cancel(): Promise<void> {
    if (!this.#eof) await this.#chunks.return?.().catch(() => {});
  }
}
