// The file-system calls the on-disk engines make, as one object: Deno's own
// in production, a simulated disk in the fault tests (tests/faults/), which
// records every call and can cut the power or fail any of them. Going through
// an object costs one property load per system call.

/** The calls made on an open file (a `Deno.FsFile` satisfies it). */
export type FileCalls = Pick<
  Deno.FsFile,
  | "seekSync"
  | "readSync"
  | "writeSync"
  | "syncData"
  | "syncDataSync"
  | "sync"
  | "syncSync"
  | "statSync"
  | "truncateSync"
  | "tryLockSync"
  | "close"
>;

/** The path calls the engines make (the `Deno` namespace satisfies it). */
export interface FsCalls {
  statSync(path: string): { size: number; isDirectory: boolean };
  openSync(path: string, options?: Deno.OpenOptions): FileCalls;
  open(path: string, options?: Deno.OpenOptions): Promise<FileCalls>;
  readFileSync(path: string): Uint8Array;
  renameSync(from: string, to: string): void;
  removeSync(path: string): void;
  readDirSync(path: string): Iterable<{ name: string; isFile: boolean }>;
  mkdirSync(path: string, options?: Deno.MkdirOptions): void;
  realPathSync(path: string): string;
}

/** The real file system. */
export const DENO_FS: FsCalls = Deno;

/** Windows cannot open a directory to fsync it (and its renames are already durable). */
export const SYNC_DIRS: boolean = Deno.build.os !== "windows";

/** The directory holding `path`. */
export function parentDir(path: string): string {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  const at = trimmed.lastIndexOf("/");
  if (at < 0) return ".";
  return at === 0 ? "/" : trimmed.slice(0, at);
}

/** fsyncs the directory `dir`, making the names in it (new files, renames) durable. */
export function syncDir(fs: FsCalls, dir: string): void {
  if (!SYNC_DIRS) return;
  const d = fs.openSync(dir);
  try {
    d.syncSync();
  } finally {
    d.close();
  }
}

/**
 * Creates the directory `path` and any missing parents, and fsyncs the parent
 * of each one it created, so the new directory survives a power cut.
 */
export function makeDirDurable(fs: FsCalls, path: string): void {
  const created: string[] = [];
  for (let p = path; !exists(fs, p); p = parentDir(p)) {
    created.push(p);
    if (parentDir(p) === p) break;
  }
  fs.mkdirSync(path, { recursive: true });
  for (const dir of created.reverse()) syncDir(fs, parentDir(dir));
}

function exists(fs: FsCalls, path: string): boolean {
  try {
    fs.statSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
