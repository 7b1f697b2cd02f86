// The simulated disk under a LocalBlobStore. The store changes the disk only
// through its `LocalFs` calls but reads (get, head, list, the directory walk)
// straight from Deno, so this adapter mirrors: each call is made on the
// simulated disk first (where it is counted, and where a planned power cut or
// fault hits it) and then on the real directory. After a power cut the real
// store directory is rewritten from what the simulated disk kept, so the
// reopened store reads exactly the durable image.
//
// The store ties a sidecar to its content file by inode, size and mtime, so
// the rewrite keeps them: every file the simulated disk holds has a hard link
// under `base`/.inodes, named by its simulated inode; the rewrite links it back
// into place and, where the cut changed its bytes, writes them into that same
// inode and puts its mtime back.
//
// Files the store writes around `LocalFs` (its listing index under `~index/`,
// the upgrade lock) are never fsynced, so losing them at a cut is one outcome
// a real disk may show; the rewrite drops them.
import type { LocalFs, WritableFile } from "../../blob/local_blob_store.ts";
import type { FileCalls } from "../../core/_fs_calls.ts";
import type { SimDisk } from "./sim_disk.ts";

function inodeId(f: unknown): number {
  return (f as { inode: { id: number } }).inode.id;
}

function inodesDir(disk: SimDisk): string {
  return `${disk.base}/.inodes`;
}

/** Keeps the real file at `path` by the simulated file's inode id. */
function keepInode(disk: SimDisk, path: string, id: number): void {
  Deno.mkdirSync(inodesDir(disk), { recursive: true });
  Deno.linkSync(path, `${inodesDir(disk)}/${id}`);
}

/** A file open on both disks. */
class MirroredFile implements WritableFile {
  constructor(readonly sim: FileCalls, readonly real: Deno.FsFile) {}
  writeSync(bytes: Uint8Array): number {
    const n = this.sim.writeSync(bytes);
    let at = 0;
    while (at < n) at += this.real.writeSync(bytes.subarray(at, n));
    return n;
  }
  write(bytes: Uint8Array): Promise<number> {
    try {
      return Promise.resolve(this.writeSync(bytes));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  seekSync(offset: number, whence: Deno.SeekMode): number {
    this.sim.seekSync(offset, whence);
    return this.real.seekSync(offset, whence);
  }
  // The real file is not synced: durability is the simulated disk's to decide.
  syncData(): Promise<void> {
    try {
      this.sim.syncDataSync();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }
  stat(): Promise<Deno.FileInfo> {
    return this.real.stat();
  }
  close(): void {
    this.real.close();
  }
}

/**
 * Brings `path` (and its parents) from the real disk onto the simulated one
 * when only the real one has it: the store made it around `LocalFs` (its temp
 * session directory, the format file it renames into place). It arrives as
 * never synced, and the adoption is no call of the workload.
 */
function adopt(disk: SimDisk, path: string): void {
  const saved = {
    cutAt: disk.cutAt,
    faultAt: disk.faultAt,
    record: disk.record,
    calls: disk.calls,
  };
  disk.cutAt = Infinity;
  disk.faultAt = -1;
  disk.record = false;
  try {
    const ps = path.split("/").filter((p) => p !== "");
    for (let i = 1; i <= ps.length; i++) {
      const p = "/" + ps.slice(0, i).join("/");
      try {
        disk.statSync(p);
        continue;
      } catch { /* missing on the simulated disk */ }
      let st: Deno.FileInfo;
      try {
        st = Deno.lstatSync(p);
      } catch {
        return;
      }
      if (st.isDirectory) disk.mkdirSync(p);
      else {
        const f = disk.openSync(p, { createNew: true, write: true });
        f.writeSync(Deno.readFileSync(p));
        keepInode(disk, p, inodeId(f));
      }
    }
  } finally {
    Object.assign(disk, saved);
  }
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

/** `LocalFs` over a simulated disk, mirrored to the real directory the store reads. */
export function mirroredFs(disk: SimDisk): LocalFs {
  return {
    async createNew(path) {
      adopt(disk, parentOf(path));
      const sim = disk.openSync(path, { createNew: true, write: true, read: true });
      const real = await Deno.open(path, { createNew: true, write: true, read: true });
      keepInode(disk, path, inodeId(sim));
      return new MirroredFile(sim, real);
    },
    async rename(from, to) {
      adopt(disk, from);
      adopt(disk, parentOf(to));
      disk.renameSync(from, to);
      await Deno.rename(from, to);
    },
    async remove(path) {
      adopt(disk, path);
      const st = disk.statSync(path);
      // A directory the store hopes is empty: let the real disk give the real error.
      if (st.isDirectory && [...disk.readDirSync(path)].length > 0) await Deno.remove(path);
      disk.removeSync(path);
      await Deno.remove(path);
    },
    async mkdir(path) {
      adopt(disk, parentOf(path));
      disk.mkdirSync(path);
      await Deno.mkdir(path);
    },
    syncDir(path) {
      try {
        adopt(disk, path);
        (disk.openSync(path) as unknown as { syncSync(): void }).syncSync();
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
}

/**
 * After a power cut: power back on and make the real `root` hold exactly
 * what the simulated disk kept under it (nothing, if the cut lost it).
 */
export function rebootTo(disk: SimDisk, root: string): void {
  disk.reboot();
  discardReal(root, disk.base);
  const copy = (path: string) => {
    Deno.mkdirSync(path);
    for (const e of disk.readDirSync(path)) {
      const p = `${path}/${e.name}`;
      if (e.isDirectory) copy(p);
      else restore(p);
    }
  };
  const restore = (p: string) => {
    const bytes = disk.readFileSync(p);
    const kept = `${inodesDir(disk)}/${inodeId(disk.openSync(p))}`;
    const st = Deno.statSync(kept);
    const now = Deno.readFileSync(kept);
    if (now.length !== bytes.length || now.some((b, i) => b !== bytes[i])) {
      Deno.writeFileSync(kept, bytes);
      Deno.utimeSync(kept, st.atime ?? new Date(), st.mtime ?? new Date());
    }
    Deno.linkSync(kept, p);
  };
  let exists = true;
  try {
    disk.statSync(root);
  } catch {
    exists = false;
  }
  if (exists) copy(root);
  disk.calls = 0;
}

let discarded = 0;

/**
 * Moves `path` out of the way on the real disk, if it is there, into
 * `base`/.trash (removed with `base`): a rename is cheap where a recursive
 * remove between every two crash points cost half of the run's time.
 */
export function discardReal(path: string, base: string): void {
  Deno.mkdirSync(`${base}/.trash`, { recursive: true });
  try {
    Deno.renameSync(path, `${base}/.trash/${++discarded}`);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}
