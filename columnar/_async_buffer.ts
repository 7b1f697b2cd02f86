// Byte-range access to a Parquet source (hyparquet's AsyncBuffer): a local file read with
// positioned sync reads, a blob read with ranged streams, or bytes in memory; plus a
// cache that serves hyparquet's reads from chunks we fetched (and checked) ourselves.
import type { AsyncBuffer } from "hyparquet";
import type { ParquetSource } from "./types.ts";
import { StoreError } from "../core/error.ts";
import { fail, ioError } from "./_errors.ts";
import { describe } from "./_cells.ts";

/** An open source: its AsyncBuffer, a name for messages and a close function. */
export interface OpenSource {
  buffer: AsyncBuffer;
  name: string;
  close(): void;
}

function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  if (
    b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer
  ) {
    return b.buffer;
  }
  return b.slice().buffer as ArrayBuffer;
}

function checkRange(name: string, size: number, start: number, end: number): void {
  if (start < 0 || end > size || start > end) {
    fail(
      "Corruption",
      `Cannot read ${name}: byte range ${start}..${end} is outside the file (${size} bytes)`,
    );
  }
}

async function fileSource(path: string): Promise<OpenSource> {
  let file: Deno.FsFile;
  let size: number;
  try {
    file = await Deno.open(path, { read: true });
    size = (await file.stat()).size;
  } catch (err) {
    throw ioError(err, `open Parquet file ${path}`);
  }
  let closed = false;
  return {
    name: path,
    buffer: {
      byteLength: size,
      // Sync positioned reads: one call each, and no interleaving between concurrent
      // slices (hyparquet issues several at once).
      slice(start: number, end: number = size): ArrayBuffer {
        checkRange(path, size, start, end);
        if (closed) fail("Closed", `Cannot read ${path}: the reader is closed`);
        const out = new Uint8Array(end - start);
        try {
          file.seekSync(start, Deno.SeekMode.Start);
          let at = 0;
          while (at < out.length) {
            const n = file.readSync(out.subarray(at));
            if (n === null || n === 0) {
              fail("Corruption", `Cannot read ${path}: file ended at ${start + at} (truncated?)`);
            }
            at += n;
          }
        } catch (err) {
          throw ioError(err, `read Parquet file ${path} at ${start}..${end}`);
        }
        return out.buffer;
      },
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        file.close();
      } catch { /* already closed */ }
    },
  };
}

async function blobSource(src: Exclude<ParquetSource, string | Uint8Array>): Promise<OpenSource> {
  const { store, key } = src;
  const name = `blob ${key}`;
  let size: number;
  try {
    size = (await store.head(key)).size;
  } catch (err) {
    throw ioError(err, `open Parquet ${name}`);
  }
  return {
    name,
    buffer: {
      byteLength: size,
      async slice(start: number, end: number = size): Promise<ArrayBuffer> {
        checkRange(name, size, start, end);
        const out = new Uint8Array(end - start);
        if (end === start) return out.buffer;
        try {
          const stream = await store.getStream(key, { start, end });
          let at = 0;
          for await (const chunk of stream) {
            if (at + chunk.length > out.length) {
              fail("Corruption", `Cannot read ${name}: store returned more bytes than asked`);
            }
            out.set(chunk, at);
            at += chunk.length;
          }
          if (at !== out.length) {
            fail("Corruption", `Cannot read ${name}: got ${at} of ${out.length} bytes at ${start}`);
          }
        } catch (err) {
          throw ioError(err, `read Parquet ${name} at ${start}..${end}`);
        }
        return out.buffer;
      },
    },
    close() {},
  };
}

/** Opens a path, bytes or `{ store, key }` for ranged reading. */
export function openSource(source: ParquetSource): Promise<OpenSource> {
  if (typeof source === "string") return fileSource(source);
  if (source instanceof Uint8Array) {
    const ab = toArrayBuffer(source);
    return Promise.resolve({
      name: `Parquet bytes (${source.length})`,
      buffer: {
        byteLength: ab.byteLength,
        slice: (start: number, end?: number) => ab.slice(start, end),
      },
      close() {},
    });
  }
  if (source && typeof source === "object" && "store" in source && typeof source.key === "string") {
    return blobSource(source);
  }
  return Promise.reject(
    new StoreError(
      "InvalidInput",
      `Cannot read Parquet: source ${
        describe(source)
      } is not a path, a Uint8Array or { store, key }`,
    ),
  );
}

/** Byte ranges fetched ahead of hyparquet, by start offset. */
export class RangeCache {
  #ranges: { start: number; bytes: Uint8Array }[] = [];
  constructor(readonly inner: AsyncBuffer) {}

  /** Fetches [start, end) from the source and keeps it. */
  async fetch(start: number, end: number): Promise<Uint8Array> {
    const bytes = new Uint8Array(await this.inner.slice(start, end));
    this.#ranges.push({ start, bytes });
    return bytes;
  }

  /** Forgets everything fetched. */
  clear(): void {
    this.#ranges = [];
  }

  /** An AsyncBuffer answering from the cache when it can. */
  get buffer(): AsyncBuffer {
    return {
      byteLength: this.inner.byteLength,
      slice: (start: number, end: number = this.inner.byteLength) => {
        for (const r of this.#ranges) {
          if (start >= r.start && end <= r.start + r.bytes.length) {
            const a = r.bytes.byteOffset + start - r.start;
            return r.bytes.buffer.slice(a, a + end - start) as ArrayBuffer;
          }
        }
        return this.inner.slice(start, end);
      },
    };
  }
}
