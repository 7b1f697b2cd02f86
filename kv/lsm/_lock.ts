// One writer per store directory: an in-process registry of open paths plus
// an advisory lock on the LOCK file (exclusive for writers, shared for
// read-only opens), so a second writer fails fast with `Locked`, also from
// another process.
import { StoreError } from "../../core/error.ts";

const held = new Map<string, { writer: boolean; readers: number }>();

/** A held directory lock. */
export interface DirLock {
  release(): void;
}

/** Takes the lock of the store directory `dir` or throws `Locked`. */
export function lockDir(dir: string, exclusive: boolean): DirLock {
  const real = Deno.realPathSync(dir);
  const path = `${real}/LOCK`;
  // The writer's pid is in the LOCK file: the error says who holds the store.
  const holder = () => {
    try {
      const pid = Deno.readTextFileSync(path).trim();
      return /^\d+$/.test(pid)
        ? ` (process ${pid}${Number(pid) === Deno.pid ? ", this one" : ""})`
        : "";
    } catch {
      return "";
    }
  };
  const locked = () =>
    new StoreError(
      "Locked",
      `Cannot open LSM store at ${dir}${exclusive ? " for writing" : ""}: another ${
        exclusive ? "handle" : "writer"
      } holds it open${holder()}; the LSM engine takes one writer at a time (the B-tree takes many)`,
    );
  const entry = held.get(real) ?? { writer: false, readers: 0 };
  if (entry.writer || (exclusive && entry.readers > 0)) throw locked();
  let file: Deno.FsFile | undefined;
  try {
    file = Deno.openSync(
      path,
      exclusive ? { read: true, write: true, create: true } : {
        read: true,
      },
    );
  } catch (err) {
    if (exclusive || !(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (file && !file.tryLockSync(exclusive)) {
    file.close();
    throw locked();
  }
  if (file && exclusive) {
    try {
      file.truncateSync(0);
      file.writeSync(new TextEncoder().encode(`${Deno.pid}\n`));
    } catch { /* the pid is only for messages */ }
  }
  if (exclusive) entry.writer = true;
  else entry.readers++;
  held.set(real, entry);
  let done = false;
  return {
    release() {
      if (done) return;
      done = true;
      if (exclusive) entry.writer = false;
      else entry.readers--;
      if (!entry.writer && entry.readers === 0) held.delete(real);
      try {
        file?.unlockSync();
      } catch { /* closing releases it too */ }
      file?.close();
    },
  };
}
