// When a B-tree store checkpoints and where its next commit log goes. Every
// commit between checkpoints is a log record; its pages wait in memory, and
// pages the last checkpoint still reaches cannot be reused until the next.
import { PAGE_SIZE } from "./_format.ts";
import type { FreeSpace } from "./_freespace.ts";
import { type LogExtent, recordSize } from "./_log.ts";
import type { RawOp } from "../../core/engine.ts";
import type { DeferredPager } from "./_pager.ts";

/** A new commit log's length in pages (64 KiB); it doubles each time one fills up. */
export const LOG_MIN_PAGES = 16;
/** The longest commit log (1 MiB): a fuller one is checkpointed. */
const LOG_MAX_PAGES = 256;
/** A commit writing more than this in overflow values is a checkpoint, not a log record. */
const LARGE_VALUE_BYTES = 64 * 1024;
/**
 * Pages freed since the last checkpoint that it still reaches cannot be
 * reused until the next one: a checkpoint comes once they pass 20% of the
 * live pages. Fewer checkpoints mean faster random loads and a bigger file:
 * 200k random inserts of 100-byte values end at 1.9× the raw bytes (25%: 2.05×).
 */
const PENDING_MIN_PAGES = 64;
const PENDING_SHARE = 0.2;
/** Pages waiting in memory past this many bytes are checkpointed. */
const DIRTY_MAX_BYTES = 64 * 1024 * 1024;

/** True when waiting pages or unreusable freed pages call for a checkpoint now. */
export function checkpointDue(space: FreeSpace, pager: DeferredPager): boolean {
  return pager.dirtyBytes > DIRTY_MAX_BYTES ||
    space.pendingOldCount >
      Math.max(
        PENDING_MIN_PAGES,
        (space.pageCount - space.count - space.pendingCount) * PENDING_SHARE,
      );
}

/**
 * True when a commit is cheaper as a checkpoint than as a log record: its
 * large values would be written twice (log, then checkpoint), or the pages
 * waiting are hardly more than its record (a sequential load appends new
 * leaves no later commit touches: logging them would only write them twice).
 */
export function writesOnce(
  w: { overflowBytes: number },
  ops: readonly RawOp[],
  pager: DeferredPager,
): boolean {
  return w.overflowBytes > LARGE_VALUE_BYTES || pager.dirtyBytes <= 2 * recordSize(ops);
}

/** The next log's length after one filled up: double, but at most an eighth of the file. */
export function grownLogPages(pages: number, filePages: number): number {
  const grown = Math.min(LOG_MAX_PAGES, pages * 2);
  return grown * 8 <= filePages ? grown : pages;
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
