/**
 * Where LocalBlobStore keys live on disk, and the moves that keep the tree
 * inside its root: directory checks against symlinks, rename into place,
 * pruning of emptied directories.
 *
 * @module
 */
import { join } from "node:path";
import { StoreError } from "../core/error.ts";
import { keyToParts } from "./_local_paths.ts";
import { syncDir } from "./_local_stream.ts";
import { checkBlobKey } from "./keys.ts";

/** A key's directory and file. */
export interface Place {
  key: string;
  dirs: string[];
  dir: string;
  file: string;
}

/** Path logic of one store root (`real` is the root's real path). */
export class LocalLayout {
  constructor(readonly real: string) {}

  /** Where a (checked) key lives. */
  place(key: string, op: string): Place {
    checkBlobKey(key, op);
    const { dirs, file } = keyToParts(key, op);
    const dir = join(this.real, ...dirs);
    return { key, dirs, dir, file: join(dir, file) };
  }

  /** Whether the key's directory exists inside the root (creating it if asked). */
  async dirOk(p: Place, create: boolean): Promise<boolean> {
    if (p.dirs.length === 0) return true;
    let real: string | undefined;
    for (let attempt = 0; real === undefined; attempt++) {
      try {
        // Sync: a few cached lookups, cheaper than a trip to the thread pool.
        real = Deno.realPathSync(p.dir);
      } catch (err) {
        const missing = err instanceof Deno.errors.NotFound ||
          err instanceof Deno.errors.NotADirectory;
        if (!missing) throw err;
        if (!create || attempt > 0) return false;
        // Usually the directory exists, so mkdir only when realPath says it does not.
        await Deno.mkdir(p.dir, { recursive: true });
      }
    }
    if (real !== p.dir) {
      throw new StoreError(
        "Corruption",
        `Refusing ${JSON.stringify(p.key)}: ${p.dir} leads outside the store (symlink)`,
      );
    }
    return true;
  }

  /** Whether a blob file is present (a symlink in its place is refused). */
  async present(p: Place): Promise<boolean> {
    if (!await this.dirOk(p, false)) return false;
    try {
      const st = await Deno.lstat(p.file);
      if (st.isSymlink) {
        throw new StoreError("Corruption", `Refusing ${JSON.stringify(p.key)}: it is a symlink`);
      }
      return st.isFile;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
        return false;
      }
      throw err;
    }
  }

  /** Renames into the key's directory, recreating it if a prune removed it. */
  async moveInto(from: string, p: Place): Promise<void> {
    for (let attempt = 0;; attempt++) {
      await this.dirOk(p, true);
      try {
        Deno.renameSync(from, p.file); // a metadata update, as cheap as the async op's hop
        break;
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound) || attempt >= 5) throw err;
      }
    }
    await syncDir(p.dir);
  }

  /** Removes now-empty directories above a deleted blob (best effort). */
  async prune(p: Place): Promise<void> {
    for (let i = p.dirs.length; i > 0; i--) {
      try {
        await Deno.remove(join(this.real, ...p.dirs.slice(0, i)));
      } catch {
        return;
      }
    }
  }
}
