// Where pages live: a file (sync positional I/O, per the speed facts) or
// memory (the same tree over in-memory pages).
import type { FileCalls } from "../../core/_fs_calls.ts";
import { StoreError } from "../../core/error.ts";
import { corruption, PAGE_SIZE } from "./_format.ts";

function ioError(op: string, path: string, err: unknown): StoreError {
  const code = (err as { code?: unknown } | null)?.code;
  const kind = code === "ENOSPC" || code === "EDQUOT" ? "CapacityExceeded" : "Io";
  return new StoreError(kind, `Cannot ${op} store at ${path}: ${(err as Error).message}`, {
    cause: err,
  });
}

/** Free pages a checkpoint's write may span to join two runs. */
const MAX_GAP = 4;

/** Page storage under the tree. Written buffers are never mutated afterwards. */
export interface Pager {
  /** `npages` pages from `page`; a short read is `Corruption`. */
  read(page: number, npages: number): Uint8Array;
  /** True when reads of `page` return the store's own memory (callers get copies). */
  isDirty(page: number): boolean;
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
  readonly file: FileCalls;
  readonly path: string;
  /** Why a sync failed: no write or sync is made after it (until reopened). */
  #syncFailed: unknown;

  constructor(file: FileCalls, path: string) {
    this.file = file;
    this.path = path;
  }

  read(page: number, npages: number): Uint8Array {
    return this.readAt(page * PAGE_SIZE, npages * PAGE_SIZE);
  }

  isDirty(): boolean {
    return false;
  }

  readAt(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let got = 0;
    try {
      this.file.seekSync(offset, Deno.SeekMode.Start);
      while (got < length) {
        const n = this.file.readSync(got === 0 ? out : out.subarray(got));
        if (n === null || n === 0) break;
        got += n;
      }
    } catch (err) {
      throw ioError("read", this.path, err);
    }
    if (got < length) {
      throw corruption(this.path, `file is truncated (${length} bytes wanted at ${offset})`);
    }
    return out;
  }

  write(page: number, bytes: Uint8Array): void {
    this.writeAt(page * PAGE_SIZE, bytes);
  }

  writeAt(offset: number, bytes: Uint8Array): void {
    this.#io("write", () => {
      this.file.seekSync(offset, Deno.SeekMode.Start);
      let done = 0;
      while (done < bytes.length) {
        done += this.file.writeSync(done === 0 ? bytes : bytes.subarray(done));
      }
    });
  }

  sync(): Promise<void> {
    // The blocking call: measured faster than the async one for single commits,
    // and commits queued behind the lock are applied before it runs anyway.
    this.syncNow();
    return Promise.resolve();
  }

  syncNow(): void {
    this.#io("sync", () => this.file.syncDataSync());
  }

  /** Runs a file call; its failure is an `Io` error naming the store. */
  #io<T>(op: string, call: () => T): T {
    if (this.#syncFailed !== undefined && op !== "stat") {
      throw new StoreError(
        "Io",
        `Cannot ${op} store at ${this.path}: an earlier fsync failed, so what is on disk ` +
          `is unknown; reopen the store`,
        { cause: this.#syncFailed },
      );
    }
    try {
      return call();
    } catch (err) {
      // fsyncgate: after a failed fsync the kernel may have dropped the dirty
      // pages, and a retried fsync would succeed without writing them.
      if (op === "sync") this.#syncFailed = err;
      throw ioError(op, this.path, err);
    }
  }

  size(): number {
    return this.#io("stat", () => this.file.statSync().size);
  }

  truncate(bytes: number): void {
    this.#io("truncate", () => this.file.truncateSync(bytes));
  }

  close(): void {
    this.file.close();
  }
}

/** Pages in memory: each written run is kept as the buffer it was written with. */
export class MemoryPager implements Pager {
  readonly path = ":memory:";
  #runs: (Uint8Array | undefined)[] = [];
  #header = new Uint8Array(PAGE_SIZE);

  isDirty(): boolean {
    return true;
  }

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

/**
 * A file whose page writes wait in memory for the next checkpoint (the
 * commit log makes commits durable meanwhile). Reads see the waiting pages.
 */
export class DeferredPager implements Pager {
  readonly file: FilePager;
  readonly path: string;
  /** Pages written since the last checkpoint: node or value runs by first page. */
  readonly #dirty = new Map<number, Uint8Array>();

  constructor(file: FilePager) {
    this.file = file;
    this.path = file.path;
  }

  /** True when page `page` starts a run written since the last checkpoint. */
  isDirty(page: number): boolean {
    return this.#dirty.has(page);
  }

  read(page: number, npages: number): Uint8Array {
    const run = this.#dirty.get(page);
    if (run !== undefined && run.length >= npages * PAGE_SIZE) {
      return run.length === npages * PAGE_SIZE ? run : run.subarray(0, npages * PAGE_SIZE);
    }
    return this.file.read(page, npages);
  }

  write(page: number, bytes: Uint8Array): void {
    for (let i = 0; i * PAGE_SIZE < bytes.length; i++) {
      // A run replaces whatever waited on its pages (they were freed first).
      this.#dirty.delete(page + i);
    }
    this.#dirty.set(page, bytes);
  }

  /**
   * Writes the waiting runs in page order, skipping runs whose pages were
   * freed meanwhile. Runs separated by a few free pages are joined into one
   * write (zeros in the gap: no header or view can reach a free page).
   */
  flush(isFree: (page: number) => boolean): void {
    const dirty = this.#dirty;
    const pages = [...dirty.keys()].filter((p) => !isFree(p)).sort((a, b) => a - b);
    let i = 0;
    while (i < pages.length) {
      const first = pages[i]!;
      let end = first + dirty.get(first)!.length / PAGE_SIZE;
      let j = i + 1;
      for (; j < pages.length; j++) {
        const next = pages[j]!;
        if (next - end > MAX_GAP) break;
        let gapFree = true;
        for (let p = end; p < next && gapFree; p++) gapFree = isFree(p);
        if (!gapFree) break;
        end = next + dirty.get(next)!.length / PAGE_SIZE;
      }
      if (j === i + 1) this.file.write(first, dirty.get(first)!);
      else {
        const run = new Uint8Array((end - first) * PAGE_SIZE);
        for (let k = i; k < j; k++) run.set(dirty.get(pages[k]!)!, (pages[k]! - first) * PAGE_SIZE);
        this.file.write(first, run);
      }
      i = j;
    }
    dirty.clear();
  }

  readAt(offset: number, length: number): Uint8Array {
    return this.file.readAt(offset, length);
  }

  writeAt(offset: number, bytes: Uint8Array): void {
    this.file.writeAt(offset, bytes);
  }

  sync(): Promise<void> {
    return this.file.sync();
  }

  syncNow(): void {
    this.file.syncNow();
  }

  size(): number {
    return this.file.size();
  }

  truncate(bytes: number): void {
    this.file.truncate(bytes);
  }

  close(): void {
    this.file.close();
  }
}
