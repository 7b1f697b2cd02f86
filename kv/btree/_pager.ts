// Where pages live: a file (sync positional I/O, per the speed facts) or
// memory (the same tree over in-memory pages).
import { corruption, PAGE_SIZE } from "./_format.ts";

/** Page storage under the tree. Written buffers are never mutated afterwards. */
export interface Pager {
  /** Adjacent pages may be written as one run (reads still go node by node). */
  readonly coalesce: boolean;
  /** `npages` pages from `page`; a short read is `Corruption`. */
  read(page: number, npages: number): Uint8Array;
  /** Writes whole pages starting at `page`. */
  write(page: number, bytes: Uint8Array): void;
  /** Raw bytes at a byte offset (header slots). */
  readAt(offset: number, length: number): Uint8Array;
  writeAt(offset: number, bytes: Uint8Array): void;
  /** Durability barrier (data only). */
  sync(): Promise<void>;
  syncNow(): void;
  /** Bytes in the backing file (0 in memory). */
  size(): number;
  truncate(bytes: number): void;
  close(): void;
}

/** Pages in a file, read and written with the sync positional calls. */
export class FilePager implements Pager {
  readonly coalesce = true;
  readonly file: Deno.FsFile;
  readonly path: string;

  constructor(file: Deno.FsFile, path: string) {
    this.file = file;
    this.path = path;
  }

  read(page: number, npages: number): Uint8Array {
    return this.readAt(page * PAGE_SIZE, npages * PAGE_SIZE);
  }

  readAt(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.file.seekSync(offset, Deno.SeekMode.Start);
    let got = 0;
    while (got < length) {
      const n = this.file.readSync(got === 0 ? out : out.subarray(got));
      if (n === null || n === 0) {
        throw corruption(this.path, `file is truncated (${length} bytes wanted at ${offset})`);
      }
      got += n;
    }
    return out;
  }

  write(page: number, bytes: Uint8Array): void {
    this.writeAt(page * PAGE_SIZE, bytes);
  }

  writeAt(offset: number, bytes: Uint8Array): void {
    this.file.seekSync(offset, Deno.SeekMode.Start);
    let done = 0;
    while (done < bytes.length) {
      done += this.file.writeSync(done === 0 ? bytes : bytes.subarray(done));
    }
  }

  sync(): Promise<void> {
    // The blocking call: measured faster than the async one for single commits,
    // and commits queued behind the lock are applied before it runs anyway.
    this.file.syncDataSync();
    return Promise.resolve();
  }

  syncNow(): void {
    this.file.syncDataSync();
  }

  size(): number {
    return this.file.statSync().size;
  }

  truncate(bytes: number): void {
    this.file.truncateSync(bytes);
  }

  close(): void {
    this.file.close();
  }
}

/** Pages in memory: each written run is kept as the buffer it was written with. */
export class MemoryPager implements Pager {
  readonly coalesce = false;
  readonly path = ":memory:";
  #runs: (Uint8Array | undefined)[] = [];
  #header = new Uint8Array(PAGE_SIZE);

  read(page: number, npages: number): Uint8Array {
    const run = this.#runs[page];
    if (run === undefined || run.length < npages * PAGE_SIZE) {
      throw corruption(this.path, `page ${page} was never written`);
    }
    return run.length === npages * PAGE_SIZE ? run : run.subarray(0, npages * PAGE_SIZE);
  }

  write(page: number, bytes: Uint8Array): void {
    this.#runs[page] = bytes;
    for (let i = 1; i * PAGE_SIZE < bytes.length; i++) this.#runs[page + i] = undefined;
  }

  readAt(offset: number, length: number): Uint8Array {
    return this.#header.slice(offset, offset + length);
  }

  writeAt(offset: number, bytes: Uint8Array): void {
    this.#header.set(bytes, offset);
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  syncNow(): void {}

  size(): number {
    return 0;
  }

  truncate(bytes: number): void {
    this.#runs.length = Math.min(this.#runs.length, Math.ceil(bytes / PAGE_SIZE));
  }

  close(): void {
    this.#runs = [];
  }
}
