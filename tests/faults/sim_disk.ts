// A simulated disk for the fault tests: an in-memory file system with the
// `FsCalls` shape (core/_fs_calls.ts) that the on-disk engines use, so the
// engines' own file code runs on it unchanged. It keeps, for every file, what
// the page cache holds and what is durable, and for every directory the names
// it holds and the names that are durable. It counts every call, and can
//  - cut the power after call k: everything not durable is lost (file data not
//    synced; new names, renames and unlinks whose directory was not synced),
//    and written sectors not synced come back old or new, each on its own,
//  - fail call k with EIO or ENOSPC (a failed fsync also forgets the dirty
//    data, as Linux does: a later fsync succeeds without writing it),
//  - refuse to grow files past a capacity (a full disk) until it is raised.
// Other engines' tests (blob store, dataset manifest) can adopt it the same way.
import type { FileCalls, FsCalls } from "../../core/_fs_calls.ts";
import { seededRandom as rng } from "../_support/random.ts";

/** The sector a power cut tears writes at. */
export const SECTOR = 512;

/** Thrown by every call once the power is off (and by handles from before a reboot). */
export class PowerCut extends Error {
  constructor() {
    super("simulated power cut");
    this.name = "PowerCut";
  }
}

/** What a call does to the disk; faults are chosen by it. */
export type CallKind =
  | "read"
  | "write"
  | "sync"
  | "dirsync"
  | "create"
  | "rename"
  | "unlink"
  | "mkdir"
  | "truncate";

/** One recorded call. */
export interface Call {
  n: number;
  kind: CallKind;
  path: string;
}

/** An injected error: its errno code. */
export type FaultCode = "EIO" | "ENOSPC";

/**
 * How a cut treats data not yet durable: `drop` loses all of it except the
 * write in flight, which is torn per sector; `scatter` keeps each dirty sector
 * old or new at random (the OS may have written any of them back) and each
 * unsynced name change (create, rename, unlink) of a directory or not, each
 * on its own (POSIX promises no order); `kill` is a process crash (kill -9):
 * the process stops, the OS keeps everything it was handed.
 */
export type CutMode = "drop" | "scatter" | "kill";

let inodes = 0;

class Inode {
  /** Which file this is; kept by a cut, so a mirror of the disk can keep inode numbers. */
  id = ++inodes;
  data = new Uint8Array(0);
  size = 0;
  durable = new Uint8Array(0);
  durableSize = 0;
  dirty = new Set<number>();
  inflight = new Set<number>();
  sizeDirty = false;
}

/** A name change: `name` now names `node` (undefined: unlinked); a rename also unlinks `from`. */
type DirOp = { name: string; node: Node | undefined; from?: string };

class Dir {
  entries = new Map<string, Node>();
  durable = new Map<string, Node>();
  pending: DirOp[] = [];
  set(name: string, node: Node | undefined, from?: string): void {
    if (from !== undefined) this.entries.delete(from);
    if (node === undefined) this.entries.delete(name);
    else this.entries.set(name, node);
    this.pending.push(from === undefined ? { name, node } : { name, node, from });
  }
}

type Node = Inode | Dir;

function errno(code: FaultCode | "ENOENT" | "EEXIST", what: string): Error {
  if (code === "ENOENT") return new Deno.errors.NotFound(`${what}: no such file (simulated)`);
  if (code === "EEXIST") return new Deno.errors.AlreadyExists(`${what}: exists (simulated)`);
  const text = code === "EIO"
    ? "Input/output error (os error 5)"
    : "No space left on device (os error 28)";
  return Object.assign(new Error(`${text}: ${what} (simulated)`), { code });
}

// The tests' one seeded PRNG (tests/_support/random.ts), so every run of a point is the same.
export { rng };

