/**
 * A BlobStore on the local file system: one file per key under a root.
 *
 * Each blob is one file (`<escaped key>~blob`) holding a small header (size,
 * SHA-256, etag, mtime, content type, metadata) followed by the content. A
 * write goes to a temp file private to the writing store, is fsynced, and is
 * published by one `rename`, so a reader — or a crash — never sees a torn or
 * half-written blob. Writes to a key are serialised across processes by
 * striped `flock` locks, which makes `putIfAbsent`/`putIfMatch` atomic.
 *
 * @module
 */
import { join } from "node:path";
import { StoreError, toStoreError } from "../core/error.ts";
import { iterateData, resolveRange } from "./_data.ts";
import { type ListPlan, PageBuilder, planList } from "./_list.ts";
import { type Header, headerMeta } from "./_local_format.ts";
import { readFull, readHeader, readHeaderAt, restampCopy, TempBlobWriter } from "./_local_io.ts";
import { KeyLocks, TempSession } from "./_local_session.ts";
import { LocalUpload, rangeStream } from "./_local_stream.ts";
import { type WalkEntry, Walker } from "./_local_walk.ts";
import { CLOCK_SLACK_MS, DirCache, INDEX_MIN_BLOBS } from "./_local_dir_cache.ts";
import { LocalLayout, type Place } from "./_local_layout.ts";
import { Digest, sha256 } from "./digest.ts";
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

