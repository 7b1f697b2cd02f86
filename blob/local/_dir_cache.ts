/**
 * Sorted directory listings of a LocalBlobStore's metadata tree and the
 * sidecars of its blobs, kept while
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
 * Listings of directories with many blobs outlive the store: once a walk has
 * read every header of such a directory, the listing is saved as an index
 * file (see `_local_dir_index.ts`) that a store opened later trusts under the
 * same rule, instead of opening every blob again.
 *
 * @module
 */
import { decodeHeader, type Header } from "./_sidecar.ts";
import { readHeadSync } from "./_io.ts";
import { BLOB_SUFFIX, entryToSegment, escapeSegment } from "./_paths.ts";
import {
  decodeIndex,
  dirStamp,
  encodeIndex,
  type FileStamp,
  fillStamp,
  HeadArena,
  type IndexChild,
  indexPath,
  sidecarFileSize,
} from "./_dir_index.ts";
import { compareKeys } from "../keys.ts";

/** How far before a read a directory's mtime must be for the read to be trusted. */
export const CLOCK_SLACK_MS = 50;
/** Directories with fewer blobs are cheap to re-read and get no index file. */
export const INDEX_MIN_BLOBS = 64;
const SURROGATE_OR_ABOVE = /[\ud800-\uffff]/;

/** One entry of a directory, as a key segment. */
export interface Child extends IndexChild {
  /** Sorts like the key: the segment, plus "/" for a directory. */
  rel: string;
  /** The decoded header, kept while the listing is cached (warm lists skip decoding). */
  decoded?: Header | undefined;
  /** A pending sidecar (`~next`) sits beside it: which one holds is decided per read. */
  pending?: boolean;
}

/**
 * Decides the header of a key whose directory holds a pending sidecar, by
 * looking at its content file; throws NotFound when the key has no blob.
 */
export type PendingResolver = (key: string, dir: string, child: Child) => Header;

/** An older listing of a directory: headers worth reusing if their file is unchanged. */
interface Hints {
  children: IndexChild[];
  arena: HeadArena;
  readAt: number;
}

function asHints(l: Listing): Hints {
  return { children: l.children, arena: l.arena, readAt: l.readAt };
}

/** A sorted directory listing, when it was read, and the blob headers known so far. */
export interface Listing {
  children: Child[];
  readAt: number;
  /** How many children are blobs, and how many of those have their header known. */
  blobs: number;
  heads: number;
  /** The raw headers known so far (see `Child.at`). */
  arena: HeadArena;
  hints: Hints | undefined;
  /** Whether headers read for this listing are kept on its children. */
  keepHeads: boolean;
  /** Whether it is in the cache (counted against its bound). */
  cached: boolean;
  /** Whether it came from, or was written to, an index file. */
  saved: boolean;
  /** Whether some child has a pending sidecar (then it is neither cached nor saved). */
  pending: boolean;
}

interface Entry {
  listing: Listing;
  checkedIn: number;
}

