// The simulated disk under code that changes files through core's `FsCalls`
// but reads some of them straight from Deno (a local PartitionedDataset: its
// manifest and Parquet files are written through `FsCalls`, the Parquet
// reader opens them itself). Each changing call is made on the simulated disk
// first (counted, where a planned power cut or fault hits it) and then on the
// real directory; after a cut the real directory is rewritten to exactly what
// the simulated disk kept.
import type { FileCalls, FsCalls } from "../../core/_fs_calls.ts";
import type { SimDisk } from "./sim_disk.ts";
import { discardReal } from "./sim_local_fs.ts";

/** A file open on both disks: writes go to both, syncs to the simulated one only. */
class MirroredFile {
  constructor(readonly sim: FileCalls, readonly real: Deno.FsFile | undefined) {}
  seekSync(offset: number | bigint, whence: Deno.SeekMode): number {
    this.real?.seekSync(offset, whence);
    return this.sim.seekSync(offset, whence);
  }
  readSync(buf: Uint8Array): number | null {
    return this.sim.readSync(buf);
  }
  writeSync(bytes: Uint8Array): number {
    const n = this.sim.writeSync(bytes);
    let at = 0;
    while (this.real && at < n) at += this.real.writeSync(bytes.subarray(at, n));
    return n;
  }
  syncDataSync(): void {
    this.sim.syncDataSync();
  }
  syncSync(): void {
    this.sim.syncSync();
  }
  syncData(): Promise<void> {
    return this.sim.syncData();
  }
  sync(): Promise<void> {
    return this.sim.sync();
  }
  statSync(): Deno.FileInfo {
    return this.sim.statSync();
  }
  truncateSync(len?: number): void {
    this.sim.truncateSync(len);
    this.real?.truncateSync(len);
  }
  tryLockSync(exclusive?: boolean): boolean {
    return this.sim.tryLockSync(exclusive);
  }
  close(): void {
    this.sim.close();
    this.real?.close();
  }
}

/** `FsCalls` over a simulated disk, mirrored to the real directory. */
export function mirroredFsCalls(disk: SimDisk): FsCalls {
  return {
    statSync: (path) => disk.statSync(path),
    realPathSync: (path) => disk.realPathSync(path),
    readFileSync: (path) => disk.readFileSync(path),
    readDirSync: (path) => disk.readDirSync(path),
    openSync(path, options) {
      const sim = disk.openSync(path, options);
      const writing = options?.write || options?.create || options?.createNew;
      const real = writing ? Deno.openSync(path, options) : undefined;
      return new MirroredFile(sim, real) as unknown as FileCalls;
    },
    open(path, options) {
      try {
        return Promise.resolve(this.openSync(path, options));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    renameSync(from, to) {
      disk.renameSync(from, to);
      Deno.renameSync(from, to);
    },
    removeSync(path) {
      disk.removeSync(path);
      Deno.removeSync(path);
    },
    mkdirSync(path, options) {
      disk.mkdirSync(path, options);
      Deno.mkdirSync(path, options);
    },
  };
}

/** After a power cut: power back on; the real `root` holds exactly what the disk kept. */
export function rebootFiles(disk: SimDisk, root: string): void {
  disk.reboot();
  discardReal(root, disk.base);
  const copy = (path: string) => {
    Deno.mkdirSync(path);
    for (const e of disk.readDirSync(path)) {
      const p = `${path}/${e.name}`;
      if (e.isDirectory) copy(p);
      else Deno.writeFileSync(p, disk.readFileSync(p));
    }
  };
  try {
    disk.statSync(root);
  } catch {
    disk.calls = 0;
    return;
  }
  copy(root);
  disk.calls = 0;
}
