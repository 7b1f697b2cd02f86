/**
 * Walks a LocalBlobStore's directory tree in ascending key order, starting
 * after a list cursor, never following symlinks. With the `/` delimiter it
 * reports each non-empty sub-directory once instead of descending into it.
 *
 * A walker can be parked between list pages and resumed, which saves going
 * through a large directory once per page. A parked walker is only trusted
 * while none of the directories it holds listings of has changed (see
 * `unchangedSince`).
 *
 * @module
 */
import { isBefore, type ListPosition } from "../_list.ts";
import { type Child, type DirCache, type Listing, unchangedSince } from "./_dir_cache.ts";
import { escapeSegment } from "./_paths.ts";
import { compareKeys } from "../keys.ts";

/** A blob key, or (with the `/` delimiter) a directory standing for a group. */
export interface WalkEntry {
  key: string;
  group: boolean;
  /** The directory holding the entry. */
  dir: string;
  /** The entry's file or directory name. */
  name: string;
  /** The listing it came from, and its entry there (for the header). */
  listing: Listing;
  child: Child;
}

interface Frame {
  dir: string;
  keyPrefix: string;
  partial: string;
  listing: Listing;
  next: number;
}

/** Whether a directory holds at least one blob, at any depth. */
export function hasBlob(cache: DirCache, dir: string): boolean {
  for (const c of cache.listing(dir).children) {
    if (c.blob || hasBlob(cache, `${dir}/${c.name}`)) return true;
  }
  return false;
}

/** Whether every key under directory prefix `dp` comes at or before `after`. */
function dirIsBefore(dp: string, after: ListPosition | undefined): boolean {
  if (after === undefined) return false;
  if (after.group && dp.startsWith(after.key)) return true;
  return compareKeys(dp, after.key) < 0 && !after.key.startsWith(dp);
}

/** Resumable in-order walk of the keys under a prefix. */
export class Walker {
  #cache: DirCache;
  #stack: Frame[] = [];
  #after: ListPosition | undefined;
  #groupDirs: boolean;
  #pending: WalkEntry | undefined;

  /**
   * @param cache where directory listings come from
   * @param root the store's real root
   * @param prefix the (checked) list prefix
   * @param after skip everything at or before this position
   * @param groupDirs report sub-directories as groups (delimiter `/`)
   */
  constructor(
    cache: DirCache,
    root: string,
    prefix: string,
    after: ListPosition | undefined,
    groupDirs: boolean,
  ) {
    this.#cache = cache;
    const segs = prefix.split("/");
    const partial = segs.pop()!;
    const base = [root, ...segs.map(escapeSegment)].join("/");
    const basePrefix = segs.length ? segs.join("/") + "/" : "";
    this.#after = after;
    this.#groupDirs = groupDirs;
    this.#push(base, basePrefix, partial);
  }

  #push(dir: string, keyPrefix: string, partial: string): void {
    this.#stack.push({ dir, keyPrefix, partial, listing: this.#cache.listing(dir), next: 0 });
  }

  /** Hands an entry back, to be returned by the next `next()`. */
  unread(entry: WalkEntry): void {
    this.#pending = entry;
  }

  /** The next entry in key order, or undefined at the end. */
  next(): WalkEntry | undefined {
    if (this.#pending) {
      const p = this.#pending;
      this.#pending = undefined;
      return p;
    }
    for (;;) {
      const frame = this.#stack[this.#stack.length - 1];
      if (!frame) return undefined;
      const c = frame.listing.children[frame.next++];
      if (!c) {
        this.#stack.pop();
        this.#cache.finished(frame.dir, frame.listing);
        continue;
      }
      if (!c.rel.startsWith(frame.partial)) continue; // partial holds no "/"
      const key = frame.keyPrefix + c.rel;
      if (c.blob) {
        if (!isBefore(key, this.#after)) {
          return {
            key,
            group: false,
            dir: frame.dir,
            name: c.name,
            listing: frame.listing,
            child: c,
          };
        }
        continue;
      }
      if (dirIsBefore(key, this.#after)) continue;
      const path = `${frame.dir}/${c.name}`;
      if (this.#groupDirs) {
        if (!isBefore(key, this.#after) && hasBlob(this.#cache, path)) {
          return {
            key,
            group: true,
            dir: frame.dir,
            name: c.name,
            listing: frame.listing,
            child: c,
          };
        }
        continue;
      }
      this.#push(path, key, "");
    }
  }

  /** Whether the directory listings this walker holds still describe the disk. */
  stillValid(): boolean {
    return this.#stack.every((f) => unchangedSince(f.dir, f.listing.readAt));
  }
}
