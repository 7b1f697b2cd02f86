/**
 * The listing side of a LocalBlobStore: pages of keys walked from the
 * metadata tree, the cache of directory listings and sidecars behind them,
 * walkers parked between pages, and the bookkeeping that decides which
 * directories get an index file when the store closes.
 *
 * @module
 */
import { type ListPlan, PageBuilder } from "../_list.ts";
import type { ListResult } from "../types.ts";
import { type Header, headerMeta } from "./_sidecar.ts";
import { type WalkEntry, Walker } from "./_walk.ts";
import { CLOCK_SLACK_MS, DirCache, INDEX_MIN_BLOBS, type PendingResolver } from "./_dir_cache.ts";

const MAX_TRACKED_DIRS = 10_000;
const MAX_PARKED = 16;

function parkId(plan: ListPlan, cursor: string): string {
  return JSON.stringify([cursor, plan.prefix, plan.delimiter ?? null]);
}

/** Listing state of one open store. */
export class LocalListing {
  #cache: DirCache;
  #meta = "";
  // Walkers parked at the end of a page, by cursor, so the next page resumes
  // where the last one stopped.
  #parked = new Map<string, Walker>();
  // Blobs written per metadata directory (walker-style path), and when this store last wrote.
  #written = new Map<string, number>();
  #lastWrite = 0;

  /** @param maxEntries most cached directory entries plus sidecars (0: no cache, no index) */
  constructor(maxEntries: number) {
    this.#cache = new DirCache(maxEntries);
  }

  /**
   * Binds the metadata tree at `meta`, index files in `indexDir`, temp names
   * and the resolver of pending sidecars.
   */
  attach(meta: string, indexDir: string, tempPath: () => string, resolve: PendingResolver): void {
    this.#meta = meta;
    this.#cache.attach(meta, indexDir, tempPath, resolve);
  }

  /** One page of keys under `prefix`, with their metadata. */
  async page(plan: ListPlan): Promise<ListResult> {
    const page = new PageBuilder(plan);
    const where = new Map<string, WalkEntry>();
    this.#cache.beginCall();
    const walker = this.#walker(plan, plan.cursor);
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
    const items = [];
    for (const [i, key] of page.keys.entries()) {
      // Yield to the event loop between batches of synchronous sidecar reads.
      if (i > 0 && i % 2048 === 0) await new Promise((r) => setTimeout(r, 0));
      const e = where.get(key)!;
      let h: Header;
      try {
        h = this.#cache.header(e.listing, e.child, e.dir, key);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) continue; // deleted meanwhile
        throw err;
      }
      items.push(headerMeta(key, h));
    }
    this.#cache.endCall();
    const result: ListResult = { items, prefixes: page.prefixes };
    if (cursor !== undefined) result.cursor = cursor;
    return result;
  }

  /** Every key under `prefix`, in order (a snapshot of each directory as it is reached). */
  *keys(prefix: string): Generator<string> {
    const walker = new Walker(this.#cache, this.#meta, prefix, undefined, false);
    for (let e = walker.next(); e !== undefined; e = walker.next()) yield e.key;
  }

  #walker(plan: ListPlan, cursor: string | undefined): Walker {
    if (cursor !== undefined) {
      const id = parkId(plan, cursor);
      const parked = this.#parked.get(id);
      this.#parked.delete(id);
      if (parked?.stillValid()) return parked;
    }
    return new Walker(this.#cache, this.#meta, plan.prefix, plan.after, plan.delimiter === "/");
  }

  #park(plan: ListPlan, cursor: string, walker: Walker): void {
    if (this.#cache.maxEntries === 0) return; // both rely on directory mtimes
    this.#parked.set(parkId(plan, cursor), walker);
    if (this.#parked.size > MAX_PARKED) this.#parked.delete(this.#parked.keys().next().value!);
  }

  /** Counts a blob written into metadata directory `dirs`, so close() can index it. */
  noteWrite(dirs: string[]): void {
    if (this.#cache.maxEntries === 0) return; // no index files without a list cache
    const dir = [this.#meta, ...dirs].join("/"); // as the walker names directories
    const n = this.#written.get(dir);
    if (n !== undefined) this.#written.set(dir, n + 1);
    else if (this.#written.size < MAX_TRACKED_DIRS) this.#written.set(dir, 1);
    this.#lastWrite = Date.now();
  }

  /**
   * Indexes the directories this store wrote at least a quarter of the blobs
   * of (and enough for an index), so the next store lists them at once, and
   * saves every complete cached listing. Waits out the clock slack first, so
   * the index is trusted whole.
   */
  async close(): Promise<void> {
    const dirs = [...this.#written].filter(([, n]) => n >= INDEX_MIN_BLOBS);
    this.#written.clear();
    if (dirs.length > 0) {
      const wait = this.#lastWrite + CLOCK_SLACK_MS + 5 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      for (const [dir, n] of dirs) {
        try {
          this.#cache.indexDir(dir, (blobs) => n * 4 >= blobs);
        } catch {
          // best effort: the index is only a cache
        }
      }
    }
    this.#cache.saveAll();
  }
}