/** The simulated disk. `base` is created durable (the directory the test owns). */
export class SimDisk implements FsCalls {
  #root = new Dir();
  #gen = 0;
  #dead = false;
  /** Calls made since the disk was made or rebooted. */
  calls = 0;
  /** Every call, when `record` is on. */
  readonly log: Call[] = [];
  record = false;
  /** Cut the power when call number `cutAt` starts (calls before it completed). */
  cutAt = Infinity;
  cutMode: CutMode = "drop";
  /** Fail call number `faultAt` with `faultCode`. */
  faultAt = -1;
  faultCode: FaultCode = "EIO";
  /** Which calls a planned fault may hit; others pass (a fault at them is skipped). */
  faultKinds: ReadonlySet<CallKind> | undefined;
  /** The call a fault hit, if one did. */
  faulted: Call | undefined;
  /** Bytes all files may hold together; growth past it is ENOSPC. */
  capacity = Infinity;
  /**
   * While true, the asynchronous syncs (`syncData()`/`sync()` of a file or
   * directory, which Deno runs in its thread pool) wait in a queue until
   * {@link releaseSyncs}: the test chooses the order the pool finishes them
   * in, and what other openers do meanwhile.
   */
  holdSyncs = false;
  #held: { run: () => void; resolve: () => void; reject: (err: unknown) => void }[] = [];
  #random: () => number;

  constructor(readonly base: string, seed = 1) {
    this.#random = rng(seed);
    let dir = this.#root;
    for (const part of parts(base)) {
      const next = new Dir();
      dir.entries.set(part, next);
      dir.durable.set(part, next);
      dir = next;
    }
  }

  /** True once the power was cut (until {@link reboot}). */
  get dead(): boolean {
    return this.#dead;
  }

  /**
   * Power back on (or, after a `kill` cut, the process restarted): what the
   * cut kept is all there is; handles from before are stale.
   */
  reboot(): void {
    this.#dropHeld();
    this.#dead = false;
    this.#gen++;
    this.calls = 0;
    this.cutAt = Infinity;
    this.faultAt = -1;
    this.faulted = undefined;
  }

  /** Cuts the power now (as if at the next call). */
  cut(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#dropHeld();
    if (this.cutMode === "kill") return;
    const images = new Map<Inode, Inode>();
    const scatter = this.cutMode === "scatter";
    const random = this.#random;
    const image = (f: Inode): Inode => {
      let out = images.get(f);
      if (out) return out;
      out = new Inode();
      out.id = f.id;
      const size = f.sizeDirty && random() < 0.5 ? f.size : f.durableSize;
      const data = new Uint8Array(size);
      data.set(f.durable.subarray(0, Math.min(size, f.durableSize)));
      for (const s of f.dirty) {
        const keep = f.inflight.has(s) || scatter ? random() < 0.5 : false;
        const at = s * SECTOR;
        if (!keep || at >= size) continue;
        data.set(f.data.subarray(at, Math.min(at + SECTOR, size, f.size)), at);
      }
      out.data = data;
      out.size = size;
      out.durable = data.slice();
      out.durableSize = size;
      images.set(f, out);
      return out;
    };
    const rebuild = (d: Dir): Dir => {
      const names = new Map(d.durable);
      if (scatter) {
        for (const op of d.pending) {
          if (random() < 0.5) continue;
          // A rename reaches the disk whole or not at all.
          if (op.from !== undefined) names.delete(op.from);
          if (op.node === undefined) names.delete(op.name);
          else names.set(op.name, op.node);
        }
      }
      const out = new Dir();
      for (const [name, node] of names) {
        const copy = node instanceof Dir ? rebuild(node) : image(node);
        out.entries.set(name, copy);
        out.durable.set(name, copy);
      }
      return out;
    };
    this.#root = rebuild(this.#root);
  }

  /** Syncs held now (see {@link holdSyncs}). */
  get heldSyncs(): number {
    return this.#held.length;
  }

