// Where encoded Parquet bytes go: memory, a local file (temp file + fsync + rename, so
// the file appears whole or not at all) or a blob (a chunked upload).
import { DENO_FS, type FileCalls, type FsCalls, parentDir, syncDir } from "../core/_fs_calls.ts";
import { StoreError } from "../core/error.ts";
import type { ParquetTarget } from "./types.ts";
import { ioError } from "./_errors.ts";

/** Where encoded bytes go, chunk by chunk. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/** A sink that keeps everything in memory. */
export class MemorySink implements ByteSink {
  chunks: Uint8Array[] = [];
  write(chunk: Uint8Array): Promise<void> {
    this.chunks.push(chunk);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  abort(): Promise<void> {
    this.chunks = [];
    return Promise.resolve();
  }
  bytes(): Uint8Array {
    const total = this.chunks.reduce((s, c) => s + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) (out.set(c, at), at += c.length);
    return out;
  }
}

/**
 * @internal The calls by which local Parquet files and dataset manifests
 * change the disk. The fault tests (tests/faults/) put a simulated disk here
 * to cut the power or fail any call; everything else leaves Deno's.
 */
export const localDisk: { fs: FsCalls } = { fs: DENO_FS };

/** Writes all of `bytes` at the file's offset. */
export function writeAll(file: FileCalls, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += file.writeSync(bytes.subarray(at));
}

/** A sink writing a temp file next to `path`, renamed over it on close. */
async function fileSink(path: string): Promise<ByteSink> {
  const fs = localDisk.fs;
  const tmp = `${path}.tmp-${crypto.randomUUID()}`;
  let file: FileCalls;
  try {
    file = await fs.open(tmp, { write: true, createNew: true });
  } catch (err) {
    throw ioError(err, `write Parquet file ${path}`);
  }
  const cleanup = () => {
    try {
      file.close();
    } catch { /* already closed */ }
    try {
      fs.removeSync(tmp);
    } catch { /* never created, or already gone */ }
    return Promise.resolve();
  };
  return {
    async write(chunk) {
      try {
        writeAll(file, chunk);
      } catch (err) {
        await cleanup();
        throw ioError(err, `write Parquet file ${path}`);
      }
    },
    async close() {
      try {
        await file.syncData();
        file.close();
        fs.renameSync(tmp, path);
        // The rename is durable only once its directory is synced.
        syncDir(fs, parentDir(path));
      } catch (err) {
        await cleanup();
        throw ioError(err, `write Parquet file ${path}`);
      }
    },
    abort: cleanup,
  };
}

/** A sink uploading to a blob store in chunks (never buffering the whole file). */
async function blobSink(target: Exclude<ParquetTarget, string>): Promise<ByteSink> {
  const { store, key } = target;
  try {
    const upload = await store.startUpload(key);
    return {
      write: (chunk) =>
        upload.write(chunk).catch((err) => {
          throw ioError(err, `upload Parquet blob ${key}`);
        }),
      close: async () => {
        await upload.complete().catch((err) => {
          throw ioError(err, `upload Parquet blob ${key}`);
        });
      },
      abort: () => upload.abort().catch(() => {}),
    };
  } catch (err) {
    if (err instanceof StoreError && err.kind !== "Unsupported") throw err;
    if (!(err instanceof StoreError)) throw ioError(err, `upload Parquet blob ${key}`);
    // No chunked uploads on this store: buffer and put once.
    const mem = new MemorySink();
    return {
      write: (c) => mem.write(c),
      close: async () => {
        await store.put(key, mem.bytes()).catch((e) => {
          throw ioError(e, `put Parquet blob ${key}`);
        });
      },
      abort: () => mem.abort(),
    };
  }
}

/** Opens the sink for a target path or blob. */
export function openSink(target: ParquetTarget): Promise<ByteSink> {
  if (typeof target === "string") return fileSink(target);
  if (target && typeof target === "object" && "store" in target && typeof target.key === "string") {
    return blobSink(target);
  }
  return Promise.reject(
    new StoreError("InvalidInput", "Cannot write Parquet: target must be a path or { store, key }"),
  );
}
