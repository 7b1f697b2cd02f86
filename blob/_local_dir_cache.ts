/**
 * Sorted directory listings and blob headers of a LocalBlobStore, kept while
 * their directory is unchanged, so listing a stable directory again (or its
 * next page) costs neither a directory read nor a header read per blob.
 *
 * Every blob write, overwrite, rename or delete changes its directory (a
 * rename or unlink of an entry), so a directory whose mtime is unchanged has
 * the same blobs with the same headers. File timestamps come from a coarse
 * kernel clock (one tick, up to ~10 ms), so an entry is trusted only while the
 * directory's mtime predates the moment it was read by more than
 * {@link CLOCK_SLACK_MS}; a directory changed more recently is simply re-read.
 *
 * @module
 */
import type { Header } from "./_local_format.ts";
import { readHeaderSync } from "./_local_io.ts";
import { entryToSegment } from "./_local_paths.ts";
import { compareKeys } from "./keys.ts";

/** How far before a read a directory's mtime must be for the read to be trusted. */
export const CLOCK_SLACK_MS = 50;
const SURROGATE_OR_ABOVE = /[\ud800-\uffff]/;

/** One entry of a directory, as a key segment. */
export interface Child {
  /** Sorts like the key: the segment, plus "/" for a directory. */
  rel: string;
  blob: boolean;
  name: string;
}

/** A sorted directory listing and when it was read. */
export interface Listing {
  children: Child[];
  readAt: number;
}

interface Entry extends Listing {
  headers: Map<string, Header>;
  checkedIn: number;
}

function readSorted(dir: string): Child[] {
  const out: Child[] = [];
  let wide = false;
  try {
    // Sync: one bounded directory read is far cheaper than an async op per entry.
    for (const e of Deno.readDirSync(dir)) {
      const parsed = entryToSegment(e.name, e.isFile, e.isDirectory);
      if (!parsed) continue;
      const rel = parsed.blob ? parsed.seg : parsed.seg + "/";
      if (!wide && SURROGATE_OR_ABOVE.test(rel)) wide = true;
      out.push({ rel, blob: parsed.blob, name: e.name });
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return out;
    throw err;
  }
  // Below U+D800, UTF-16 order is code point order, and the native compare is fast.
  if (wide) return out.sort((a, b) => compareKeys(a.rel, b.rel));
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** Whether a directory is unchanged since a read at `readAt`. */
export function unchangedSince(dir: string, readAt: number): boolean {
  try {
    const mtime = Deno.statSync(dir).mtime?.getTime();
    return mtime !== undefined && mtime < readAt - CLOCK_SLACK_MS;
  } catch {
    return false;
  }
}

/** Bounded cache of listings and headers, by directory. */
export class DirCache {
  #dirs = new Map<string, Entry>();
  #size = 0;
  #call = 0;

  /** @param maxEntries most cached children + headers in total (0 disables) */
  constructor(readonly maxEntries: number) {}

  /** Starts a listing: each directory is re-validated once per call. */
  beginCall(): void {
    this.#call++;
  }

  #valid(dir: string): Entry | undefined {
    const e = this.#dirs.get(dir);
    if (!e) return undefined;
    if (e.checkedIn === this.#call) return e;
    if (unchangedSince(dir, e.readAt)) {
      e.checkedIn = this.#call;
      return e;
    }
    this.#drop(dir, e);
    return undefined;
  }

  #drop(dir: string, e: Entry): void {
    this.#dirs.delete(dir);
    this.#size -= e.children.length + e.headers.size;
  }

  #trim(): void {
    for (const [dir, e] of this.#dirs) {
      if (this.#size <= this.maxEntries) return;
      this.#drop(dir, e);
    }
  }

  /** The sorted listing of a directory, cached or read now. */
  listing(dir: string): Listing {
    const cached = this.#valid(dir);
    if (cached) return cached;
    const readAt = Date.now();
    const children = readSorted(dir);
    if (this.maxEntries > 0 && children.length <= this.maxEntries) {
      this.#dirs.set(dir, { children, readAt, headers: new Map(), checkedIn: this.#call });
      this.#size += children.length;
      this.#trim();
    }
    return { children, readAt };
  }

  /** The header of blob file `name` in `dir`, cached or read now. */
  header(dir: string, name: string, where: string): Header {
    const e = this.#valid(dir);
    const hit = e?.headers.get(name);
    if (hit) return hit;
    const h = readHeaderSync(`${dir}/${name}`, where);
    if (e) {
      e.headers.set(name, h);
      this.#size++;
      if (this.#size > this.maxEntries) this.#trim();
    }
    return h;
  }
}