  /** Runs the held syncs from number `from` on, newest first (the rest stay held). */
  releaseSyncs(from = 0): void {
    const run = this.#held.splice(from).reverse();
    for (const [i, h] of run.entries()) {
      try {
        h.run();
        h.resolve();
      } catch (err) {
        h.reject(err);
        // The power went: the ones not run yet fail with it.
        if (this.#dead) { for (const rest of run.slice(i + 1)) rest.reject(new PowerCut()); }
        if (this.#dead) return;
      }
    }
  }

  /** @internal An asynchronous sync: now, or held (see {@link holdSyncs}). */
  later(run: () => void): Promise<void> {
    if (!this.holdSyncs) return promised(run);
    return new Promise((resolve, reject) => this.#held.push({ run, resolve, reject }));
  }

  #dropHeld(): void {
    const held = this.#held;
    this.#held = [];
    for (const h of held) h.reject(new PowerCut());
  }

  /** Counts a call; cuts the power or fails it when planned. */
  #call(kind: CallKind, path: string, before?: () => void): void {
    this.#alive();
    const n = ++this.calls;
    if (this.record) this.log.push({ n, kind, path });
    if (n >= this.cutAt) {
      // The write in flight at the cut reaches the cache; the cut tears it.
      before?.();
      this.cut();
      throw new PowerCut();
    }
    if (n === this.faultAt && (this.faultKinds === undefined || this.faultKinds.has(kind))) {
      this.faulted = { n, kind, path };
      throw errno(this.faultCode, `${kind} ${path}`);
    }
  }

  #alive(gen = this.#gen): void {
    if (this.#dead || gen !== this.#gen) throw new PowerCut();
  }

  #lookup(path: string): Node | undefined {
    let node: Node = this.#root;
    for (const part of parts(path)) {
      if (!(node instanceof Dir)) return undefined;
      const next: Node | undefined = node.entries.get(part);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  #parent(path: string): [Dir, string] {
    const ps = parts(path);
    const name = ps.pop();
    const dir = this.#lookup("/" + ps.join("/"));
    if (name === undefined || !(dir instanceof Dir)) throw errno("ENOENT", path);
    return [dir, name];
  }

  /** Bytes all files hold now. */
  used(): number {
    let n = 0;
    const walk = (d: Dir) => {
      for (const node of d.entries.values()) node instanceof Dir ? walk(node) : (n += node.size);
    };
    walk(this.#root);
    return n;
  }

  /** The names under `path` (files and directories), for test messages. */
  names(path: string): string[] {
    const d = this.#lookup(path);
    return d instanceof Dir ? [...d.entries.keys()].sort() : [];
  }

  // ------------------------------------------------------------ FsCalls

  statSync(path: string): { size: number; isDirectory: boolean; isFile: boolean } {
    this.#alive();
    const node = this.#lookup(path);
    if (node === undefined) throw errno("ENOENT", `stat ${path}`);
    return node instanceof Dir
      ? { size: 4096, isDirectory: true, isFile: false }
      : { size: node.size, isDirectory: false, isFile: true };
  }

  realPathSync(path: string): string {
    this.statSync(path);
    return "/" + parts(path).join("/");
  }

  openSync(path: string, options: Deno.OpenOptions = { read: true }): FileCalls {
    this.#alive();
    let node = this.#lookup(path);
    if (node === undefined) {
      if (!options.create && !options.createNew) throw errno("ENOENT", `open ${path}`);
      const [dir, name] = this.#parent(path);
      this.#call("create", path);
      node = new Inode();
      dir.set(name, node);
    } else if (options.createNew) throw errno("EEXIST", `open ${path}`);
    if (node instanceof Dir) return new SimDirHandle(this, path, this.#gen) as unknown as FileCalls;
    if (options.truncate && node.size > 0) this.truncate(node, 0, path);
    return new SimFile(this, node, path, this.#gen) as unknown as FileCalls;
  }

  open(path: string, options?: Deno.OpenOptions): Promise<FileCalls> {
    try {
      return Promise.resolve(this.openSync(path, options));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  readFileSync(path: string): Uint8Array {
    this.#alive();
    const node = this.#lookup(path);
    if (node === undefined) throw errno("ENOENT", `read ${path}`);
    if (node instanceof Dir) throw errno("EIO", `read directory ${path}`);
    this.#call("read", path);
    return node.data.slice(0, node.size);
  }

  renameSync(from: string, to: string): void {
    this.#alive();
    const [fd, fname] = this.#parent(from);
    const node = fd.entries.get(fname);
    if (node === undefined) throw errno("ENOENT", `rename ${from}`);
    const [td, tname] = this.#parent(to);
    this.#call("rename", `${from} -> ${to}`);
    if (fd === td) td.set(tname, node, fname);
    else {
      fd.set(fname, undefined);
      td.set(tname, node);
    }
  }

  removeSync(path: string): void {
    this.#alive();
    const [dir, name] = this.#parent(path);
    const node = dir.entries.get(name);
    if (node === undefined) throw errno("ENOENT", `remove ${path}`);
    if (node instanceof Dir && node.entries.size > 0) throw errno("EIO", `remove ${path}`);
    this.#call("unlink", path);
    dir.set(name, undefined);
  }

  readDirSync(path: string): Iterable<{ name: string; isFile: boolean; isDirectory: boolean }> {
    this.#alive();
    const node = this.#lookup(path);
    if (!(node instanceof Dir)) throw errno("ENOENT", `read directory ${path}`);
    return [...node.entries].map(([name, n]) => ({
      name,
      isFile: !(n instanceof Dir),
      isDirectory: n instanceof Dir,
    }));
  }

  mkdirSync(path: string, options?: Deno.MkdirOptions): void {
    this.#alive();
    const ps = parts(path);
    let dir = this.#root;
    for (let i = 0; i < ps.length; i++) {
      const part = ps[i]!;
      const next = dir.entries.get(part);
      if (next instanceof Dir) {
        if (i === ps.length - 1 && !options?.recursive) throw errno("EEXIST", `mkdir ${path}`);
        dir = next;
        continue;
      }
      if (next !== undefined) throw errno("EEXIST", `mkdir ${path}`);
      if (i < ps.length - 1 && !options?.recursive) throw errno("ENOENT", `mkdir ${path}`);
      this.#call("mkdir", "/" + ps.slice(0, i + 1).join("/"));
      const made = new Dir();
      dir.set(part, made);
      dir = made;
    }
  }

  // ------------------------------------------------------------ file and directory calls

  /** @internal */
  read(f: Inode, pos: number, buf: Uint8Array, path: string, gen: number): number | null {
    this.#alive(gen);
    this.#call("read", path);
    if (pos >= f.size) return null;
    const n = Math.min(buf.length, f.size - pos);
    buf.set(f.data.subarray(pos, pos + n));
    return n;
  }

  /** @internal */
  write(f: Inode, pos: number, buf: Uint8Array, path: string, gen: number): number {
    this.#alive(gen);
    const end = pos + buf.length;
    const apply = (inflight: boolean) => {
      if (end > f.data.length) {
        const next = new Uint8Array(Math.max(end, f.data.length * 2));
        next.set(f.data.subarray(0, f.size));
        f.data = next;
      }
      f.data.set(buf, pos);
      if (end > f.size) {
        f.size = end;
        f.sizeDirty = true;
      }
      for (let s = Math.floor(pos / SECTOR); s * SECTOR < end; s++) {
        f.dirty.add(s);
        if (inflight) f.inflight.add(s);
      }
    };
    this.#call("write", path, () => apply(true));
    if (end > f.size && this.used() + (end - f.size) > this.capacity) {
      throw errno("ENOSPC", `write ${path}`);
    }
    apply(false);
    return buf.length;
  }

  /** @internal */
  truncate(f: Inode, len: number, path: string, gen = this.#gen): void {
    this.#alive(gen);
    this.#call("truncate", path);
    if (len > f.size && this.used() + (len - f.size) > this.capacity) {
      throw errno("ENOSPC", `truncate ${path}`);
    }
    if (len > f.data.length) {
      const next = new Uint8Array(len);
      next.set(f.data.subarray(0, f.size));
      f.data = next;
    } else f.data.fill(0, Math.min(len, f.size), f.size);
    for (
      let s = Math.floor(Math.min(len, f.size) / SECTOR);
      s * SECTOR < Math.max(len, f.size);
      s++
    ) {
      f.dirty.add(s);
    }
    f.size = len;
    f.sizeDirty = true;
  }

  /** @internal */
  sync(f: Inode, path: string, gen: number): void {
    this.#alive(gen);
    try {
      this.#call("sync", path);
    } catch (err) {
      // Linux marks the pages clean after a failed writeback: they are never written.
      if (!(err instanceof PowerCut)) {
        f.dirty.clear();
        f.inflight.clear();
        f.sizeDirty = false;
      }
      throw err;
    }
    if (f.durable.length < f.size) {
      const next = new Uint8Array(Math.max(f.size, f.durable.length * 2));
      next.set(f.durable.subarray(0, f.durableSize));
      f.durable = next;
    }
    for (const s of f.dirty) {
      const at = s * SECTOR;
      if (at < f.size) f.durable.set(f.data.subarray(at, Math.min(at + SECTOR, f.size)), at);
    }
    if (f.sizeDirty) {
      f.durable.fill(0, f.size);
      f.durableSize = f.size;
    }
    f.dirty.clear();
    f.inflight.clear();
    f.sizeDirty = false;
  }

  /** @internal */
  syncDirAt(path: string, gen: number): void {
    this.#alive(gen);
    const dir = this.#lookup(path);
    if (!(dir instanceof Dir)) throw errno("ENOENT", `fsync ${path}`);
    this.#call("dirsync", path);
    dir.durable = new Map(dir.entries);
    dir.pending = [];
  }

  /** @internal */
  checkGen(gen: number): void {
    this.#alive(gen);
  }
}

function parts(path: string): string[] {
  return path.split("/").filter((p) => p !== "" && p !== ".");
}

/** An open file on the simulated disk (the calls of `Deno.FsFile` the engines make). */
class SimFile {
  #pos = 0;
  constructor(
    readonly disk: SimDisk,
    readonly inode: Inode,
    readonly path: string,
    readonly gen: number,
  ) {}
  seekSync(offset: number | bigint, whence: Deno.SeekMode): number {
    this.disk.checkGen(this.gen);
    const base = whence === Deno.SeekMode.Start
      ? 0
      : whence === Deno.SeekMode.Current
      ? this.#pos
      : this.inode.size;
    this.#pos = base + Number(offset);
    return this.#pos;
  }
  readSync(buf: Uint8Array): number | null {
    const n = this.disk.read(this.inode, this.#pos, buf, this.path, this.gen);
    if (n !== null) this.#pos += n;
    return n;
  }
  writeSync(buf: Uint8Array): number {
    const n = this.disk.write(this.inode, this.#pos, buf, this.path, this.gen);
    this.#pos += n;
    return n;
  }
  syncDataSync(): void {
    this.disk.sync(this.inode, this.path, this.gen);
  }
  syncSync(): void {
    this.disk.sync(this.inode, this.path, this.gen);
  }
  syncData(): Promise<void> {
    return this.disk.later(() => this.syncDataSync());
  }
  sync(): Promise<void> {
    return this.disk.later(() => this.syncSync());
  }
  statSync(): { size: number; isFile: boolean; isDirectory: boolean } {
    this.disk.checkGen(this.gen);
    return { size: this.inode.size, isFile: true, isDirectory: false };
  }
  truncateSync(len = 0): void {
    this.disk.truncate(this.inode, len, this.path, this.gen);
  }
  tryLockSync(): boolean {
    return true;
  }
  close(): void {}
  [Symbol.dispose](): void {}
}

/** An open directory: only fsync does anything. */
class SimDirHandle {
  constructor(readonly disk: SimDisk, readonly path: string, readonly gen: number) {}
  syncSync(): void {
    this.disk.syncDirAt(this.path, this.gen);
  }
  sync(): Promise<void> {
    return this.disk.later(() => this.syncSync());
  }
  close(): void {}
}

function promised(call: () => void): Promise<void> {
  try {
    call();
    return Promise.resolve();
  } catch (err) {
    return Promise.reject(err);
  }
}
