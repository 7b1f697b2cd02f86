/**
 * Walks a LocalBlobStore's directory tree in ascending key order, starting
 * after a list cursor, never following symlinks. With the `/` delimiter it
 * reports each non-empty sub-directory once instead of descending into it.
 *
 * A walker can be parked between list pages and resumed, which saves reading
 * and sorting a large directory once per page. A parked walker is only
 * trusted while none of the directories it holds listings of has changed:
 * their mtime must predate the listing by more than the file system clock's
 * coarseness (see {@link Walker.stillValid}).
 *
 * @module
 */
import { join } from "node:path";
import { isBefore, type ListPosition } from "./_list.ts";
import { entryToSegment, escapeSegment } from "./_local_paths.ts";
import { compareKeys } from "./keys.ts";

/** A blob key, or (with the `/` delimiter) a directory standing for a group. */
export interface WalkEntry {
  key: string;
  group: boolean;
  path: string;
}

interface Child {
  sortKey: string;
  blob: boolean;
  name: string;
}

interface Frame {
  dir: string;
  children: Child[];
  next: number;
  readAt: number;
}

// File timestamps come from a coarse kernel clock (one tick, up to ~10 ms);
// a change this close to a listing might not show in the mtime.
const CLOCK_SLACK_MS = 50;
const SURROGATE_OR_ABOVE = /[\ud800-\uffff]/;

function readChildren(dir: string, keyPrefix: string, partial: string): Child[] {
  const out: Child[] = [];
  let wide = false;
  try {
    // Sync: one bounded directory read is far cheaper than an async op per entry.
    for (const e of Deno.readDirSync(dir)) {
      const parsed = entryToSegment(e.name, e.isFile, e.isDirectory);
      if (!parsed || !parsed.seg.startsWith(partial)) continue;
      const full = keyPrefix + parsed.seg;
      const sortKey = parsed.blob ? full : full + "/";
      if (!wide && SURROGATE_OR_ABOVE.test(sortKey)) wide = true;
      out.push({ sortKey, blob: parsed.blob, name: e.name });
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return out;
    throw err;
  }
  // Below U+D800, UTF-16 order is code point order, and the native compare is fast.
  if (wide) return out.sort((a, b) => compareKeys(a.sortKey, b.sortKey));
  return out.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
}

/** Whether a directory holds at least one blob, at any depth. */
export function hasBlob(dir: string): boolean {
  for (const c of readChildren(dir, "", "")) {
    if (c.blob || hasBlob(join(dir, c.name))) return true;
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
  #stack: Frame[] = [];
  #after: ListPosition | undefined;
  #groupDirs: boolean;
  #pending: WalkEntry | undefined;

  /**
   * @param root the store's real root
   * @param prefix the (checked) list prefix
   * @param after skip everything at or before this position
   * @param groupDirs report sub-directories as groups (delimiter `/`)
   */
  constructor(root: string, prefix: string, after: ListPosition | undefined, groupDirs: boolean) {
    const segs = prefix.split("/");
    const partial = segs.pop()!;
    const base = join(root, ...segs.map(escapeSegment));
    const basePrefix = segs.length ? segs.join("/") + "/" : "";
    this.#after = after;
    this.#groupDirs = groupDirs;
    this.#push(base, basePrefix, partial);
  }

  #push(dir: string, keyPrefix: string, partial: string): void {
    const readAt = Date.now();
    this.#stack.push({ dir, children: readChildren(dir, keyPrefix, partial), next: 0, readAt });
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
      const c = frame.children[frame.next++];
      if (!c) {
        this.#stack.pop();
        continue;
      }
      // Plain concatenation: `dir` is already normal, and join() costs per entry.
      const path = `${frame.dir}/${c.name}`;
      if (c.blob) {
        if (!isBefore(c.sortKey, this.#after)) return { key: c.sortKey, group: false, path };
        continue;
      }
      if (dirIsBefore(c.sortKey, this.#after)) continue;
      if (this.#groupDirs) {
        if (!isBefore(c.sortKey, this.#after) && hasBlob(path)) {
          return { key: c.sortKey, group: true, path };
        }
        continue;
      }
      this.#push(path, c.sortKey, "");
    }
  }

  /**
   * Whether the directory listings this walker holds still describe the disk:
   * every directory's mtime predates its listing by more than the clock slack.
   */
  async stillValid(): Promise<boolean> {
    for (const f of this.#stack) {
      try {
        const mtime = (await Deno.stat(f.dir)).mtime?.getTime();
        if (mtime === undefined || mtime >= f.readAt - CLOCK_SLACK_MS) return false;
      } catch {
        return false;
      }
    }
    return true;
  }
}