/** Options of {@link LocalBlobStore}. */
export interface LocalBlobStoreOptions {
  /**
   * Most directory entries plus blob headers kept for listing (default
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
}

const DEFAULT_LIST_CACHE = 50_000;
const MAX_TRACKED_DIRS = 10_000;

/** Name of the marker file that identifies a LocalBlobStore root. */
export const LOCAL_BLOB_MARKER = "~oxistore-blob";

type Condition = "ifAbsent" | { etag: string } | undefined;

/**
 * A BlobStore in a directory. Open with `await LocalBlobStore.open(root)`
 * (or `new LocalBlobStore(root)`, which prepares the root on first use).
 * Stale temp files of crashed writers are removed when a store opens.
 * Keys differing only by letter case collide on case-insensitive file systems.
 *
 * @example
 * ```ts
 * import { LocalBlobStore } from "./local_blob_store.ts";
 * const root = await Deno.makeTempDir();
 * const store = await LocalBlobStore.open(root);
 * await store.put("reports/q1.txt", "revenue up", { contentType: "text/plain" });
 * console.log((await store.head("reports/q1.txt")).size); // 10
 * await store.close();
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export class LocalBlobStore implements BlobStore {
  /** The root directory as given. */
  readonly root: string;
  #real = "";
  #layout = new LocalLayout("");
  #init: Promise<void> | undefined;
  #session: TempSession | undefined;
  #locks: KeyLocks | undefined;
  #closed = false;
  #uploads = new Set<LocalUpload>();
  #dirCache: DirCache;
  // Walkers parked at the end of a page, by cursor, so the next page resumes
  // where the last one stopped.
  #parked = new Map<string, Walker>();
  // Blobs written per directory (walker-style path), and when this store last wrote.
  #written = new Map<string, number>();
  #lastWrite = 0;

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
        "Cannot open local blob store: listCacheEntries must be an integer ≥ 0",
      );
    }
    this.root = root;
    this.#dirCache = new DirCache(max);
  }

  /**
   * Opens (creating if needed) a store at `root`, cleaning stale temp files.
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
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
    if (this.#closed) {
      throw new StoreError("Closed", `Cannot ${op}: the blob store at ${this.root} is closed`);
    }
    this.#init ??= this.#start();
    try {
      await this.#init;
    } catch (err) {
      this.#init = undefined;
      throw toStoreError(err, `open local blob store at ${this.root}`);
    }
    if (this.#closed) {
      throw new StoreError("Closed", `Cannot ${op}: the blob store at ${this.root} is closed`);
    }
  }

  async #start(): Promise<void> {
    await Deno.mkdir(this.root, { recursive: true });
    this.#real = await Deno.realPath(this.root);
    this.#layout = new LocalLayout(this.#real);
    const marker = join(this.#real, LOCAL_BLOB_MARKER);
    await Deno.writeTextFile(marker, "oxistore local blob store, format 1\n", { createNew: true })
      .catch((err) => {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      });
    this.#session = await TempSession.start(this.#real);
    const session = this.#session;
    this.#dirCache.attach(this.#real, () => session.tempPath());
    this.#locks = new KeyLocks(this.#real);
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

  async #openBlob(p: Place, op: string) {
    if (!await this.#layout.present(p)) throw notFound(op, p.key, this.root);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(p.file, { read: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) throw notFound(op, p.key, this.root);
      throw err;
    }
    try {
      return { file, header: await readHeader(file, `${p.key} in ${this.root}`, true) };
    } catch (err) {
      file.close();
      throw err;
    }
  }

  async #writeTemp(data: BlobData, opts: PutOptions, op: string): Promise<TempBlobWriter> {
    const contentType = checkContentType(opts.contentType, op);
    const metadata = checkMetadata(opts.metadata, op);
    const writer = await TempBlobWriter.create(this.#session!.tempPath(), contentType, metadata);
    try {
      for await (const chunk of iterateData(data, op)) await writer.write(chunk);
    } catch (err) {
      await writer.discard();
      throw err;
    }
    return writer;
  }

  /** Renames a finished temp file into place under the key's lock. */
  async #publish(tmp: string, p: Place, cond: Condition, op: string): Promise<void> {
    try {
      await this.#locks!.withKeys([p.key], async () => {
        if (cond === "ifAbsent" && await this.#layout.present(p)) {
          throw new StoreError("AlreadyExists", `Cannot ${op}: ${JSON.stringify(p.key)} exists`);
        }
        if (cond !== undefined && cond !== "ifAbsent") {
          const current = await this.#layout.present(p)
            ? await readHeaderAt(p.file, p.key).catch(() => undefined)
            : undefined;
          if (current?.etag !== cond.etag) {
            throw new StoreError(
              "CasMismatch",
              `Cannot ${op}: ${JSON.stringify(p.key)} ` +
                (current ? "has another etag" : "does not exist"),
            );
          }
        }
        // The version replaced is freed in the background, not inside the rename.
        const aside = this.#session!.setAside(p.file);
        try {
          await this.#layout.moveInto(tmp, p);
        } finally {
          if (aside !== undefined) this.#session!.discardLater(aside);
        }
      });
    } catch (err) {
      await Deno.remove(tmp).catch(() => {});
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
    return await this.#guard(op, JSON.stringify(key), async () => {
      const p = this.#layout.place(key, op);
      // A cheap early answer; the decisive check is repeated under the key lock.
      if (cond === "ifAbsent" && await this.#layout.present(p)) {
        throw new StoreError("AlreadyExists", `Cannot ${op}: ${JSON.stringify(key)} exists`);
      }
      let tmp: string;
      let header: Header;
      if (typeof data === "string" || data instanceof Uint8Array) {
        const contentType = checkContentType(opts.contentType, op);
        const metadata = checkMetadata(opts.metadata, op);
        tmp = this.#session!.tempPath();
        const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
        header = await TempBlobWriter.writeWhole(tmp, bytes, contentType, metadata);
      } else {
        const writer = await this.#writeTemp(data, opts, op);
        tmp = writer.path;
        header = await writer.finish().catch(async (err) => {
          await writer.discard();
          throw err;
        });
      }
      await this.#publish(tmp, p, cond, op);
      this.#noteWrite(p);
      return headerMeta(key, header);
    });
  }

  /** Counts blobs written per directory, so close() can index the ones filled up. */
  #noteWrite(p: Place): void {
    if (this.#dirCache.maxEntries === 0) return; // no index files without a list cache
    const dir = [this.#real, ...p.dirs].join("/"); // as the walker names directories
    const n = this.#written.get(dir);
    if (n !== undefined) this.#written.set(dir, n + 1);
    else if (this.#written.size < MAX_TRACKED_DIRS) this.#written.set(dir, 1);
    this.#lastWrite = Date.now();
  }

  /**
   * Indexes the directories this store wrote at least a quarter of the blobs
   * of (and enough for an index), so the next store lists them at once. Waits
   * out the clock slack first, so the index is trusted whole.
   */
  async #indexWritten(): Promise<void> {
    const dirs = [...this.#written].filter(([, n]) => n >= INDEX_MIN_BLOBS);
    this.#written.clear();
    if (dirs.length === 0) return;
    const wait = this.#lastWrite + CLOCK_SLACK_MS + 5 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    for (const [dir, n] of dirs) {
      try {
        this.#dirCache.indexDir(dir, (blobs) => n * 4 >= blobs);
      } catch {
        // best effort: the index is only a cache
      }
    }
  }

  /**
   * Writes (or overwrites) a blob atomically.
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * const meta = await store.put("a/b.bin", new Uint8Array([1, 2, 3]));
   * console.log(meta.size, meta.digest.length); // 3 64
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
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("k", "hello");
   * console.log(new TextDecoder().decode(await store.get("k"))); // hello
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
        await file.seek(header.headerLen, Deno.SeekMode.Start);
        const got = await readFull(file, out);
        if (got !== header.size || (await file.read(new Uint8Array(1))) !== null) {
          throw new StoreError(
            "Corruption",
            `Cannot ${op} ${JSON.stringify(key)}: file size does not match its header`,
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
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("k", "hello world");
   * console.log(await new Response(await store.getStream("k", { start: 6 })).text()); // world
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
        await file.seek(header.headerLen + start, Deno.SeekMode.Start);
      } catch (err) {
        file.close();
        throw err;
      }
      return rangeStream(file, end - start, `${op} ${JSON.stringify(key)}`);
    });
  }

  /**
   * The blob's metadata (read from its header only).
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("k", "x", { metadata: { owner: "ada" } });
   * console.log((await store.head("k")).metadata); // { owner: "ada" }
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  head(key: string): Promise<BlobMeta> {
    const op = "head blob";
    return this.#guard(op, JSON.stringify(key), async () => {
      const { file, header } = await this.#openBlob(this.#layout.place(key, op), op);
      file.close();
      return headerMeta(key, header);
    });
  }

  /**
   * Removes a blob; missing → `NotFound`.
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("k", "x");
   * await store.delete("k");
   * console.log(await store.exists("k")); // false
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  delete(key: string): Promise<void> {
    const op = "delete blob";
    return this.#guard(op, JSON.stringify(key), async () => {
      const p = this.#layout.place(key, op);
      const removed = await this.#remove(p);
      if (!removed) throw notFound(op, key, this.root);
    });
  }

  async #remove(p: Place, digest?: string): Promise<boolean> {
    const removed = await this.#locks!.withKeys([p.key], async () => {
      if (!await this.#layout.present(p)) return false;
      if (digest !== undefined) {
        const h = await readHeaderAt(p.file, p.key).catch(() => undefined);
        if (h?.digest !== digest) return false;
      }
      try {
        await Deno.remove(p.file);
        return true;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return false;
        throw err;
      }
    });
    if (removed) await this.#layout.prune(p);
    return removed;
  }

  /**
   * Whether a blob exists.
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * console.log(await store.exists("nothing")); // false
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  exists(key: string): Promise<boolean> {
    const op = "check blob";
    return this.#guard(
      op,
      JSON.stringify(key),
      () => this.#layout.present(this.#layout.place(key, op)),
    );
  }

  /**
   * One page of blobs under a prefix, ascending by key.
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("logs/1", "a");
   * await store.put("logs/old/2", "b");
   * const page = await store.list("logs/", { delimiter: "/" });
   * console.log(page.items.map((m) => m.key), page.prefixes); // ["logs/1"] ["logs/old/"]
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  list(prefix?: string, opts?: ListOptions): Promise<ListResult> {
    const op = "list blobs";
    return this.#guard(op, `under ${JSON.stringify(prefix ?? "")}`, async () => {
      const plan = planList(prefix, opts);
      const page = new PageBuilder(plan);
      const where = new Map<string, WalkEntry>();
      this.#dirCache.beginCall();
      if (await this.#prefixDirOk(plan.prefix, op)) {
        const walker = this.#walker(plan, opts?.cursor);
        for (let e = walker.next(); e !== undefined; e = walker.next()) {
          const offer = page.offer(e.key);
          if (offer.kind === "full") {
            walker.unread(e);
            break;
          }
          if (offer.kind === "item") where.set(e.key, e);
        }
        const cursor = page.cursor();
        if (cursor !== undefined) this.#park(plan, cursor, walker);
      }
      const metas: BlobMeta[] = [];
      for (const [i, key] of page.keys.entries()) {
        // Yield to the event loop between batches of synchronous header reads.
        if (i > 0 && i % 2048 === 0) await new Promise((r) => setTimeout(r, 0));
        const e = where.get(key)!;
        try {
          metas.push(headerMeta(key, this.#dirCache.header(e.listing, e.child, e.dir, key)));
        } catch (err) {
          if (!(err instanceof Deno.errors.NotFound)) throw err; // else deleted meanwhile
        }
      }
      this.#dirCache.endCall();
      const result: ListResult = {
        items: metas,
        prefixes: page.prefixes,
      };
      const cursor = page.cursor();
      if (cursor !== undefined) result.cursor = cursor;
      return result;
    });
  }

  /** Whether the directory a prefix starts in is inside the root (false if missing). */
  async #prefixDirOk(prefix: string, op: string): Promise<boolean> {
    if (!prefix.includes("/")) return true;
    const probe = prefix.slice(0, prefix.lastIndexOf("/")) + "/x";
    return await this.#layout.dirOk(this.#layout.place(probe, op), false);
  }

  #walker(plan: ListPlan, cursor: string | undefined): Walker {
    if (cursor !== undefined) {
      const id = parkId(plan, cursor);
      const parked = this.#parked.get(id);
      this.#parked.delete(id);
      if (parked?.stillValid()) return parked;
    }
    return new Walker(this.#dirCache, this.#real, plan.prefix, plan.after, plan.delimiter === "/");
  }

  #park(plan: ListPlan, cursor: string, walker: Walker): void {
    if (this.#dirCache.maxEntries === 0) return; // both rely on directory mtimes
    this.#parked.set(parkId(plan, cursor), walker);
    if (this.#parked.size > 16) this.#parked.delete(this.#parked.keys().next().value!);
  }

  /**
   * Copies a blob (content, type, metadata; fresh etag) to `dst`.
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("a", "x");
   * await store.copy("a", "b/c");
   * console.log(await store.exists("b/c")); // true
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  copy(src: string, dst: string): Promise<void> {
    const op = "copy blob";
    return this.#guard(op, `${JSON.stringify(src)} to ${JSON.stringify(dst)}`, async () => {
      const from = this.#layout.place(src, op);
      const to = this.#layout.place(dst, op);
      if (!await this.#layout.present(from)) throw notFound(op, src, this.root);
      const tmp = this.#session!.tempPath();
      try {
        // copyFile reads the inode it opened, so a concurrent overwrite of src
        // cannot mix two versions.
        await Deno.copyFile(from.file, tmp);
        await restampCopy(tmp, dst);
      } catch (err) {
        await Deno.remove(tmp).catch(() => {});
        if (err instanceof Deno.errors.NotFound) throw notFound(op, src, this.root);
        throw err;
      }
      await this.#publish(tmp, to, undefined, op);
    });
  }

  /**
   * Moves a blob to `dst` (one rename; the etag travels with it).
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("a", "x");
   * await store.rename("a", "b");
   * console.log(await store.exists("a"), await store.exists("b")); // false true
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  rename(src: string, dst: string): Promise<void> {
    const op = "rename blob";
    return this.#guard(op, `${JSON.stringify(src)} to ${JSON.stringify(dst)}`, async () => {
      const from = this.#layout.place(src, op);
      const to = this.#layout.place(dst, op);
      await this.#locks!.withKeys([src, dst], async () => {
        if (!await this.#layout.present(from)) throw notFound(op, src, this.root);
        if (src !== dst) await this.#layout.moveInto(from.file, to);
      });
      if (src !== dst) await this.#layout.prune(from);
    });
  }

  /**
   * Writes only if no blob exists under the key (`AlreadyExists` otherwise),
   * atomically across processes.
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.putIfAbsent("lock", "me");
   * await store.putIfAbsent("lock", "you").catch((e) => console.log(e.kind)); // AlreadyExists
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
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * const v1 = await store.put("doc", "v1");
   * await store.putIfMatch("doc", "v2", v1.etag);
   * await store.putIfMatch("doc", "v3", v1.etag).catch((e) => console.log(e.kind)); // CasMismatch
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
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("a", "x");
   * console.log(await store.deleteMany(["a", "b"])); // 1
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  deleteMany(keys: string[]): Promise<number> {
    const op = "delete blobs";
    return this.#guard(op, `(${keys?.length} keys)`, async () => {
      const places = [...keys].map((k) => this.#layout.place(k, op));
      let n = 0;
      for (const p of places) if (await this.#remove(p)) n++;
      return n;
    });
  }

  /**
   * Removes every blob under a prefix; returns how many.
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("tmp/1", "x");
   * await store.put("tmp/2/3", "y");
   * console.log(await store.deletePrefix("tmp/")); // 2
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  deletePrefix(prefix: string): Promise<number> {
    const op = "delete blobs by prefix";
    return this.#guard(op, `under ${JSON.stringify(prefix)}`, async () => {
      checkBlobPrefix(prefix, op);
      let n = 0;
      if (!await this.#prefixDirOk(prefix, op)) return 0;
      // One walk (a snapshot of each directory as it is reached), deleting as it goes.
      const walker = new Walker(this.#dirCache, this.#real, prefix, undefined, false);
      for (let e = walker.next(); e !== undefined; e = walker.next()) {
        if (await this.#remove(this.#layout.place(e.key, op))) n++;
      }
      return n;
    });
  }

  /**
   * Removes the blob only if its content has this digest.
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * import { sha256 } from "./digest.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * await store.put("k", "x");
   * console.log(await store.deleteIfMatches("k", sha256("y"))); // false
   * console.log(await store.deleteIfMatches("k", sha256("x"))); // true
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
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * const d = await store.putCas("content");
   * console.log(await store.existsCas(d)); // true
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  putCas(data: BlobData): Promise<Digest> {
    const op = "put content-addressed blob";
    return this.#guard(op, "", async () => {
      const writer = await this.#writeTemp(data, {}, op);
      let digest: Digest;
      try {
        digest = Digest.fromHex((await writer.finish()).digest);
      } catch (err) {
        await writer.discard();
        throw err;
      }
      const p = this.#layout.place(casKey(digest), op);
      await this.#locks!.withKeys([p.key], async () => {
        const current = await this.#layout.present(p)
          ? await readHeaderAt(p.file, p.key).catch(() => undefined)
          : undefined;
        if (current?.digest === digest.hex) await Deno.remove(writer.path);
        else await this.#layout.moveInto(writer.path, p);
      }).catch(async (err) => {
        await writer.discard();
        throw err;
      });
      return digest;
    });
  }

  /**
   * Reads content by digest, re-hashing it (`Corruption` on mismatch).
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * const d = await store.putCas("content");
   * console.log((await store.getCas(d)).length); // 7
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  async getCas(digest: Digest | string): Promise<Uint8Array> {
    const want = Digest.from(digest);
    const data = await this.get(casKey(want));
    if (!sha256(data).equals(want)) {
      throw new StoreError(
        "Corruption",
        `Cannot get content-addressed blob ${want.hex} in ${this.root}: content does not match`,
      );
    }
    return data;
  }

  /**
   * Whether content with this digest is stored.
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * import { sha256 } from "./digest.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * console.log(await store.existsCas(sha256("x"))); // false
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  existsCas(digest: Digest | string): Promise<boolean> {
    try {
      return this.exists(casKey(digest));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Begins a chunked upload, streamed to a temp file (never held in memory)
   * and published atomically by `complete()`.
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * const store = await LocalBlobStore.open(root);
   * const up = await store.startUpload("video.bin");
   * await up.write(new Uint8Array(1000));
   * await up.write(new Uint8Array(24));
   * console.log((await up.complete()).size); // 1024
   * await store.close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  startUpload(key: string, opts: PutOptions = {}): Promise<ChunkedUpload> {
    const op = "start upload";
    return this.#guard(op, JSON.stringify(key), async () => {
      const p = this.#layout.place(key, op);
      const writer = await this.#writeTemp(new Uint8Array(0), opts, op);
      const upload: LocalUpload = new LocalUpload(key, writer, async (header) => {
        this.#uploads.delete(upload);
        await this.#ready("complete upload");
        await this.#publish(writer.path, p, undefined, "complete upload");
        return headerMeta(key, header);
      }, () => this.#uploads.delete(upload));
      this.#uploads.add(upload);
      return upload;
    });
  }

  /**
   * Unsupported: a local store has no URLs (throws `Unsupported`).
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const store = new LocalBlobStore("./never-created");
   * await store.presign("k", { method: "GET", expiresInSeconds: 60 })
   *   .catch((e) => console.log(e.kind)); // Unsupported
   * ```
   */
  presign(key: string, _opts: PresignOptions): Promise<string> {
    try {
      checkBlobKey(key, "presign blob");
      if (this.#closed) throw new StoreError("Closed", "Cannot presign: the blob store is closed");
      throw new StoreError("Unsupported", "Cannot presign: the local blob store has no URLs");
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Aborts open uploads, releases locks and removes this store's temp files.
   *
   * @example
   * ```ts
   * import { LocalBlobStore } from "./local_blob_store.ts";
   * const root = await Deno.makeTempDir();
   * await (await LocalBlobStore.open(root)).close();
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#init?.catch(() => {});
    for (const up of [...this.#uploads]) await up.abort();
    if (this.#session) {
      await this.#indexWritten();
      this.#dirCache.saveAll();
    }
    this.#locks?.close();
    await this.#session?.end();
  }
}

function parkId(plan: ListPlan, cursor: string): string {
  return JSON.stringify([cursor, plan.prefix, plan.delimiter ?? null]);
}

function notFound(op: string, key: string, root: string): StoreError {
  return new StoreError("NotFound", `Cannot ${op}: no blob ${JSON.stringify(key)} in ${root}`);
}
