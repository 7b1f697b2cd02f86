// Where a partitioned dataset lives: a local directory, or a prefix of a blob store.
// Both replace the manifest atomically; the blob one with a conditional write so a
// second writer that raced us fails with CasMismatch instead of losing files.
import { makeDirDurable, parentDir, syncDir } from "../core/_fs_calls.ts";
import { localDisk, writeAll } from "./_sinks.ts";
import type { BlobStore } from "../blob/types.ts";
import type { ParquetSource, ParquetTarget } from "./types.ts";
import { fail, ioError } from "./_errors.ts";
import { StoreError } from "../core/error.ts";

/** A dataset root on a blob store: every key starts with `prefix`. */
export interface BlobRoot {
  /** The store holding the dataset. */
  store: BlobStore;
  /** Key prefix of the dataset, e.g. `"datasets/events"`. */
  prefix: string;
}

/** Storage operations a dataset needs. */
export interface DatasetStorage {
  /** A name for messages. */
  readonly name: string;
  /** The manifest text, or undefined when there is none. */
  readManifest(): Promise<string | undefined>;
  /** Replaces the manifest atomically (`create`: only if absent). */
  writeManifest(text: string, create: boolean): Promise<void>;
  /** Prepares the directory of a data file (local only). */
  prepare(rel: string): Promise<void>;
  target(rel: string): ParquetTarget;
  source(rel: string): ParquetSource;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function localStorage(root: string, manifest: string): DatasetStorage {
  const join = (rel: string) => root.endsWith("/") ? root + rel : `${root}/${rel}`;
  const fs = localDisk.fs;
  return {
    name: root,
    readManifest() {
      try {
        return Promise.resolve(decoder.decode(fs.readFileSync(join(manifest))));
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return Promise.resolve(undefined);
        return Promise.reject(ioError(err, `read dataset manifest in ${root}`));
      }
    },
    async writeManifest(text, create) {
      const path = join(manifest);
      if (create) {
        try {
          makeDirDurable(fs, root);
        } catch (err) {
          throw ioError(err, `create dataset directory ${root}`);
        }
        if (exists(path)) fail("AlreadyExists", `Cannot create a dataset at ${root}: one exists`);
      }
      const tmp = `${path}.tmp-${crypto.randomUUID()}`;
      try {
        const file = await fs.open(tmp, { write: true, createNew: true });
        try {
          writeAll(file, encoder.encode(text));
          await file.syncData();
        } finally {
          file.close();
        }
        fs.renameSync(tmp, path);
        // A manifest that names new files must not outlive them, nor vanish itself.
        syncDir(fs, parentDir(path));
      } catch (err) {
        try {
          fs.removeSync(tmp);
        } catch { /* never created, or already renamed */ }
        throw ioError(err, `write dataset manifest ${path}`);
      }
    },
    prepare(rel) {
      const dir = rel.slice(0, rel.lastIndexOf("/"));
      if (!dir) return Promise.resolve();
      try {
        makeDirDurable(fs, join(dir));
      } catch (err) {
        return Promise.reject(ioError(err, `create partition directory ${dir} in ${root}`));
      }
      return Promise.resolve();
    },
    target: join,
    source: join,
  };

  function exists(path: string): boolean {
    try {
      fs.statSync(path);
      return true;
    } catch {
      return false;
    }
  }
}

function blobStorage(root: BlobRoot, manifest: string): DatasetStorage {
  const { store } = root;
  const prefix = root.prefix.replace(/\/+$/, "");
  const key = (rel: string) => prefix ? `${prefix}/${rel}` : rel;
  const name = `blob prefix ${JSON.stringify(prefix)}`;
  let etag: string | undefined;
  return {
    name,
    async readManifest() {
      try {
        const meta = await store.head(key(manifest));
        const bytes = await store.get(key(manifest));
        etag = meta.etag;
        return decoder.decode(bytes);
      } catch (err) {
        if (err instanceof StoreError && err.kind === "NotFound") return undefined;
        throw ioError(err, `read dataset manifest of ${name}`);
      }
    },
    async writeManifest(text, create) {
      const bytes = encoder.encode(text);
      try {
        const meta = create
          ? await store.putIfAbsent(key(manifest), bytes, { contentType: "application/json" })
          : etag
          ? await store.putIfMatch(key(manifest), bytes, etag, { contentType: "application/json" })
          : await store.put(key(manifest), bytes, { contentType: "application/json" });
        etag = meta.etag;
      } catch (err) {
        if (err instanceof StoreError && err.kind === "AlreadyExists") {
          throw new StoreError("AlreadyExists", `Cannot create a dataset at ${name}: one exists`, {
            cause: err,
          });
        }
        if (err instanceof StoreError && err.kind === "CasMismatch") {
          throw new StoreError(
            "CasMismatch",
            `Cannot update dataset ${name}: another writer changed its manifest; reopen and retry`,
            { cause: err },
          );
        }
        throw ioError(err, `write dataset manifest of ${name}`);
      }
    },
    prepare: () => Promise.resolve(),
    target: (rel) => ({ store, key: key(rel) }),
    source: (rel) => ({ store, key: key(rel) }),
  };
}

/** Storage for a local directory path or a `{ store, prefix }` blob root. */
export function datasetStorage(root: string | BlobRoot, manifest: string): DatasetStorage {
  if (typeof root === "string" && root) return localStorage(root, manifest);
  if (root && typeof root === "object" && "store" in root && typeof root.prefix === "string") {
    return blobStorage(root, manifest);
  }
  return fail(
    "InvalidInput",
    "Cannot use dataset root: give a directory path or { store, prefix }",
  );
}