function readSorted(dir: string): Child[] {
  const out: Child[] = [];
  let wide = false;
  let pending: Set<string> | undefined;
  try {
    // Sync: one bounded directory read is far cheaper than an async op per entry.
    for (const e of Deno.readDirSync(dir)) {
      const parsed = entryToSegment(e.name, e.isFile, e.isDirectory);
      if (!parsed) continue;
      const rel = parsed.blob ? parsed.seg : parsed.seg + "/";
      if (!wide && SURROGATE_OR_ABOVE.test(rel)) wide = true;
      const blob = parsed.blob;
      if (parsed.pending) {
        pending ??= new Set();
        pending.add(rel);
        continue;
      }
      out.push({ rel, blob, name: e.name, at: -1, ino: -1, mtime: -1, ctime: -1, hint: -1 });
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return out;
    throw err;
  }
  if (pending) {
    for (const c of out) {
      if (c.blob && pending.delete(c.rel)) c.pending = true;
    }
    for (const rel of pending) {
      // Only a pending sidecar: a first write of the key in flight, or cut by a crash.
      const name = escapeSegment(rel) + BLOB_SUFFIX;
      out.push({ rel, blob: true, name, at: -1, ino: -1, mtime: -1, ctime: -1, hint: -1 });
      out[out.length - 1]!.pending = true;
    }
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

/**
 * Points each blob child at the same-named blob of an older listing, by a
 * merge of the two sorted lists. Both were sorted the same way unless one has
 * names at or above U+D800 and the other not; then some matches are missed,
 * which costs only a header read each.
 */
function matchHints(children: Child[], old: IndexChild[]): void {
  let j = 0;
  for (const c of children) {
    while (j < old.length && old[j]!.rel < c.rel) j++;
    const o = old[j];
    if (o === undefined) return;
    if (c.blob && o.blob && o.rel === c.rel && o.at >= 0) c.hint = j;
  }
}

const scratch: FileStamp = { ino: -1, mtime: -1, ctime: -1, size: -1 };

/** The current stamp of a file (in `scratch`), or false. */
function statNow(path: string): boolean {
  try {
    return fillStamp(Deno.lstatSync(path), scratch);
  } catch {
    return false;
  }
}

/** Bounded cache of listings and headers, by directory, backed by index files. */
export class DirCache {
  #dirs = new Map<string, Entry>();
  #size = 0;
  #call = 0;
  #root: string | undefined;
  #indexDir = "";
  #tempPath: (() => string) | undefined;
  #resolve: PendingResolver | undefined;
  #finished: [string, Listing][] = [];

  /** @param maxEntries most cached children + headers in total (0 disables) */
  constructor(readonly maxEntries: number) {}

  /**
   * Sets how pending sidecars are resolved, and enables index files in
   * `indexDir` for the metadata tree at `root` (only with a cache: both trust
   * mtimes); `tempPath` gives a private temp file name on the same file system.
   */
  attach(root: string, indexDir: string, tempPath: () => string, resolve: PendingResolver): void {
    this.#resolve = resolve;
    if (this.maxEntries > 0) {
      this.#root = root;
      this.#indexDir = indexDir;
      this.#tempPath = tempPath;
    }
  }

  /** Starts a listing: each directory is re-validated once per call. */
  beginCall(): void {
    this.#call++;
    this.#finished = [];
  }

  /** Ends a listing: saves index files of the large directories it walked through. */
  endCall(): void {
    const done = this.#finished;
    this.#finished = [];
    for (const [dir, listing] of done) this.#save(dir, listing);
  }

  /**
   * Reads every header of `dir` (reusing what an older listing knows) and
   * saves its index, if `worth(blobs)` says so for its number of blobs.
   */
  indexDir(dir: string, worth: (blobs: number) => boolean): void {
    if (this.#root === undefined) return;
    this.beginCall();
    const listing = this.listing(dir);
    if (listing.saved || listing.pending || listing.blobs < INDEX_MIN_BLOBS) return;
    if (!worth(listing.blobs)) return;
    for (const c of listing.children) {
      if (c.blob) this.header(listing, c, dir, `${c.name} in ${dir}`);
    }
    this.#save(dir, listing);
  }

  /** Saves every complete cached listing not saved yet (on close). */
  saveAll(): void {
    for (const [dir, e] of this.#dirs) this.#save(dir, e.listing);
  }

  /** The cached listing if still valid; an outdated one is dropped (returned as `stale`). */
  #valid(dir: string): { fresh?: Listing; stale?: Listing } {
    const e = this.#dirs.get(dir);
    if (!e) return {};
    if (e.checkedIn === this.#call) return { fresh: e.listing };
    if (unchangedSince(dir, e.listing.readAt)) {
      e.checkedIn = this.#call;
      return { fresh: e.listing };
    }
    this.#drop(dir, e);
    return { stale: e.listing };
  }

  #drop(dir: string, e: Entry): void {
    this.#dirs.delete(dir);
    this.#size -= e.listing.children.length + e.listing.heads;
    e.listing.cached = false;
    // A walker may still hold the listing: keep only the compact heads.
    for (const c of e.listing.children) c.decoded = undefined;
  }

  #trim(): void {
    for (const [dir, e] of this.#dirs) {
      if (this.#size <= this.maxEntries) return;
      this.#drop(dir, e);
    }
  }

  #admit(dir: string, listing: Listing): void {
    const cost = listing.children.length + listing.heads;
    if (this.maxEntries === 0 || cost > this.maxEntries || listing.pending) return;
    listing.cached = true;
    this.#dirs.set(dir, { listing, checkedIn: this.#call });
    this.#size += cost;
    this.#trim();
  }

  /** The sorted listing of a directory: cached, from its index file, or read now. */
  listing(dir: string): Listing {
    const { fresh, stale } = this.#valid(dir);
    if (fresh) return fresh;
    // An outdated listing of the same directory still knows most headers: a complete
    // one, else the one it drew on itself (say, while paging through a changing directory).
    let hints: Hints | undefined;
    if (stale && stale.blobs > 0 && stale.heads === stale.blobs) hints = asHints(stale);
    else if (stale?.hints) hints = stale.hints;
    else {
      const idx = this.#load(dir);
      if (idx?.trusted) {
        this.#admit(dir, idx.listing);
        return idx.listing;
      }
      if (idx) hints = asHints(idx.listing);
    }
    const readAt = Date.now();
    const children = readSorted(dir);
    let blobs = 0;
    let pending = false;
    for (const c of children) {
      if (c.blob) blobs++;
      if (c.pending) pending = true;
    }
    const listing: Listing = {
      children,
      readAt,
      blobs,
      heads: 0,
      arena: new HeadArena(),
      hints,
      // Headers are worth keeping if the listing is cached or may become an index.
      keepHeads: this.maxEntries > 0 && !pending &&
        (children.length <= this.maxEntries ||
          this.#root !== undefined && blobs >= INDEX_MIN_BLOBS),
      cached: false,
      saved: false,
      pending,
    };
    if (hints && blobs > 0) matchHints(children, hints.children);
    this.#admit(dir, listing);
    return listing;
  }

  /**
   * The header of blob `child` of `listing` (of directory `dir`), known or
   * read now; `where` is its key when it comes from a walk.
   */
  header(listing: Listing, child: Child, dir: string, where: string): Header {
    if (child.pending) return this.#resolve!(where, dir, child);
    if (child.decoded) return child.decoded;
    let h: Header;
    if (child.at >= 0) {
      // Checked when read from its file (and the index file has its own checksum).
      h = decodeHeader(listing.arena.get(child.at), where, true);
    } else {
      const path = `${dir}/${child.name}`;
      let head = this.#hinted(listing, child, path);
      if (head) {
        h = decodeHeader(head, where, true);
      } else {
        head = readHeadSync(path, where, scratch);
        h = decodeHeader(head, where);
      }
      if (listing.keepHeads) {
        child.at = listing.arena.add(head);
        child.ino = scratch.ino;
        child.mtime = scratch.mtime;
        child.ctime = scratch.ctime;
        listing.heads++;
        if (listing.cached && ++this.#size > this.maxEntries) this.#trim();
      }
    }
    // Counted with its head: a cached listing is bounded by the cache's size.
    if (listing.cached && child.at >= 0) child.decoded = h;
    return h;
  }

  /**
   * The header an older listing read from this very file, if the file is
   * unchanged since (same inode, mtime, ctime and size) and that mtime is older
   * than the older listing by more than the slack; leaves the file's stamp in
   * `scratch`.
   */
  #hinted(listing: Listing, child: Child, path: string): Uint8Array | undefined {
    const hints = listing.hints;
    if (!hints || child.hint < 0) return undefined;
    const old = hints.children[child.hint]!;
    if (old.ino < 0 || !(old.mtime < hints.readAt - CLOCK_SLACK_MS)) return undefined;
    if (
      !statNow(path) || scratch.ino !== old.ino || scratch.mtime !== old.mtime ||
      scratch.ctime !== old.ctime
    ) return undefined;
    const head = hints.arena.get(old.at);
    return scratch.size === sidecarFileSize(head) ? head : undefined;
  }

  /** Notes that a walk went through the whole of `dir` (saved at {@link endCall}). */
  finished(dir: string, listing: Listing): void {
    if (this.#root !== undefined && !listing.saved) this.#finished.push([dir, listing]);
  }

  #rel(dir: string): string | undefined {
    const root = this.#root;
    if (root === undefined || (dir !== root && !dir.startsWith(root + "/"))) return undefined;
    return dir.slice(root.length);
  }

  /** The directory's index file as a listing, and whether it may be used as it is. */
  #load(dir: string): { listing: Listing; trusted: boolean } | undefined {
    const rel = this.#rel(dir);
    if (rel === undefined) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(indexPath(this.#indexDir, rel));
    } catch {
      return undefined; // none yet (or unreadable): the directory is read instead
    }
    const idx = decodeIndex(bytes, rel);
    if (!idx || idx.readAt > Date.now()) return undefined;
    // Trusted whole only if the directory still has the mtime (and inode) recorded when the
    // index was saved, and that mtime was older than the listing by more than the slack.
    const stamp = dirStamp(dir);
    const trusted = stamp !== undefined && stamp.mtime === idx.mtime && stamp.ino === idx.ino &&
      idx.mtime < idx.readAt - CLOCK_SLACK_MS;
    let blobs = 0;
    for (const c of idx.children) if (c.blob) blobs++;
    const children: Child[] = idx.children;
    return {
      trusted,
      listing: {
        children,
        readAt: idx.readAt,
        blobs,
        heads: blobs,
        arena: idx.arena,
        hints: undefined,
        keepHeads: true,
        cached: false,
        saved: true,
        pending: false,
      },
    };
  }

  #save(dir: string, listing: Listing): void {
    if (
      listing.saved || listing.pending || listing.heads < listing.blobs ||
      listing.blobs < INDEX_MIN_BLOBS
    ) return;
    const rel = this.#rel(dir);
    if (rel === undefined) return;
    listing.saved = true;
    // The stamp taken now goes with it: if the directory changed since the listing was read,
    // its mtime is within the slack of the read, and a later load uses the index only as
    // per-file hints.
    const stamp = dirStamp(dir);
    if (!stamp) return;
    const tmp = this.#tempPath!();
    try {
      Deno.writeFileSync(
        tmp,
        encodeIndex(rel, listing.children, listing.arena, listing.readAt, stamp),
      );
      Deno.mkdirSync(this.#indexDir, { recursive: true });
      // No fsync: a lost or torn index is detected on load and merely rebuilt.
      Deno.renameSync(tmp, indexPath(this.#indexDir, rel));
    } catch {
      try {
        Deno.removeSync(tmp);
      } catch {
        // never written
      }
    }
  }
}
