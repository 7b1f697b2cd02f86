// The file system the LSM engine runs on: the real disk, or memory. Both
// sides offer the same synchronous calls so the WAL, table and manifest code
// is one code path (sync calls are ~13x cheaper than async ones here).
import { StoreError } from "../../core/error.ts";
import { DENO_FS, type FileCalls, type FsCalls, SYNC_DIRS, syncDir } from "../../core/_fs_calls.ts";

/** An open file: appends at the end, reads anywhere. */
export interface LsmFile {
  append(bytes: Uint8Array): void;
  /** Reads exactly `len` bytes at `pos` (fewer only at end of file). */
  readAt(pos: number, len: number): Uint8Array;
  size(): number;
  /**
   * Another opener appended to this file: appends go on at `end`, and bytes
   * past it (a write cut short by a killed process) are cut off.
   */
  resumeAt(end: number): void;
  /** fdatasync in the background thread pool (lets other commits queue up). */
  syncData(): Promise<void>;
  syncDataSync(): void;
  close(): void;
}

/** A directory of files. Names are plain file names (no separators). */
export interface LsmFs {
  readonly path: string;
  readonly inMemory: boolean;
  /** Bytes appended or written through this object since it was made. */
  readonly written: { bytes: number };
  exists(name: string): boolean;
  /** Creates (truncating) a file for appending. */
  create(name: string): LsmFile;
  /** Opens an existing file; `write` allows appends at its end. */
  open(name: string, write: boolean): LsmFile;
  readFile(name: string): Uint8Array;
  /** Writes `name` through a temp file + rename, durable on return. */
  writeFileAtomic(name: string, bytes: Uint8Array): void;
  /** {@link writeFileAtomic} with the fsyncs in the background thread pool. */
  writeFileAtomicAsync(name: string, bytes: Uint8Array): Promise<void>;
  remove(name: string): void;
  list(): string[];
  /** Bytes of every file in the directory. */
  totalSize(): number;
  syncDir(): void;
  /** {@link syncDir} in the background thread pool. */
  syncDirAsync(): Promise<void>;
}

