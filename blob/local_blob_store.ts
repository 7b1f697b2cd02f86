/**
 * A BlobStore on the local file system: each blob is the plain file
 * `<root>/<key>`, byte for byte, so `cat`, a static file server, `rsync` or
 * DuckDB read the directory as it is. Content type, metadata, digest and etag
 * live in a sidecar under `<root>/.oxistore/` (hidden from listings), which
 * records which content file it describes, so a crash never pairs content
 * with metadata that is not its own (see `local/_commit.ts`). A write goes to
 * a temp file private to the writing store, is fsynced, and is published by
 * one `rename`, so a reader — or a crash — never sees a torn blob. Writes to
 * a key are serialised across processes by striped `flock` locks, which
 * makes `putIfAbsent`/`putIfMatch` atomic. A store of the first format
 * (`<key>~blob` files with an `OXIBLOB1` header) is upgraded when opened.
 *
 * @module
 */
import { join, parse, resolve } from "node:path";
import { StoreError, toStoreError } from "../core/error.ts";
import { iterateData, resolveRange } from "./_data.ts";
import { decodeHeader, headerMeta, TOMBSTONE } from "./local/_sidecar.ts";
import {
  ContentWriter,
  readFull,
  restamped,
  sidecarBytes,
  stampOf,
  type WrittenContent,
} from "./local/_io.ts";
import { KeyLocks, TempSession } from "./local/_session.ts";
import { LocalUpload, rangeStream } from "./local/_stream.ts";
import { LocalListing } from "./local/_listing.ts";
import { LocalLayout, type Place, PRIVATE_DIR } from "./local/_layout.ts";
import { type Change, commit, findBlob, type Found, settle } from "./local/_commit.ts";
import { denoFs, type LocalFs, makeDirs, syncDir } from "./local/_fs.ts";
import { markFormat, needsUpgrade, upgrade } from "./local/_upgrade.ts";
import { Digest } from "./digest.ts";
import { checkKeyList, closedError, existsCas, getCas, notFoundError } from "./_contract.ts";
import { casKey, checkBlobKey, checkBlobPrefix, checkContentType, checkMetadata } from "./keys.ts";
import type {
  BlobData,
  BlobMeta,
  BlobStore,
  ChunkedUpload,
  GetRangeOptions,
  ListOptions,
  ListResult,
  PresignOptions,
  PutOptions,
} from "./types.ts";

export type { LocalFs, WritableFile } from "./local/_fs.ts";

/** Options of {@link LocalBlobStore}. */
export interface LocalBlobStoreOptions {
  /**
   * Most directory entries plus sidecars kept for listing (default
   * 50,000; roughly 0.7 KiB per listed blob, so ~35 MiB at most). They are
   * reused only while their directory is unchanged, so a cached listing is
   * never stale. Directories with 64 blobs or more also get an index file
   * under `~index/` (written when a listing has read all their headers, and
   * at close for directories this store filled), which a store opened later
   * trusts under the same rule. 0 disables all of it — the cache, the index
   * files and the parking of list walkers between pages, so each page reads
   * its directory and headers again: use it on network file systems whose
   * server clock may lag this machine's, since unchanged is judged by mtimes.
   */
  listCacheEntries?: number;
  /**
   * The file calls that change the disk (default: Deno's). Tests put a
   * simulated disk here to inject failures; programs leave it unset.
   */
  fs?: LocalFs;
}

const DEFAULT_LIST_CACHE = 50_000;
const NO_DIGEST = Digest.fromHex("0".repeat(64));
const COPY_CHUNK = 1 << 20;

/** Name of the private directory that marks a LocalBlobStore root (format 2). */
export const LOCAL_BLOB_MARKER: string = PRIVATE_DIR;

type Condition = "ifAbsent" | { etag: string } | undefined;

/** Content and its sidecar, each in a flushed temp file (`ready` holds the sidecar). */
interface Prepared {
  written: WrittenContent;
  sidecar: Uint8Array;
  ready: string;
}

