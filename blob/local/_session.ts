/**
 * Process-safe bookkeeping of a LocalBlobStore: a private temp directory per
 * open store (so two writers never share a temp name, and a crashed writer's
 * leftovers can be told from a live one's), and striped key locks shared by
 * every process that opens the same root.
 *
 * Layout under the store's private directory (`.oxistore/`):
 * - `tmp/<session>.lock` — held (flock) while the session lives
 * - `tmp/<session>/`     — that session's temp files
 * - `lock/<00..3f>`      — key lock stripes (flock), picked by a hash of the key
 *
 * @module
 */
import { join } from "node:path";
import { Mutex } from "../../core/mutex.ts";

/** The temp area of one open store. */
export class TempSession {
  private constructor(
    readonly dir: string,
    readonly lockPath: string,
    readonly lockFile: Deno.FsFile,
  ) {}

  /** Cleans temp files of dead sessions in `tmp`, then starts a new session there. */
  static async start(tmp: string): Promise<TempSession> {
    await Deno.mkdir(tmp, { recursive: true });
    await cleanStale(tmp);
    for (;;) {
      const id = crypto.randomUUID();
      const lockPath = join(tmp, `${id}.lock`);
      const file = await Deno.open(lockPath, { createNew: true, write: true });
      await file.lock(true);
      // A cleaner may have taken and deleted the file before we locked it.
      const [held, named] = await Promise.all([file.stat(), Deno.stat(lockPath).catch(() => null)]);
      if (named && named.ino === held.ino && named.dev === held.dev) {
        const dir = join(tmp, id);
        await Deno.mkdir(dir);
        return new TempSession(dir, lockPath, file);
      }
      file.close();
    }
  }

  /** A fresh temp file path inside this session. */
  tempPath(): string {
    return join(this.dir, crypto.randomUUID());
  }

  #discarding = new Set<Promise<void>>();

  /**
   * Gives the file at `path` (if any) a second name in this session's temp
   * directory, so that replacing it by a rename does not free its blocks on
   * the caller's thread; {@link discardLater} then frees them in the
   * background. Returns the second name, or undefined if there is no file.
   */
  setAside(path: string): string | undefined {
    const aside = this.tempPath();
    try {
      Deno.linkSync(path, aside);
      return aside;
    } catch {
      return undefined; // no file there (or no hard links here): nothing to set aside
    }
  }

  /** Removes a set-aside name in the background (awaited by {@link end}). */
  discardLater(aside: string): void {
    const p: Promise<void> = Deno.remove(aside).catch(() => {}).finally(() => {
      this.#discarding.delete(p);
    });
    this.#discarding.add(p);
  }

  /** Removes the session's temp files and releases its lock. */
  async end(): Promise<void> {
    await Promise.all(this.#discarding);
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
    await Deno.remove(this.lockPath).catch(() => {});
    try {
      this.lockFile.close();
    } catch {
      // already closed
    }
  }
}

/** Removes temp directories whose session lock nobody holds. */
async function cleanStale(tmp: string): Promise<void> {
  const locks = new Set<string>();
  const dirs: string[] = [];
  for await (const e of Deno.readDir(tmp)) {
    if (e.isFile && e.name.endsWith(".lock")) locks.add(e.name.slice(0, -5));
    else dirs.push(e.name);
  }
  for (const id of locks) {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(join(tmp, `${id}.lock`), { write: true });
    } catch {
      continue;
    }
    try {
      if (await file.tryLock(true)) {
        await Deno.remove(join(tmp, id), { recursive: true }).catch(() => {});
        await Deno.remove(join(tmp, `${id}.lock`)).catch(() => {});
      }
    } finally {
      file.close();
    }
  }
  // A directory without a lock file belongs to no live session: the lock file
  // is created (and locked) before its directory, and removed after it.
  for (const name of dirs) {
    if (!locks.has(name)) await Deno.remove(join(tmp, name), { recursive: true }).catch(() => {});
  }
}

// Enough to keep unrelated keys apart; each open stripe costs one file descriptor.
const STRIPES = 64;

function stripeOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % STRIPES;
}

/**
 * Exclusive per-key locks across processes: an in-process FIFO mutex per
 * stripe, then an flock on that stripe's file.
 */
export class KeyLocks {
  readonly #dir: string;
  #files = new Map<number, Deno.FsFile>();
  #mutexes = new Map<number, Mutex>();
  #ready: Promise<void> | undefined;

  /** @param dir the directory of the stripe files (shared by every opener) */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Runs `fn` holding the locks of every key (taken in stripe order). */
  async withKeys<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    this.#ready ??= Deno.mkdir(this.#dir, { recursive: true });
    await this.#ready;
    const stripes = [...new Set(keys.map(stripeOf))].sort((a, b) => a - b);
    const run = async (i: number): Promise<T> => {
      if (i === stripes.length) return await fn();
      return await this.#hold(stripes[i]!, () => run(i + 1));
    };
    return await run(0);
  }

  async #hold<T>(stripe: number, fn: () => Promise<T>): Promise<T> {
    let mutex = this.#mutexes.get(stripe);
    if (!mutex) this.#mutexes.set(stripe, mutex = new Mutex());
    return await mutex.run(async () => {
      let file = this.#files.get(stripe);
      if (!file) {
        const name = stripe.toString(16).padStart(2, "0");
        file = await Deno.open(join(this.#dir, name), { create: true, write: true });
        this.#files.set(stripe, file);
      }
      // Uncontended, the lock is taken without a trip to the blocking thread pool.
      if (!file.tryLockSync(true)) await file.lock(true);
      try {
        return await fn();
      } finally {
        file.unlockSync();
      }
    });
  }

  /** Closes the stripe files. */
  close(): void {
    for (const f of this.#files.values()) {
      try {
        f.close();
      } catch {
        // already closed
      }
    }
    this.#files.clear();
  }
}
