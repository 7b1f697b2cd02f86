/**
 * The local store's backend: plain content files under the root, sidecars
 * under `.oxistore/`, temp files of this store's session, striped key locks
 * and the listing bookkeeping. The BlobStore contract above it is
 * `BlobStoreCore`'s; this module only moves bytes and keeps the crash
 * protocol (`_commit.ts`).
 *
 * @module
 */
import { join, parse, resolve } from "node:path";
import { StoreError, toStoreError } from "../../core/error.ts";
import type {
  BlobBackend,
  UploadSink,
  WriteCondition,
  WriteConflict,
  WriteInfo,
} from "../_backend.ts";
import { closedError } from "../_contract.ts";
import { resolveRange } from "../_data.ts";
import type { ListPlan } from "../_list.ts";
import { Digest } from "../digest.ts";
import type { BlobData, BlobMeta, ListResult } from "../types.ts";
import { type Change, commit, findBlob, type Found, settle } from "./_commit.ts";
import { type LocalFs, makeDirs, syncDir } from "./_fs.ts";
import {
  ContentWriter,
  readFull,
  restamped,
  sidecarBytes,
  stampOf,
  type WrittenContent,
} from "./_io.ts";
import { LocalLayout, type Place } from "./_layout.ts";
import { LocalListing } from "./_listing.ts";
import { KeyLocks, TempSession } from "./_session.ts";
import { decodeHeader, headerMeta, TOMBSTONE } from "./_sidecar.ts";
import { LocalUpload, rangeStream } from "./_stream.ts";
import { markFormat, needsUpgrade, upgrade } from "./_upgrade.ts";
import { publish, type WriteContext, writeTemp } from "./_writes.ts";

const NO_DIGEST = Digest.fromHex("0".repeat(64));
const COPY_CHUNK = 1 << 20;

/** A directory of blobs, opened on first use. */
export class LocalBackend implements BlobBackend {
  readonly removeConcurrency = 1;
  #layout: LocalLayout;
  #init: Promise<void> | undefined;
  #ctx: WriteContext | undefined;
  #closed = false;
  #uploads = new Set<LocalUpload>();
  #listing: LocalListing;

  constructor(readonly where: string, readonly fs: LocalFs, listCacheEntries: number) {
    this.#layout = new LocalLayout("", fs);
    this.#listing = new LocalListing(listCacheEntries);
  }

  async prepare(_op: string): Promise<void> {
    this.#init ??= this.#start();
    try {
      await this.#init;
    } catch (err) {
      this.#init = undefined;
      throw toStoreError(err, `open local blob store at ${this.where}`);
    }
  }

  async #start(): Promise<void> {
    const { fs, where: root } = this;
    // A new root is durable too: its parent (and any directory made above it) is fsynced.
    await makeDirs(fs, parse(resolve(root)).root, resolve(root));
    const real = await Deno.realPath(root);
    const layout = this.#layout = new LocalLayout(real, fs);
    await makeDirs(fs, real, layout.private);
    const session = await TempSession.start(join(layout.private, "tmp"));
    const tempPath = () => session.tempPath();
    const locks = new KeyLocks(join(layout.private, "lock"));
    this.#ctx = { fs, layout, session, locks };
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

