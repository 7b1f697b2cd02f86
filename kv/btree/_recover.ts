// What happens at open: after a clean close the free list is read back from
// the pages the close saved it in; after a crash the tree is walked from the
// root, every node checked against the hash its parent recorded, and the free
// pages are the ones no node or value uses.
import { corruption, hash32, PAGE_SIZE } from "./_format.ts";
import { BRANCH, OVERFLOW } from "./_page.ts";
import type { TreeIO } from "./_writer.ts";

/** Free-list page: count u32, next page u32, next hash u32, then count page numbers. */
const PER_PAGE = (PAGE_SIZE - 12) / 4;

/** Pages needed to save `n` free page numbers. */
export function freeListPages(n: number): number {
  return Math.ceil(n / PER_PAGE);
}

/** Writes `entries` into `pages` (a chain); returns the head page and its hash. */
export function writeFreeList(
  io: TreeIO,
  entries: number[],
  pages: number[],
): { page: number; crc: number } {
  let next = 0;
  let nextCrc = 0;
  for (let j = pages.length - 1; j >= 0; j--) {
    const part = entries.slice(j * PER_PAGE, (j + 1) * PER_PAGE);
    const buf = new Uint8Array(PAGE_SIZE);
    const dv = new DataView(buf.buffer);
    dv.setUint32(0, part.length, true);
    dv.setUint32(4, next, true);
    dv.setUint32(8, nextCrc, true);
    part.forEach((p, i) => dv.setUint32(12 + 4 * i, p, true));
    next = pages[j]!;
    nextCrc = hash32(buf);
    io.pager.write(next, buf);
  }
  return { page: next, crc: nextCrc };
}

/** Reads a saved free list; returns its entries and the pages it occupied. */
export function readFreeList(
  io: TreeIO,
  head: number,
  crc: number,
  count: number,
  pageCount: number,
): { entries: number[]; pages: number[] } {
  const entries: number[] = [];
  const pages: number[] = [];
  let page = head;
  let want = crc;
  while (page !== 0) {
    if (page >= pageCount || pages.length > count + 1) {
      throw corruption(io.path, `free-list page ${page} is outside the file`);
    }
    const buf = io.pager.read(page, 1);
    if (hash32(buf) !== want) {
      throw corruption(io.path, `free-list page ${page} fails its checksum`);
    }
    const dv = new DataView(buf.buffer, buf.byteOffset, PAGE_SIZE);
    const n = dv.getUint32(0, true);
    if (n > PER_PAGE) throw corruption(io.path, `free-list page ${page} is malformed`);
    for (let i = 0; i < n; i++) {
      const p = dv.getUint32(12 + 4 * i, true);
      if (p === 0 || p >= pageCount) {
        throw corruption(io.path, `free-list page ${page} lists page ${p} outside the file`);
      }
      entries.push(p);
    }
    pages.push(page);
    page = dv.getUint32(4, true);
    want = dv.getUint32(8, true);
  }
  if (entries.length !== count) {
    throw corruption(
      io.path,
      `the free list holds ${entries.length} pages, the header says ${count}`,
    );
  }
  return { entries, pages };
}

/**
 * Walks the tree under a root, verifying every node (and the overflow values
 * written after `syncedTxn`, which a crash may have torn); returns a map of
 * used pages (1 = used). A page used twice or past the end is `Corruption`.
 */
export function walkUsed(
  io: TreeIO,
  rootPage: number,
  rootCrc: number,
  pageCount: number,
  syncedTxn: number,
): Uint8Array {
  const used = new Uint8Array(pageCount);
  used[0] = 1;
  const mark = (page: number, n: number, what: string): void => {
    if (page <= 0 || page + n > pageCount) {
      throw corruption(io.path, `${what} at page ${page} lies outside the file`);
    }
    for (let p = page; p < page + n; p++) {
      if (used[p] === 1) throw corruption(io.path, `page ${p} is used twice`);
      used[p] = 1;
    }
  };
  if (rootPage === 0) return used;
  const visit = (page: number, crc: number, depth: number): void => {
    if (depth > 64) throw corruption(io.path, "the tree is deeper than possible");
    if (page <= 0 || page >= pageCount) {
      throw corruption(io.path, `node page ${page} lies outside the file`);
    }
    const p = io.load(page, crc);
    mark(page, p.npages, "node");
    if (p.type === BRANCH) {
      for (let i = 0; i < p.count; i++) visit(p.childPage(i), p.childCrc(i), depth + 1);
      return;
    }
    for (let i = 0; i < p.count; i++) {
      if (p.bytes[p.kindOff(i)] !== OVERFLOW) continue;
      const v = p.valueRef(i);
      if (v instanceof Uint8Array) continue;
      mark(v.page, v.npages, "overflow value");
      if (v.txn > syncedTxn) io.readOverflow(v);
    }
  };
  visit(rootPage, rootCrc, 0);
  return used;
}
