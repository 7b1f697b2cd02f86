/**
 * The portable backup stream: a backup from any engine restores into any
 * other.
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
const FLUSH_AT = 1 << 20;

/**
 * Writes `entries` as a backup at `path`, atomically: a temp file beside it is
 * synced and renamed over `path`. Returns how many entries were written.
 */
export async function writeBackup(
  path: string,
  entries: AsyncIterable<RawEntry>,
): Promise<number> {
  const tmp = `${path}.tmp-${crypto.randomUUID()}`;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(tmp, { write: true, createNew: true });
  } catch (err) {
    throw toStoreError(err, `write backup to ${path}`);
  }
  let count = 0;
  try {
    let chunks: Uint8Array[] = [];
    let pending = 0;
    const put = async (b: Uint8Array) => {
      chunks.push(b);
      pending += b.length;
      if (pending >= FLUSH_AT) {
        await writeAll(file, chunks, pending);
        chunks = [];
        pending = 0;
      }
    };
    await put(new Uint8Array([...MAGIC, VERSION, 0]));
    for await (const [key, value] of entries) {
      const rec = new Uint8Array(9 + key.length + value.length + 4);
      const view = new DataView(rec.buffer);
      rec[0] = 1;
      view.setUint32(1, key.length);
      view.setUint32(5, value.length);
      rec.set(key, 9);
      rec.set(value, 9 + key.length);
      view.setUint32(rec.length - 4, crc32(rec.subarray(0, rec.length - 4)));
      await put(rec);
      count++;
    }
    const trailer = new Uint8Array(9);
    const tv = new DataView(trailer.buffer);
    tv.setUint32(1, count);
    tv.setUint32(5, crc32(trailer.subarray(0, 5)));
    await put(trailer);
    await writeAll(file, chunks, pending);
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
  return count;
}

async function writeAll(file: Deno.FsFile, chunks: Uint8Array[], total: number) {
  const buf = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    buf.set(c, o);
    o += c.length;
  }
  let written = 0;
  while (written < buf.length) written += await file.write(buf.subarray(written));
}

/**
 * Reads every entry of the backup at `path`, verifying checksums as it goes;
 * the last step checks the trailer, so a consumer must not commit anything
 * until iteration has finished (see {@link verifyBackup}).
 */
export async function* readBackup(path: string): AsyncGenerator<RawEntry> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (err) {
    throw toStoreError(err, `read backup ${path}`);
  }
  const reader = new ChunkReader(file);
  const bad = (why: string) => new StoreError("Corruption", `Cannot read backup ${path}: ${why}`);
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
    throw toStoreError(err, `read backup ${path}`);
  } finally {
    file.close();
  }
}

/** Reads the whole backup once and throws `Corruption` if any part is bad. */
export async function verifyBackup(path: string): Promise<number> {
  let n = 0;
  for await (const _ of readBackup(path)) n++;
  return n;
}

class ChunkReader {
  #file: Deno.FsFile;
  #buf = new Uint8Array(0);
  #pos = 0;
  #eof = false;
  constructor(file: Deno.FsFile) {
    this.#file = file;
  }
  /** Exactly `n` bytes, or undefined at a clean or torn end of file. */
  async read(n: number): Promise<Uint8Array | undefined> {
    while (this.#buf.length - this.#pos < n && !this.#eof) {
      const chunk = new Uint8Array(Math.max(1 << 20, n));
      const got = await this.#file.read(chunk);
      if (got === null) {
        this.#eof = true;
        break;
      }
      const rest = this.#buf.subarray(this.#pos);
      const next = new Uint8Array(rest.length + got);
      next.set(rest, 0);
      next.set(chunk.subarray(0, got), rest.length);
      this.#buf = next;
      this.#pos = 0;
    }
    if (this.#buf.length - this.#pos < n) return undefined;
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }
}