/**
 * A BlobStore in a directory. Open with `await LocalBlobStore.open(root)`
 * (or `new LocalBlobStore(root)`, which prepares the root on first use).
 * Stale temp files of crashed writers are removed when a store opens.
 * Keys are paths of the file system: a key and keys below it (`a` and
 * `a/b`) cannot both exist (`Unsupported`), keys differing only by letter
 * case collide on case-insensitive file systems, and the first segment
 * `.oxistore` is reserved.
 *
 * @example
 * ```ts
 * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
 * import { strictEqual } from "node:assert/strict";
 * const root = await Deno.makeTempDir();
 * const store = await LocalBlobStore.open(root);
 * await store.put("reports/q1.txt", "revenue up", { contentType: "text/plain" });
 * strictEqual((await store.head("reports/q1.txt")).size, 10);
 * // The file is the blob's bytes.
 * strictEqual(await Deno.readTextFile(`${root}/reports/q1.txt`), "revenue up");
 * await store.close();
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export class LocalBlobStore implements BlobStore {
  /** The root directory as given. */
  readonly root: string;
  #fs: LocalFs;
  #real = "";
  #layout: LocalLayout;
  #init: Promise<void> | undefined;
  #session: TempSession | undefined;
  #locks: KeyLocks | undefined;
  #closed = false;
  #uploads = new Set<LocalUpload>();
  #listing: LocalListing;

  /**
   * A store at `root`; the directory is prepared on first use.
   *
   * @param root the directory holding the blobs (created if missing)
   * @param opts tuning
   */
  constructor(root: string, opts: LocalBlobStoreOptions = {}) {
    if (typeof root !== "string" || root === "") {
      throw new StoreError("InvalidInput", "Cannot open local blob store: root must be a path");
    }
    const max = opts.listCacheEntries ?? DEFAULT_LIST_CACHE;
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new StoreError(
        "InvalidInput",
        `Cannot open local blob store at ${root}: listCacheEntries must be an integer ≥ 0`,
      );
    }
    this.root = root;
    this.#fs = opts.fs ?? denoFs;
    this.#layout = new LocalLayout("", this.#fs);
    this.#listing = new LocalListing(max);
  }

  /**
   * Opens (creating if needed) a store at `root`, cleaning stale temp files
   * and upgrading a store of the first format.
   *
   * @param root the directory holding the blobs (created if missing)
   * @param opts tuning
   * @returns the open store
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * strictEqual(await store.exists("nothing"), false);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  static async open(root: string, opts: LocalBlobStoreOptions = {}): Promise<LocalBlobStore> {
    const store = new LocalBlobStore(root, opts);
    await store.#ready("open local blob store");
    return store;
  }

  async #ready(op: string): Promise<void> {
    if (this.#closed) throw closedError(op, this.root);
    this.#init ??= this.#start();
    try {
      await this.#init;
    } catch (err) {
      this.#init = undefined;
      throw toStoreError(err, `open local blob store at ${this.root}`);
    }
    if (this.#closed) throw closedError(op, this.root);
  }

  async #start(): Promise<void> {
    // A new root is durable too: its parent (and any directory made above it) is fsynced.
    await makeDirs(this.#fs, parse(resolve(this.root)).root, resolve(this.root));
    this.#real = await Deno.realPath(this.root);
    const layout = this.#layout = new LocalLayout(this.#real, this.#fs);
    await makeDirs(this.#fs, this.#real, layout.private);
    this.#session = await TempSession.start(join(layout.private, "tmp"));
    const session = this.#session;
    const tempPath = () => session.tempPath();
    this.#locks = new KeyLocks(join(layout.private, "lock"));
    if (await needsUpgrade(layout)) {
      // One upgrader at a time; a second opener waits, then finds it done.
      const lock = await Deno.open(join(layout.private, "upgrade.lock"), {
        create: true,
        write: true,
      });
      try {
        await lock.lock(true);
        if (await needsUpgrade(layout)) await upgrade(layout, tempPath);
      } finally {
        lock.close();
      }
    }
    await markFormat(layout, tempPath);
    this.#listing.attach(layout.meta, join(layout.private, "index"), tempPath, (key) => {
      const found = findBlob(layout.place(key, "list blobs"));
      if (found.header === undefined) throw new Deno.errors.NotFound(key);
      return found.header;
    });
  }

  /** Runs an operation with its errors mapped to StoreError. */
  async #guard<T>(op: string, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      await this.#ready(op);
      return await fn();
    } catch (err) {
      throw toStoreError(err, `${op} ${what} in ${this.root}`);
    }
  }

  #tempPath(): string {
    return this.#session!.tempPath();
  }

  /** The blob at `p` as a reader must see it, tidying the disk if a crash left it unsettled. */
  async #find(p: Place, stamp?: Deno.FileInfo): Promise<Found> {
    if (!this.#layout.dirOk(p)) {
      return { header: undefined, stamp: undefined, unsettled: false, rehashed: false };
    }
    const found = stamp ? findBlob(p, stampOf(stamp)) : findBlob(p);
    if (!found.unsettled) return found;
    const settled = await this.#locks!.withKeys(
      [p.key],
      () => settle(this.#layout, () => this.#tempPath(), p),
    );
    // Read under an open file: keep what that file's stamp says.
    return stamp && found.header ? found : settled;
  }

  async #openBlob(p: Place, op: string) {
    if (!this.#layout.dirOk(p)) throw notFoundError(op, p.key, this.root);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(p.content, { read: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
        throw notFoundError(op, p.key, this.root);
      }
      throw err;
    }
    try {
      const st = await file.stat();
      if (!st.isFile) throw notFoundError(op, p.key, this.root);
      if (Deno.lstatSync(p.content).isSymlink) {
        throw new StoreError("Corruption", `Refusing ${JSON.stringify(p.key)}: it is a symlink`);
      }
      const { header } = await this.#find(p, st);
      if (!header) throw notFoundError(op, p.key, this.root);
      return { file, header };
    } catch (err) {
      file.close();
      throw err;
    }
  }

  /**
   * Writes content to a temp file and its sidecar to another, flushing both
   * at once (the two flushes overlap instead of following each other).
   */
  async #writeTemp(
    data: BlobData,
    op: string,
    contentType: string | undefined,
    metadata: Record<string, string>,
  ): Promise<Prepared> {
    const writer = await ContentWriter.create(this.#fs, this.#tempPath());
    const ready = this.#tempPath();
    try {
      if (typeof data === "string" || data instanceof Uint8Array) {
        await writer.write(typeof data === "string" ? new TextEncoder().encode(data) : data);
      } else {
        for await (const chunk of iterateData(data, op)) await writer.write(chunk);
      }
      const { written, sidecar } = await writer.finishWithSidecar(
        this.#fs,
        ready,
        (w) => sidecarBytes(w.size, w.digest, w.stamp, contentType, metadata),
      );
      return { written, sidecar, ready };
    } catch (err) {
      await writer.discard(this.#fs);
      await this.#fs.remove(ready).catch(() => {});
      throw err;
    }
  }

  /**
   * Publishes finished content under the key's lock: checks the condition,
   * then commits the sidecar and the content together.
   */
  async #publish(
    written: WrittenContent,
    sidecar: Uint8Array,
    p: Place,
    cond: Condition,
    op: string,
    ready?: string,
  ): Promise<void> {
    try {
      await this.#locks!.withKeys([p.key], async () => {
        for (let attempt = 0;; attempt++) {
          await this.#layout.prepare(p, op);
          const current = await settle(this.#layout, () => this.#tempPath(), p);
          if (cond === "ifAbsent" && current.header) {
            throw new StoreError("AlreadyExists", `Cannot ${op}: ${JSON.stringify(p.key)} exists`);
          }
          if (cond !== undefined && cond !== "ifAbsent" && current.header?.etag !== cond.etag) {
            throw new StoreError(
              "CasMismatch",
              `Cannot ${op}: ${JSON.stringify(p.key)} ` +
                (current.header ? "has another etag" : "does not exist"),
            );
          }
          // The version replaced is freed in the background, not inside the rename.
          const aside = current.stamp ? this.#session!.setAside(p.content) : undefined;
          try {
            await commit(
              this.#layout,
              () => this.#tempPath(),
              [{ place: p, sidecar, tombstone: false, ready: attempt === 0 ? ready : undefined }],
              () => this.#layout.moveContent(written.path, p),
            );
            return;
          } catch (err) {
            // A delete next door pruned a directory we had just made: make it again (the
            // prepared sidecar may be gone: the retry writes its own).
            if (!(err instanceof Deno.errors.NotFound) || attempt >= 5) throw err;
          } finally {
            if (aside !== undefined) this.#session!.discardLater(aside);
          }
        }
      });
    } catch (err) {
      await this.#fs.remove(written.path).catch(() => {});
      if (ready !== undefined) await this.#fs.remove(ready).catch(() => {});
      throw err;
    }
  }

  async #write(
    key: string,
    data: BlobData,
    opts: PutOptions,
    cond: Condition,
    op: string,
  ): Promise<BlobMeta> {
    return await this.#guard(op, `${JSON.stringify(key)}`, async () => {
      const p = this.#layout.place(key, op);
      const contentType = checkContentType(opts.contentType, op);
      const metadata = checkMetadata(opts.metadata, op);
      // A cheap early answer; the decisive check is repeated under the key lock.
      if (cond === "ifAbsent" && (await this.#find(p)).header) {
        throw new StoreError("AlreadyExists", `Cannot ${op}: ${JSON.stringify(key)} exists`);
      }
      const { written, sidecar, ready } = await this.#writeTemp(data, op, contentType, metadata);
      await this.#publish(written, sidecar, p, cond, op, ready);
      this.#listing.noteWrite(p.dirs);
      return headerMeta(key, decodeHeader(sidecar, key, true));
    });
  }

  /**
   * Writes (or overwrites) a blob atomically.
   *
   * @param key where to store it
   * @param data bytes, a string (UTF-8) or a stream
   * @param opts content type and metadata
   * @returns the new blob's metadata
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * const meta = await store.put("a/b.bin", new Uint8Array([1, 2, 3]));
   * strictEqual(meta.size, 3);
   * strictEqual(meta.digest.length, 64);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  put(key: string, data: BlobData, opts: PutOptions = {}): Promise<BlobMeta> {
    return this.#write(key, data, opts, undefined, "put blob");
  }

  /**
   * Reads a whole blob.
   *
   * @param key the blob
   * @returns its bytes
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("k", "hello");
   * strictEqual(new TextDecoder().decode(await store.get("k")), "hello");
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  get(key: string): Promise<Uint8Array> {
    const op = "get blob";
    return this.#guard(op, JSON.stringify(key), async () => {
      const { file, header } = await this.#openBlob(this.#layout.place(key, op), op);
      try {
        const out = new Uint8Array(header.size);
        const got = await readFull(file, out);
        if (got !== header.size || (await file.read(new Uint8Array(1))) !== null) {
          throw new StoreError(
            "Corruption",
            `Cannot ${op} ${JSON.stringify(key)}: file size does not match its sidecar`,
          );
        }
        return out;
      } finally {
        file.close();
      }
    });
  }

  /**
   * Streams a blob or the range `[start, end)`, reading only that range.
   *
   * @param key the blob
   * @param range bytes to read (default: all)
   * @returns a stream of its bytes
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("k", "hello world");
   * strictEqual(await new Response(await store.getStream("k", { start: 6 })).text(), "world");
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  getStream(key: string, range?: GetRangeOptions): Promise<ReadableStream<Uint8Array>> {
    const op = "stream blob";
    return this.#guard(op, JSON.stringify(key), async () => {
      const { file, header } = await this.#openBlob(this.#layout.place(key, op), op);
      let start: number, end: number;
      try {
        [start, end] = resolveRange(range, header.size, op);
        await file.seek(start, Deno.SeekMode.Start);
      } catch (err) {
        file.close();
        throw err;
      }
      return rangeStream(file, end - start, `${op} ${JSON.stringify(key)} in ${this.root}`);
    });
  }

  /**
   * The blob's metadata (read from its sidecar).
   *
   * @param key the blob
   * @returns its metadata
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { deepStrictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("k", "x", { metadata: { owner: "ada" } });
   * deepStrictEqual((await store.head("k")).metadata, { owner: "ada" });
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  head(key: string): Promise<BlobMeta> {
    const op = "head blob";
    return this.#guard(op, JSON.stringify(key), async () => {
      const { header } = await this.#find(this.#layout.place(key, op));
      if (!header) throw notFoundError(op, key, this.root);
      return headerMeta(key, header);
    });
  }

  /**
   * Removes a blob; missing → `NotFound`.
   *
   * @param key the blob
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("k", "x");
   * await store.delete("k");
   * strictEqual(await store.exists("k"), false);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  delete(key: string): Promise<void> {
    const op = "delete blob";
    return this.#guard(op, JSON.stringify(key), async () => {
      const p = this.#layout.place(key, op);
      const removed = await this.#remove(p);
      if (!removed) throw notFoundError(op, key, this.root);
    });
  }

  #tombstone(p: Place): Change {
    const bytes = sidecarBytes(0, NO_DIGEST, TOMBSTONE, undefined, {});
    return { place: p, sidecar: bytes, tombstone: true };
  }

  async #remove(p: Place, digest?: string): Promise<boolean> {
    if (!this.#layout.dirOk(p)) return false;
    const removed = await this.#locks!.withKeys([p.key], async () => {
      const current = await settle(this.#layout, () => this.#tempPath(), p);
      if (!current.header) return false;
      if (digest !== undefined && current.header.digest !== digest) return false;
      await commit(this.#layout, () => this.#tempPath(), [this.#tombstone(p)], async () => {
        await this.#fs.remove(p.content);
        await syncDir(this.#fs, p.contentDir);
      });
      return true;
    });
    if (removed) await this.#layout.prune(p);
    return removed;
  }

  /**
   * Whether a blob exists.
   *
   * @param key the blob
   * @returns true if it exists
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * strictEqual(await store.exists("nothing"), false);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  exists(key: string): Promise<boolean> {
    const op = "check blob";
    return this.#guard(op, JSON.stringify(key), async () => {
      return (await this.#find(this.#layout.place(key, op))).header !== undefined;
    });
  }

  /**
   * One page of blobs under a prefix, ascending by key.
   *
   * @param prefix only keys starting with it
   * @param opts delimiter, page size and cursor
   * @returns the page
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { deepStrictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("logs/1", "a");
   * await store.put("logs/old/2", "b");
   * const page = await store.list("logs/", { delimiter: "/" });
   * deepStrictEqual(page.items.map((m) => m.key), ["logs/1"]);
   * deepStrictEqual(page.prefixes, ["logs/old/"]);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  list(prefix?: string, opts?: ListOptions): Promise<ListResult> {
    const op = "list blobs";
    return this.#guard(
      op,
      `under ${JSON.stringify(prefix ?? "")}`,
      () => this.#listing.page(prefix, opts),
    );
  }

  /**
   * Copies a blob (content, type, metadata; fresh etag) to `dst`.
   *
   * @param src the blob to copy
   * @param dst where the copy goes (replaced if present)
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("a", "x");
   * await store.copy("a", "b/c");
   * strictEqual(await store.exists("b/c"), true);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  copy(src: string, dst: string): Promise<void> {
    const op = "copy blob";
    return this.#guard(op, `${JSON.stringify(src)} to ${JSON.stringify(dst)}`, async () => {
      const from = this.#layout.place(src, op);
      const to = this.#layout.place(dst, op);
      // Copied from the open file, so a concurrent overwrite of src cannot mix two versions.
      const { file, header } = await this.#openBlob(from, op);
      const writer = await ContentWriter.create(this.#fs, this.#tempPath()).catch((err) => {
        file.close();
        throw err;
      });
      let written: WrittenContent;
      try {
        const buf = new Uint8Array(COPY_CHUNK);
        for (;;) {
          const n = await file.read(buf);
          if (n === null) break;
          await writer.write(buf.slice(0, n));
        }
        written = await writer.finish();
      } catch (err) {
        await writer.discard(this.#fs);
        throw err;
      } finally {
        file.close();
      }
      const sidecar = restamped(header, written.stamp, crypto.getRandomValues(new Uint8Array(16)));
      await this.#publish(written, sidecar, to, undefined, op);
      this.#listing.noteWrite(to.dirs);
    });
  }

  /**
   * Moves a blob to `dst` (one rename of its file; the etag travels with it).
   *
   * @param src the blob to move
   * @param dst its new key (replaced if present)
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("a", "x");
   * await store.rename("a", "b");
   * strictEqual(await store.exists("a"), false);
   * strictEqual(await store.exists("b"), true);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  rename(src: string, dst: string): Promise<void> {
    const op = "rename blob";
    return this.#guard(op, `${JSON.stringify(src)} to ${JSON.stringify(dst)}`, async () => {
      const from = this.#layout.place(src, op);
      const to = this.#layout.place(dst, op);
      const tempPath = () => this.#tempPath();
      await this.#locks!.withKeys([src, dst], async () => {
        const moving = this.#layout.dirOk(from)
          ? await settle(this.#layout, tempPath, from)
          : undefined;
        if (!moving?.header) throw notFoundError(op, src, this.root);
        if (src === dst) return;
        await this.#layout.prepare(to, op);
        const replaced = await settle(this.#layout, tempPath, to);
        const aside = replaced.stamp ? this.#session!.setAside(to.content) : undefined;
        try {
          // Same inode after the rename: the sidecar describes the moved file as it is.
          const sidecar = restamped(moving.header, moving.stamp!);
          const changes = [{ place: to, sidecar, tombstone: false }, this.#tombstone(from)];
          await commit(this.#layout, tempPath, changes, async () => {
            await this.#fs.rename(from.content, to.content);
            await syncDir(this.#fs, to.contentDir);
            if (from.contentDir !== to.contentDir) await syncDir(this.#fs, from.contentDir);
          });
        } finally {
          if (aside !== undefined) this.#session!.discardLater(aside);
        }
      });
      if (src !== dst) {
        await this.#layout.prune(from);
        this.#listing.noteWrite(to.dirs);
      }
    });
  }

  /**
   * Writes only if no blob exists under the key (`AlreadyExists` otherwise),
   * atomically across processes.
   *
   * @param key where to store it
   * @param data bytes, a string (UTF-8) or a stream
   * @param opts content type and metadata
   * @returns the new blob's metadata
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.putIfAbsent("lock", "me");
   * const kind = await store.putIfAbsent("lock", "you").catch((e) => e.kind);
   * strictEqual(kind, "AlreadyExists");
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  putIfAbsent(key: string, data: BlobData, opts: PutOptions = {}): Promise<BlobMeta> {
    return this.#write(key, data, opts, "ifAbsent", "put blob if absent");
  }

  /**
   * Writes only if the blob's etag is `etag` (`CasMismatch` otherwise).
   *
   * @param key where to store it
   * @param data bytes, a string (UTF-8) or a stream
   * @param etag the etag the blob must have now
   * @param opts content type and metadata
   * @returns the new blob's metadata
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * const v1 = await store.put("doc", "v1");
   * await store.putIfMatch("doc", "v2", v1.etag);
   * const kind = await store.putIfMatch("doc", "v3", v1.etag).catch((e) => e.kind);
   * strictEqual(kind, "CasMismatch");
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  putIfMatch(key: string, data: BlobData, etag: string, opts: PutOptions = {}): Promise<BlobMeta> {
    return this.#write(key, data, opts, { etag: String(etag) }, "put blob if match");
  }

  /**
   * Removes the existing keys among `keys`; returns how many.
   *
   * @param keys the blobs to remove
   * @returns how many existed
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("a", "x");
   * strictEqual(await store.deleteMany(["a", "b"]), 1);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  deleteMany(keys: string[]): Promise<number> {
    const op = "delete blobs";
    return this.#guard(op, `(${keys?.length} keys)`, async () => {
      const places = checkKeyList(keys, op, this.root).map((k) => this.#layout.place(k, op));
      let n = 0;
      for (const p of places) if (await this.#remove(p)) n++;
      return n;
    });
  }

  /**
   * Removes every blob under a prefix; returns how many.
   *
   * @param prefix keys starting with it go
   * @returns how many were removed
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("tmp/1", "x");
   * await store.put("tmp/2/3", "y");
   * strictEqual(await store.deletePrefix("tmp/"), 2);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  deletePrefix(prefix: string): Promise<number> {
    const op = "delete blobs by prefix";
    return this.#guard(op, `under ${JSON.stringify(prefix)}`, async () => {
      checkBlobPrefix(prefix, op);
      let n = 0;
      // One walk, deleting as it goes.
      for (const key of this.#listing.keys(prefix)) {
        if (await this.#remove(this.#layout.place(key, op))) n++;
      }
      return n;
    });
  }

  /**
   * Removes the blob only if its content has this digest.
   *
   * @param key the blob
   * @param digest the SHA-256 its content must have
   * @returns whether it was removed
   *
   * @example
   * ```ts
   * import { LocalBlobStore, sha256 } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("k", "x");
   * strictEqual(await store.deleteIfMatches("k", sha256("y")), false);
   * strictEqual(await store.deleteIfMatches("k", sha256("x")), true);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  deleteIfMatches(key: string, digest: Digest | string): Promise<boolean> {
    const op = "delete blob if it matches";
    return this.#guard(op, JSON.stringify(key), async () => {
      const p = this.#layout.place(key, op);
      return await this.#remove(p, Digest.from(digest).hex);
    });
  }

  /**
   * Stores content under `cas/sha256/…` by its SHA-256; idempotent.
   *
   * @param data bytes, a string (UTF-8) or a stream
   * @returns its digest
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * const d = await store.putCas("content");
   * strictEqual(await store.existsCas(d), true);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  putCas(data: BlobData): Promise<Digest> {
    const op = "put content-addressed blob";
    return this.#guard(op, "", async () => {
      const { written, sidecar, ready } = await this.#writeTemp(data, op, undefined, {});
      const p = this.#layout.place(casKey(written.digest), op);
      const current = await this.#find(p);
      if (current.header?.digest === written.digest.hex) {
        await this.#fs.remove(written.path).catch(() => {});
        await this.#fs.remove(ready).catch(() => {});
      } else {
        await this.#publish(written, sidecar, p, undefined, op, ready);
      }
      return written.digest;
    });
  }

  /**
   * Reads content by digest, re-hashing it (`Corruption` on mismatch).
   *
   * @param digest the content's SHA-256
   * @returns the content
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * const d = await store.putCas("content");
   * strictEqual((await store.getCas(d)).length, 7);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  getCas(digest: Digest | string): Promise<Uint8Array> {
    return getCas(this, digest, this.root);
  }

  /**
   * Whether content with this digest is stored.
   *
   * @param digest the content's SHA-256
   * @returns true if stored
   *
   * @example
   * ```ts
   * import { LocalBlobStore, sha256 } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * strictEqual(await store.existsCas(sha256("x")), false);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  existsCas(digest: Digest | string): Promise<boolean> {
    return existsCas(this, digest);
  }

  /**
   * Begins a chunked upload, streamed to a temp file (never held in memory)
   * and published atomically by `complete()`.
   *
   * @param key where the blob goes
   * @param opts content type and metadata
   * @returns the upload
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * const up = await store.startUpload("video.bin");
   * await up.write(new Uint8Array(1000));
   * await up.write(new Uint8Array(24));
   * strictEqual((await up.complete()).size, 1024);
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  startUpload(key: string, opts: PutOptions = {}): Promise<ChunkedUpload> {
    const op = "start upload";
    return this.#guard(op, JSON.stringify(key), async () => {
      const p = this.#layout.place(key, op);
      const contentType = checkContentType(opts.contentType, op);
      const metadata = checkMetadata(opts.metadata, op);
      const writer = await ContentWriter.create(this.#fs, this.#tempPath());
      const upload: LocalUpload = new LocalUpload(key, this.#fs, writer, async (written) => {
        this.#uploads.delete(upload);
        await this.#ready("complete upload");
        const sidecar = sidecarBytes(
          written.size,
          written.digest,
          written.stamp,
          contentType,
          metadata,
        );
        await this.#publish(written, sidecar, p, undefined, "complete upload");
        this.#listing.noteWrite(p.dirs);
        return headerMeta(key, decodeHeader(sidecar, key, true));
      }, () => this.#uploads.delete(upload));
      this.#uploads.add(upload);
      return upload;
    });
  }

  /**
   * Unsupported: a local store has no URLs (throws `Unsupported`).
   *
   * @param key the blob
   * @param _opts method and lifetime (unused)
   * @returns never; it rejects
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * import { strictEqual } from "node:assert/strict";
   * const store = new LocalBlobStore("./never-created");
   * const kind = await store.presign("k", { method: "GET", expiresInSeconds: 60 })
   *   .catch((e) => e.kind);
   * strictEqual(kind, "Unsupported");
   * ```
   */
  presign(key: string, _opts: PresignOptions): Promise<string> {
    try {
      checkBlobKey(key, "presign blob");
      if (this.#closed) throw closedError("presign blob", this.root);
      throw new StoreError(
        "Unsupported",
        `Cannot presign ${JSON.stringify(key)} in ${this.root}: the local blob store has no URLs`,
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Aborts open uploads, releases locks and removes this store's temp files.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { LocalBlobStore } from "@cooljapan/oxistore/blob";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.close();
   * strictEqual(await store.exists("a").then(String, (e) => e.kind), "Closed");
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#init?.catch(() => {});
    for (const up of [...this.#uploads]) await up.abort();
    if (this.#session) await this.#listing.close();
    this.#locks?.close();
    await this.#session?.end();
  }
}
