// When a B-tree store checkpoints, how it merges its write buffer, and where
// its next commit log goes. Every commit between checkpoints is a log record
// and a buffered change; the tree itself changes only at checkpoints.
import { PAGE_SIZE } from "./_format.ts";
import type { FreeSpace } from "./_freespace.ts";
import type { LogExtent } from "./_log.ts";
import type { DeferredPager } from "./_pager.ts";

/** A new commit log's length in pages (64 KiB); it doubles each time one fills up. */
export const LOG_MIN_PAGES = 16;
/** The longest commit log (4 MiB): a fuller one is checkpointed. */
const LOG_MAX_PAGES = 1024;
/**
 * A log may grow to this length (512 KiB) whatever the file's size. Without
 * it a small store's log stayed at an eighth of the file (a 2 MiB store: 256
 * KiB), so batches of random keys checkpointed every ~20 commits, each
 * checkpoint rewriting most leaves. It costs a small store up to 512 KiB of
 * disk and leaves the crash replay bound (one log, at most 4 MiB) as it was.
 * Not 1 MiB: the later a log stops doubling, the later the file stops growing
 * under a steady workload (tests/btree/engine_test.ts).
 */
const LOG_FLOOR_PAGES = 128;
/** A commit writing more than this in overflow values is a checkpoint, not a log record. */
export const LARGE_VALUE_BYTES = 64 * 1024;
/** Buffered commits past this many bytes (in memory) are checkpointed. */
export const BUFFER_MAX_BYTES = 16 * 1024 * 1024;
/** A batch of at least this many new keys past the end of the tree is written directly. */
export const APPEND_MIN_OPS = 64;
/**
 * A checkpoint merges at most this share of the live pages' worth of leaves
 * per step: the pages a step frees are reused by the next only once it is
 * durable, so this bounds how far the file grows past its live pages.
 */
const SLICE_SHARE = 0.1;
/**
 * A step may always take 2 MiB of leaves: a store under 2 MiB of live pages
 * then checkpoints in one synced step and one under 4 MiB in two, not up to
 * ten, for at most 2 MiB of file past its live pages. Not 4 MiB: a 2 MiB
 * buffer would then merge in one step and tests/btree/buffer_test.ts's
 * several-steps test would test nothing.
 */
const SLICE_MIN_PAGES = 512;

/**
 * How many of `n` sorted buffered ops one merge step takes: about the keys
 * of a tenth of the tree's leaves (random keys spread over every leaf, so
 * equal counts are equal key ranges).
 */
export function mergeSliceKeys(n: number, space: FreeSpace): number {
  const live = space.pageCount - space.count - space.pendingCount;
  const perStep = Math.max(SLICE_MIN_PAGES, live * SLICE_SHARE);
  const steps = Math.max(1, Math.ceil(Math.min(n, live) / perStep));
  return Math.ceil(n / steps);
}

/**
 * The next log's length after one filled up: double, up to 512 KiB in any
 * store, beyond that (to 4 MiB) only while it stays an eighth of the file.
 */
export function grownLogPages(pages: number, filePages: number): number {
  const grown = Math.min(LOG_MAX_PAGES, pages * 2);
  return grown <= LOG_FLOOR_PAGES || grown * 8 <= filePages ? grown : pages;
}

/**
 * Where a checkpoint's new log goes: the old log's pages under a new salt
 * when the length is unchanged (its records stop matching once the new slot
 * is durable; until then the older slot still names them), else a new run
 * whose blocks past the end of the file are written now, so log appends
 * overwrite in place and an fdatasync need not touch the file's metadata.
 */
export function nextLogExtent(
  old: LogExtent | undefined,
  npages: number,
  salt: number,
  space: FreeSpace,
  pager: DeferredPager,
): LogExtent {
  if (old !== undefined && old.npages === npages) return { page: old.page, npages, salt };
  const filePages = Math.ceil(pager.size() / PAGE_SIZE);
  const page = space.alloc(npages);
  const tail = Math.max(page, filePages);
  if (tail < page + npages) pager.write(tail, new Uint8Array((page + npages - tail) * PAGE_SIZE));
  return { page, npages, salt };
}
