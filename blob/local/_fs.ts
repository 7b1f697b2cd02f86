/**
 * The file calls by which LocalBlobStore changes the disk, as one small
 * interface, so a test can put a simulated disk under the store (inject a
 * failing fsync, cut the power after call k). Reads and directory walks go
 * straight to Deno: they change nothing a crash could lose.
 *
 * Durability rules the store follows on top of these calls:
 * - a file is fsynced before it is renamed into place;
 * - a rename (or unlink) is durable once its directory is fsynced;
 * - a new directory is durable once its parent is fsynced, so creating
 *   `a/b/c` fsyncs `a`'s parent, `a` and `a/b` in turn (see {@link makeDirs});
 * - a failed directory fsync fails the operation with `Io`: nothing is
 *   reported durable that may not be.
 *
 * @module
 */
import { dirname } from "node:path";
import { StoreError } from "../../core/error.ts";

/** A file open for writing (the part of `Deno.FsFile` the store uses). */
export interface WritableFile {
  /** Writes some of `bytes`; returns how many. */
  write(bytes: Uint8Array): Promise<number>;
  /** Writes some of `bytes` synchronously; returns how many. */
  writeSync(bytes: Uint8Array): number;
  /** Moves the file offset; returns the new one. */
  seekSync(offset: number, whence: Deno.SeekMode): number;
  /** fdatasync: the file's data and size on the disk (times may lag). */
  syncData(): Promise<void>;
  /** The open file's stat (inode, size, mtime). */
  stat(): Promise<Deno.FileInfo>;
  /** Closes the file. */
  close(): void;
}

/**
 * Every call by which a `LocalBlobStore` changes the disk. Pass one as
 * the `fs` option to put a simulated disk under the store (tests); the
 * default is the real disk.
 *
 * @example
 * ```ts
 * import { LocalBlobStore, type LocalFs } from "@cooljapan/oxistore/blob";
 * import { strictEqual } from "node:assert/strict";
 * // A disk whose directory fsyncs fail: no write is reported durable.
 * const failing: LocalFs = {
 *   createNew: (path) => Deno.open(path, { createNew: true, write: true, read: true }),
 *   rename: (from, to) => Deno.rename(from, to),
 *   remove: (path) => Deno.remove(path),
 *   mkdir: (path) => Deno.mkdir(path),
 *   syncDir: () => Promise.reject(new Error("EIO")),
 * };
 * const root = await Deno.makeTempDir();
 * const kind = await LocalBlobStore.open(`${root}/store`, { fs: failing }).catch((e) => e.kind);
 * strictEqual(kind, "Io");
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export interface LocalFs {
  /** Creates a new file for writing (fails if it exists). */
  createNew(path: string): Promise<WritableFile>;
  /** Renames a file or directory (replacing a file at `to`). */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file or an empty directory. */
  remove(path: string): Promise<void>;
  /** Creates one directory (its parent exists). */
  mkdir(path: string): Promise<void>;
  /** fsyncs a directory, making the names in it durable. */
  syncDir(path: string): Promise<void>;
}

/** The real disk. */
export const denoFs: LocalFs = {
  createNew: (path) => Deno.open(path, { createNew: true, write: true, read: true }),
  rename: (from, to) => Deno.rename(from, to),
  remove: (path) => Deno.remove(path),
  mkdir: (path) => Deno.mkdir(path),
  async syncDir(path) {
    const f = await Deno.open(path, { read: true });
    try {
      await f.sync();
    } finally {
      f.close();
    }
  },
};

/** fsyncs a directory; any failure is `Io` naming the directory. */
export async function syncDir(fs: LocalFs, dir: string): Promise<void> {
  try {
    await fs.syncDir(dir);
  } catch (err) {
    throw new StoreError("Io", `Cannot make the entries of directory ${dir} durable (fsync)`, {
      cause: err,
    });
  }
}

function isMissing(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound;
}

/**
 * Creates `dir` and any missing parents (up to, not above, `top`, which must
 * exist), fsyncing the parent of each directory it created, so every new
 * name is durable when this resolves. Returns whether it created anything.
 * A path component that is a file throws Deno's `NotADirectory` or
 * `AlreadyExists` for the caller to explain.
 */
export async function makeDirs(fs: LocalFs, top: string, dir: string): Promise<boolean> {
  const missing: string[] = [];
  for (let d = dir; d !== top && d.length > top.length; d = dirname(d)) {
    try {
      const st = Deno.lstatSync(d);
      if (st.isDirectory) break;
      throw new Deno.errors.NotADirectory(`${d} is not a directory`);
    } catch (err) {
      if (!isMissing(err)) throw err;
      missing.push(d);
    }
  }
  if (missing.length === 0) return false;
  for (const d of missing.reverse()) {
    try {
      await fs.mkdir(d);
    } catch (err) {
      // Another writer made it meanwhile: it fsyncs the parent, but so do we.
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
    await syncDir(fs, dirname(d));
  }
  return true;
}