  get #open(): WriteContext {
    return this.#ctx!;
  }

  #tempPath = (): string => this.#open.session.tempPath();

  checkKey(key: string, op: string): void {
    this.#layout.place(key, op);
  }

  /** The blob at `p` as a reader must see it, tidying the disk if a crash left it unsettled. */
  async #find(p: Place, stamp?: Deno.FileInfo): Promise<Found> {
    if (!this.#layout.dirOk(p)) {
      return { header: undefined, stamp: undefined, unsettled: false, rehashed: false };
    }
    const found = stamp ? findBlob(p, stampOf(stamp)) : findBlob(p);
    if (!found.unsettled) return found;
    const settled = await this.#open.locks.withKeys(
      [p.key],
      () => settle(this.#layout, this.#tempPath, p),
    );
    // Read under an open file: keep what that file's stamp says.
    return stamp && found.header ? found : settled;
  }

  /** The open content file and its header, or undefined when there is no such blob. */
  async #openBlob(p: Place) {
    if (!this.#layout.dirOk(p)) return undefined;
    let file: Deno.FsFile;
    try {
      file = await Deno.open(p.content, { read: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
        return undefined;
      }
      throw err;
    }
    try {
      const st = await file.stat();
      if (!st.isFile) {
        file.close();
        return undefined;
      }
      if (Deno.lstatSync(p.content).isSymlink) {
        throw new StoreError("Corruption", `Refusing ${JSON.stringify(p.key)}: it is a symlink`);
      }
      const { header } = await this.#find(p, st);
      if (!header) {
        file.close();
        return undefined;
      }
      return { file, header };
    } catch (err) {
      file.close();
      throw err;
    }
  }

  async write(
    key: string,
    data: BlobData,
    info: WriteInfo,
    cond: WriteCondition | undefined,
    op: string,
  ): Promise<BlobMeta | WriteConflict> {
    const p = this.#layout.place(key, op);
    // A cheap early answer; the decisive check is repeated under the key lock.
    if (cond && "ifAbsent" in cond && (await this.#find(p)).header) return "exists";
    const ctx = this.#open;
    const { written, sidecar, ready } = await writeTemp(
      ctx,
      data,
      op,
      info.contentType,
      info.metadata,
    );
    const conflict = await publish(ctx, written, sidecar, p, cond, op, ready);
    if (conflict) return conflict;
    this.#listing.noteWrite(p.dirs);
    return headerMeta(key, decodeHeader(sidecar, key, true));
  }

  async read(key: string): Promise<Uint8Array | undefined> {
    const op = "get blob";
    const opened = await this.#openBlob(this.#layout.place(key, op));
    if (!opened) return undefined;
    const { file, header } = opened;
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
  }

  async readStream(
    key: string,
    range: { start: number; end?: number } | undefined,
    op: string,
  ): Promise<ReadableStream<Uint8Array> | undefined> {
    const opened = await this.#openBlob(this.#layout.place(key, op));
    if (!opened) return undefined;
    const { file, header } = opened;
    let start: number, end: number;
    try {
      [start, end] = resolveRange(range, header.size, op);
      await file.seek(start, Deno.SeekMode.Start);
    } catch (err) {
      file.close();
      throw err;
    }
    return rangeStream(file, end - start, `${op} ${JSON.stringify(key)} in ${this.where}`);
  }

  async stat(key: string): Promise<BlobMeta | undefined> {
    const { header } = await this.#find(this.#layout.place(key, "head blob"));
    return header && headerMeta(key, header);
  }

  #tombstone(p: Place): Change {
    const bytes = sidecarBytes(0, NO_DIGEST, TOMBSTONE, undefined, {});
    return { place: p, sidecar: bytes, tombstone: true };
  }

  remove(key: string, ifDigest?: Digest): Promise<boolean> {
    return this.#remove(this.#layout.place(key, "delete blob"), ifDigest?.hex);
  }

  async #remove(p: Place, digest?: string): Promise<boolean> {
    if (!this.#layout.dirOk(p)) return false;
    const removed = await this.#open.locks.withKeys([p.key], async () => {
      const current = await settle(this.#layout, this.#tempPath, p);
      if (!current.header) return false;
      if (digest !== undefined && current.header.digest !== digest) return false;
      await commit(this.#layout, this.#tempPath, [this.#tombstone(p)], async () => {
        await this.fs.remove(p.content);
        await syncDir(this.fs, p.contentDir);
      });
      return true;
    });
    if (removed) await this.#layout.prune(p);
    return removed;
  }

  async removePrefix(prefix: string): Promise<number> {
    let n = 0;
    // One walk, deleting as it goes.
    for (const key of this.#listing.keys(prefix)) {
      if (await this.#remove(this.#layout.place(key, "delete blobs by prefix"))) n++;
    }
    return n;
  }

  list(plan: ListPlan): Promise<ListResult> {
    return this.#listing.page(plan);
  }

  async copy(src: string, dst: string, op: string): Promise<boolean> {
    const to = this.#layout.place(dst, op);
    // Copied from the open file, so a concurrent overwrite of src cannot mix two versions.
    const opened = await this.#openBlob(this.#layout.place(src, op));
    if (!opened) return false;
    const { file, header } = opened;
    const writer = await ContentWriter.create(this.fs, this.#tempPath()).catch((err) => {
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
      await writer.discard(this.fs);
      throw err;
    } finally {
      file.close();
    }
    const sidecar = restamped(header, written.stamp, crypto.getRandomValues(new Uint8Array(16)));
    await publish(this.#open, written, sidecar, to, undefined, op);
    this.#listing.noteWrite(to.dirs);
    return true;
  }

  async rename(src: string, dst: string, op: string): Promise<boolean> {
    const from = this.#layout.place(src, op);
    const to = this.#layout.place(dst, op);
    const { session, locks } = this.#open;
    const tempPath = this.#tempPath;
    const found = await locks.withKeys([src, dst], async () => {
      const moving = this.#layout.dirOk(from)
        ? await settle(this.#layout, tempPath, from)
        : undefined;
      if (!moving?.header) return false;
      if (src === dst) return true;
      await this.#layout.prepare(to, op);
      const replaced = await settle(this.#layout, tempPath, to);
      const aside = replaced.stamp ? session.setAside(to.content) : undefined;
      try {
        // Same inode after the rename: the sidecar describes the moved file as it is.
        const sidecar = restamped(moving.header, moving.stamp!);
        const changes = [{ place: to, sidecar, tombstone: false }, this.#tombstone(from)];
        await commit(this.#layout, tempPath, changes, async () => {
          await this.fs.rename(from.content, to.content);
          await syncDir(this.fs, to.contentDir);
          if (from.contentDir !== to.contentDir) await syncDir(this.fs, from.contentDir);
        });
      } finally {
        if (aside !== undefined) session.discardLater(aside);
      }
      return true;
    });
    if (found && src !== dst) {
      await this.#layout.prune(from);
      this.#listing.noteWrite(to.dirs);
    }
    return found;
  }

  async openUpload(key: string, info: WriteInfo, op: string): Promise<UploadSink> {
    const p = this.#layout.place(key, op);
    const writer = await ContentWriter.create(this.fs, this.#tempPath());
    const upload: LocalUpload = new LocalUpload(key, this.fs, writer, async (written) => {
      this.#uploads.delete(upload);
      if (this.#closed) throw closedError("complete upload", this.where);
      const { contentType, metadata } = info;
      const sidecar = sidecarBytes(
        written.size,
        written.digest,
        written.stamp,
        contentType,
        metadata,
      );
      await publish(this.#open, written, sidecar, p, undefined, "complete upload");
      this.#listing.noteWrite(p.dirs);
      return headerMeta(key, decodeHeader(sidecar, key, true));
    }, () => this.#uploads.delete(upload));
    this.#uploads.add(upload);
    return upload;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#init?.catch(() => {});
    for (const up of [...this.#uploads]) await up.abort();
    const ctx = this.#ctx;
    if (ctx) await this.#listing.close();
    ctx?.locks.close();
    await ctx?.session.end();
  }
}
