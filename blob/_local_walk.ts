/**
 * Walks a LocalBlobStore's directory tree in ascending key order, starting
 * after a list cursor, never following symlinks. With the `/` delimiter it
 * reports each non-empty sub-directory once instead of descending into it.
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
  seg: string;
  blob: boolean;
  name: string;
}

async function children(dir: string, keyPrefix: string, partial: string): Promise<Child[]> {
  const out: Child[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const parsed = entryToSegment(e.name, e.isFile, e.isDirectory);
      if (!parsed || !parsed.seg.startsWith(partial)) continue;
      const full = keyPrefix + parsed.seg;
      out.push({
        sortKey: parsed.blob ? full : full + "/",
        seg: parsed.seg,
        blob: parsed.blob,
        name: e.name,
      });
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return out;
    throw err;
  }
  return out.sort((a, b) => compareKeys(a.sortKey, b.sortKey));
}

/** Whether a directory holds at least one blob, at any depth. */
export async function hasBlob(dir: string): Promise<boolean> {
  for (const c of await children(dir, "", "")) {
    if (c.blob || await hasBlob(join(dir, c.name))) return true;
  }
  return false;
}

/** Whether every key under directory prefix `dp` comes at or before `after`. */
function dirIsBefore(dp: string, after: ListPosition | undefined): boolean {
  if (after === undefined) return false;
  if (after.group && dp.startsWith(after.key)) return true;
  return compareKeys(dp, after.key) < 0 && !after.key.startsWith(dp);
}

/**
 * Yields blob keys (and, for `groupDirs`, directory groups) under `prefix`
 * in ascending order, skipping everything at or before `after`.
 */
export async function* walk(
  root: string,
  prefix: string,
  after: ListPosition | undefined,
  groupDirs: boolean,
): AsyncGenerator<WalkEntry> {
  const segs = prefix.split("/");
  const partial = segs.pop()!;
  const base = join(root, ...segs.map(escapeSegment));
  const basePrefix = segs.length ? segs.join("/") + "/" : "";
  yield* visit(base, basePrefix, partial, after, groupDirs);
}

async function* visit(
  dir: string,
  keyPrefix: string,
  partial: string,
  after: ListPosition | undefined,
  groupDirs: boolean,
): AsyncGenerator<WalkEntry> {
  for (const c of await children(dir, keyPrefix, partial)) {
    const path = join(dir, c.name);
    if (c.blob) {
      if (!isBefore(c.sortKey, after)) yield { key: c.sortKey, group: false, path };
      continue;
    }
    if (dirIsBefore(c.sortKey, after)) continue;
    if (groupDirs) {
      if (!isBefore(c.sortKey, after) && await hasBlob(path)) {
        yield { key: c.sortKey, group: true, path };
      }
      continue;
    }
    yield* visit(path, c.sortKey, "", after, false);
  }
}
