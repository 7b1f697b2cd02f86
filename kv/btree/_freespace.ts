// Which pages are free. A page freed by commit C is "pending" until no view
// can reach it (every pinned snapshot and the last durable header are at C
// or later); only then does it become reusable. Allocation takes the lowest
// reusable pages first, so live data drifts toward the start of the file.

export class FreeSpace {
  /** 1 = reusable. Indexed by page number; grows with the file. */
  #bits: Uint8Array;
  /** Number of reusable pages. */
  count = 0;
  /** No reusable page below this. */
  #hint = 1;
  /** Pages in the file, page 0 included; allocation past it grows the file. */
  pageCount: number;
  /** Freed pages not yet reusable, oldest commit first. */
  readonly pending: { txn: number; pages: number[] }[] = [];
  pendingCount = 0;
  /** Bumped whenever pages become reusable (unpinned scans re-seek then). */
  generation = 0;

  constructor(pageCount: number) {
    this.pageCount = pageCount;
    this.#bits = new Uint8Array(Math.max(64, pageCount * 2));
  }

  isFree(page: number): boolean {
    return this.#bits[page] === 1;
  }

  #grow(n: number): void {
    if (n <= this.#bits.length) return;
    const next = new Uint8Array(Math.max(n, this.#bits.length * 2));
    next.set(this.#bits);
    this.#bits = next;
  }

  /** Marks pages reusable right away (open, aborted commits). */
  markFree(page: number, npages = 1): void {
    this.#grow(page + npages);
    for (let p = page; p < page + npages; p++) {
      if (this.#bits[p] === 0 && p > 0 && p < this.pageCount) {
        this.#bits[p] = 1;
        this.count++;
      }
    }
    if (page < this.#hint) this.#hint = Math.max(1, page);
  }

  /** Records pages freed by commit `txn`. */
  addPending(txn: number, pages: number[]): void {
    if (pages.length === 0) return;
    const last = this.pending[this.pending.length - 1];
    if (last !== undefined && last.txn === txn) last.pages.push(...pages);
    else this.pending.push({ txn, pages });
    this.pendingCount += pages.length;
  }

  /** Makes pages freed at or before `limit` reusable; true if any were. */
  release(limit: number): boolean {
    let any = false;
    while (this.pending.length > 0 && this.pending[0]!.txn <= limit) {
      const e = this.pending.shift()!;
      this.pendingCount -= e.pages.length;
      for (const p of e.pages) this.markFree(p);
      any = true;
    }
    if (any) this.generation++;
    return any;
  }

  /** `npages` contiguous pages: the lowest reusable run, else the end of the file. */
  alloc(npages: number): number {
    if (npages === 1 && this.count > 0) {
      const bits = this.#bits;
      for (let p = this.#hint; p < this.pageCount; p++) {
        if (bits[p] === 1) {
          bits[p] = 0;
          this.count--;
          this.#hint = p + 1;
          return p;
        }
      }
    } else if (npages > 1 && this.count > 0) {
      const run = this.#findRun(npages);
      if (run > 0) {
        const end = Math.min(run + npages, this.pageCount);
        for (let p = run; p < end; p++) this.#bits[p] = 0;
        this.count -= end - run;
        if (run + npages > this.pageCount) {
          this.pageCount = run + npages;
          this.#grow(this.pageCount);
        }
        return run;
      }
    }
    const p = this.pageCount;
    this.pageCount += npages;
    this.#grow(this.pageCount);
    return p;
  }

  /** Start of the lowest free run of `n` pages, or of a free run ending the file; else 0. */
  #findRun(n: number): number {
    const bits = this.#bits;
    let start = 0;
    let len = 0;
    for (let p = this.#hint; p < this.pageCount; p++) {
      if (bits[p] === 1) {
        if (len === 0) start = p;
        if (++len === n) return start;
      } else len = 0;
    }
    return len > 0 ? start : 0;
  }

  /** Drops reusable pages at the end of the file; returns the new page count. */
  trimTail(): number {
    while (this.pageCount > 1 && this.#bits[this.pageCount - 1] === 1) {
      this.#bits[this.pageCount - 1] = 0;
      this.count--;
      this.pageCount--;
    }
    return this.pageCount;
  }

  /** Every free page, reusable or pending, ascending. */
  all(): number[] {
    const out: number[] = [];
    for (let p = 1; p < this.pageCount; p++) if (this.#bits[p] === 1) out.push(p);
    for (const e of this.pending) out.push(...e.pages);
    return out.sort((a, b) => a - b);
  }

  /** Takes specific reusable pages out of the free set. */
  take(pages: number[]): void {
    for (const p of pages) {
      if (this.#bits[p] === 1) {
        this.#bits[p] = 0;
        this.count--;
      }
    }
  }
}