function join(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/**
 * fsyncgate: after a failed fsync the kernel may have dropped the dirty pages,
 * and a retried fsync would succeed without writing them. So the first failed
 * sync stops every later write and sync of the store until it is reopened.
 */
class SyncGate {
  failed: unknown;
  constructor(readonly path: string) {}
  check(): void {
    if (this.failed === undefined) return;
    throw new StoreError(
      "Io",
      `Cannot write to LSM store at ${this.path}: an earlier fsync failed, so what is on disk ` +
        `is unknown; reopen the store`,
      { cause: this.failed },
    );
  }
  sync(call: () => void): void {
    this.check();
    try {
      call();
    } catch (err) {
      this.failed ??= err;
      throw err;
    }
  }
  async syncAsync(call: () => Promise<void>): Promise<void> {
    this.check();
    try {
      await call();
    } catch (err) {
      this.failed ??= err;
      throw err;
    }
  }
}

class DiskFile implements LsmFile {
  #f: FileCalls;
  #pos = -1;
  #size: number;
  #written: { bytes: number };
  #gate: SyncGate;
  constructor(f: FileCalls, size: number, written: { bytes: number }, gate: SyncGate) {
    this.#f = f;
    this.#size = size;
    this.#written = written;
    this.#gate = gate;
  }
  append(bytes: Uint8Array): void {
    this.#gate.check();
    this.#written.bytes += bytes.length;
    if (this.#pos !== this.#size) this.#f.seekSync(this.#size, Deno.SeekMode.Start);
    let off = 0;
    while (off < bytes.length) off += this.#f.writeSync(bytes.subarray(off));
    this.#size += bytes.length;
    this.#pos = this.#size;
  }
  readAt(pos: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.#f.seekSync(pos, Deno.SeekMode.Start);
    let off = 0;
    while (off < len) {
      const n = this.#f.readSync(out.subarray(off));
      if (n === null || n === 0) break;
      off += n;
    }
    this.#pos = pos + off;
    return off === len ? out : out.subarray(0, off);
  }
  size(): number {
    return this.#size;
  }
  resumeAt(end: number): void {
    if (this.#f.statSync().size > end) {
      this.#gate.check();
      this.#f.truncateSync(end);
    }
    this.#size = end;
    this.#pos = -1;
  }
  syncData(): Promise<void> {
    return this.#gate.syncAsync(() => this.#f.syncData());
  }
  syncDataSync(): void {
    this.#gate.sync(() => this.#f.syncDataSync());
  }
  close(): void {
    try {
      this.#f.close();
    } catch { /* already closed */ }
  }
}

/** The real directory at `path` (through `sys`: the tests' simulated disk replaces it). */
export class DiskFs implements LsmFs {
  readonly path: string;
  readonly inMemory = false;
  readonly written: { bytes: number } = { bytes: 0 };
  readonly #sys: FsCalls;
  readonly #gate: SyncGate;
  constructor(path: string, sys: FsCalls = DENO_FS) {
    this.path = path;
    this.#sys = sys;
    this.#gate = new SyncGate(path);
  }
  exists(name: string): boolean {
    try {
      this.#sys.statSync(join(this.path, name));
      return true;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
  }
  create(name: string): LsmFile {
    this.#gate.check();
    const f = this.#sys.openSync(join(this.path, name), {
      read: true,
      write: true,
      create: true,
      truncate: true,
    });
    return new DiskFile(f, 0, this.written, this.#gate);
  }
  open(name: string, write: boolean): LsmFile {
    const p = join(this.path, name);
    const f = this.#sys.openSync(p, { read: true, write });
    return new DiskFile(f, f.statSync().size, this.written, this.#gate);
  }
  readFile(name: string): Uint8Array {
    return this.#sys.readFileSync(join(this.path, name));
  }
  writeFileAtomic(name: string, bytes: Uint8Array): void {
    this.#gate.check();
    this.written.bytes += bytes.length;
    const tmp = join(this.path, name + ".tmp");
    const f = this.#sys.openSync(tmp, { write: true, create: true, truncate: true });
    try {
      let off = 0;
      while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
      this.#gate.sync(() => f.syncDataSync());
    } finally {
      f.close();
    }
    this.#sys.renameSync(tmp, join(this.path, name));
    this.syncDir();
  }
  async writeFileAtomicAsync(name: string, bytes: Uint8Array): Promise<void> {
    this.#gate.check();
    this.written.bytes += bytes.length;
    const tmp = join(this.path, name + ".tmp");
    const f = this.#sys.openSync(tmp, { write: true, create: true, truncate: true });
    try {
      let off = 0;
      while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
      await this.#gate.syncAsync(() => f.syncData());
    } finally {
      f.close();
    }
    this.#sys.renameSync(tmp, join(this.path, name));
    if (!SYNC_DIRS) return;
    const d = this.#sys.openSync(this.path);
    try {
      await this.#gate.syncAsync(() => d.sync());
    } finally {
      d.close();
    }
  }
  remove(name: string): void {
    this.#gate.check();
    try {
      this.#sys.removeSync(join(this.path, name));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  list(): string[] {
    const out: string[] = [];
    for (const e of this.#sys.readDirSync(this.path)) if (e.isFile) out.push(e.name);
    return out;
  }
  totalSize(): number {
    let n = 0;
    for (const e of this.#sys.readDirSync(this.path)) {
      if (!e.isFile) continue;
      try {
        n += this.#sys.statSync(join(this.path, e.name)).size;
      } catch { /* removed meanwhile */ }
    }
    return n;
  }
  async syncDirAsync(): Promise<void> {
    if (!SYNC_DIRS) return;
    const d = await this.#sys.open(this.path);
    try {
      await this.#gate.syncAsync(() => d.sync());
    } finally {
      d.close();
    }
  }
  syncDir(): void {
    this.#gate.sync(() => syncDir(this.#sys, this.path));
  }
}

class MemData {
  buf: Uint8Array = new Uint8Array(256);
  len = 0;
}

class MemFile implements LsmFile {
  #d: MemData;
  #written: { bytes: number };
  constructor(d: MemData, written: { bytes: number }) {
    this.#d = d;
    this.#written = written;
  }
  append(bytes: Uint8Array): void {
    this.#written.bytes += bytes.length;
    const d = this.#d;
    if (d.len + bytes.length > d.buf.length) {
      let cap = d.buf.length * 2;
      while (cap < d.len + bytes.length) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(d.buf.subarray(0, d.len));
      d.buf = next;
    }
    d.buf.set(bytes, d.len);
    d.len += bytes.length;
  }
  readAt(pos: number, len: number): Uint8Array {
    const d = this.#d;
    const end = Math.min(d.len, pos + len);
    return d.buf.slice(Math.min(pos, end), end);
  }
  size(): number {
    return this.#d.len;
  }
  resumeAt(end: number): void {
    this.#d.len = Math.min(this.#d.len, end);
  }
  syncData(): Promise<void> {
    return Promise.resolve();
  }
  syncDataSync(): void {}
  close(): void {}
}

/** A directory held in memory: the same engine code, no disk. */
export class MemFs implements LsmFs {
  readonly path = ":memory:";
  readonly inMemory = true;
  readonly written: { bytes: number } = { bytes: 0 };
  #files = new Map<string, MemData>();
  exists(name: string): boolean {
    return this.#files.has(name);
  }
  create(name: string): LsmFile {
    const d = new MemData();
    this.#files.set(name, d);
    return new MemFile(d, this.written);
  }
  open(name: string, _write: boolean): LsmFile {
    const d = this.#files.get(name);
    if (!d) throw new Deno.errors.NotFound(`no file ${name} in memory`);
    return new MemFile(d, this.written);
  }
  readFile(name: string): Uint8Array {
    const d = this.#files.get(name);
    if (!d) throw new Deno.errors.NotFound(`no file ${name} in memory`);
    return d.buf.slice(0, d.len);
  }
  writeFileAtomic(name: string, bytes: Uint8Array): void {
    this.written.bytes += bytes.length;
    const d = new MemData();
    d.buf = bytes.slice();
    d.len = bytes.length;
    this.#files.set(name, d);
  }
  writeFileAtomicAsync(name: string, bytes: Uint8Array): Promise<void> {
    this.writeFileAtomic(name, bytes);
    return Promise.resolve();
  }
  remove(name: string): void {
    this.#files.delete(name);
  }
  list(): string[] {
    return [...this.#files.keys()];
  }
  totalSize(): number {
    return 0;
  }
  syncDir(): void {}
  syncDirAsync(): Promise<void> {
    return Promise.resolve();
  }
}
