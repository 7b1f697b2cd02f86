/**
 * Where LocalBlobStore keys live on disk, and the checks that keep the tree
 * inside its root.
 *
 * ```
 * <root>/<key>                              the content, byte for byte
 * <root>/.oxistore/format                   marks the root ("format 2")
 * <root>/.oxistore/meta/<escaped key>~blob  the sidecar (metadata, digest, etag)
 * <root>/.oxistore/meta/<escaped key>~next  a pending sidecar (a write in flight)
 * <root>/.oxistore/tmp/, lock/, index/      sessions, key locks, listing index
 * ```
 *
 * A key is a path of the file system, so a key and keys below it (`a` and
 * `a/b`) cannot both exist: the second write is `Unsupported`. The first
 * segment `.oxistore` is reserved.
 *
 * @module
 */
import { join } from "node:path";
import { StoreError } from "../../core/error.ts";
import { BLOB_SUFFIX, keyToParts, NEXT_SUFFIX } from "./_paths.ts";
import { type LocalFs, makeDirs, syncDir } from "./_fs.ts";
import { checkBlobKey } from "../keys.ts";

/** The store's private directory under the root. */
export const PRIVATE_DIR = ".oxistore";
const NAME_MAX = 255;
const encoder = new TextEncoder();

/** A key's content file and sidecars. */
export interface Place {
  key: string;
  /** Escaped directory names in the metadata tree. */
  dirs: string[];
  metaDir: string;
  sidecar: string;
  next: string;
  contentDir: string;
  content: string;
}

/** Path logic of one store root (`real` is the root's real path). */
export class LocalLayout {
  readonly meta: string;
  readonly private: string;

  constructor(readonly real: string, readonly fs: LocalFs) {
    this.private = join(real, PRIVATE_DIR);
    this.meta = join(this.private, "meta");
  }

  /** Where a (checked) key lives. */
  place(key: string, op: string): Place {
    checkBlobKey(key, op);
    const segs = key.split("/");
    if (segs[0] === PRIVATE_DIR) {
      throw new StoreError(
        "InvalidInput",
        `Cannot ${op}: key ${JSON.stringify(key)} starts with "${PRIVATE_DIR}/", ` +
          `reserved for the store's own files`,
      );
    }
    for (const seg of segs) {
      if (encoder.encode(seg).length > NAME_MAX) {
        throw new StoreError(
          "InvalidInput",
          `Cannot ${op}: a segment of key ${JSON.stringify(key.slice(0, 80))} is longer than ` +
            `a file name may be (${NAME_MAX} bytes)`,
        );
      }
    }
    const { dirs, file } = keyToParts(key, op);
    const metaDir = join(this.meta, ...dirs);
    const stem = file.slice(0, -BLOB_SUFFIX.length);
    const content = join(this.real, ...segs);
    return {
      key,
      dirs,
      metaDir,
      sidecar: join(metaDir, file),
      next: join(metaDir, stem + NEXT_SUFFIX),
      contentDir: join(this.real, ...segs.slice(0, -1)),
      content,
    };
  }

  /** Whether the key's content directory exists inside the root (no symlink on the way). */
  dirOk(p: Place): boolean {
    if (p.contentDir === this.real) return true;
    let real: string;
    try {
      real = Deno.realPathSync(p.contentDir);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
        return false;
      }
      throw err;
    }
    if (real !== p.contentDir) {
      throw new StoreError(
        "Corruption",
        `Refusing ${JSON.stringify(p.key)}: ${p.contentDir} leads outside the store (symlink)`,
      );
    }
    // A blob's file where the key needs a directory: no blob below it.
    return Deno.statSync(real).isDirectory;
  }

  /** Creates the key's directories in both trees (each new one made durable). */
  async prepare(p: Place, op: string): Promise<void> {
    if (!this.dirOk(p)) {
      try {
        await makeDirs(this.fs, this.real, p.contentDir);
      } catch (err) {
        if (err instanceof StoreError) throw err;
        if (err instanceof Deno.errors.NotADirectory || err instanceof Deno.errors.AlreadyExists) {
          throw conflict(op, p.key, "a blob above it is a file");
        }
        throw err;
      }
      this.dirOk(p);
    }
    await makeDirs(this.fs, this.private, p.metaDir);
    if (lstatOrUndefined(p.content)?.isDirectory) {
      // An empty directory (left by a crash before a prune) is no key.
      await this.fs.remove(p.content).catch(() => {});
      if (lstatOrUndefined(p.content)?.isDirectory) {
        throw conflict(op, p.key, "keys below it exist");
      }
    }
  }

  /** Moves a finished temp file to the key's content path and makes the rename durable. */
  async moveContent(from: string, p: Place): Promise<void> {
    await this.fs.rename(from, p.content);
    await syncDir(this.fs, p.contentDir);
  }

  /** Removes now-empty directories above a deleted blob in both trees (best effort). */
  async prune(p: Place): Promise<void> {
    const segs = p.key.split("/").slice(0, -1);
    for (let i = segs.length; i > 0; i--) {
      try {
        await this.fs.remove(join(this.meta, ...p.dirs.slice(0, i)));
      } catch {
        break;
      }
    }
    for (let i = segs.length; i > 0; i--) {
      try {
        await this.fs.remove(join(this.real, ...segs.slice(0, i)));
      } catch {
        return;
      }
    }
  }
}

/** lstat, or undefined when nothing (or no directory on the way) is there. */
export function lstatOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw err;
  }
}

function conflict(op: string, key: string, why: string): StoreError {
  return new StoreError(
    "Unsupported",
    `Cannot ${op} ${JSON.stringify(key)}: ${why}, and a local blob store keeps each key as a ` +
      `plain file, so a key and keys below it (a, a/b) cannot both exist`,
  );
}
