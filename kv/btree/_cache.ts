// Decoded pages by page number, bounded in bytes; second-chance (clock)
// eviction so a hit costs one Map lookup and a bit set.
import type { Page } from "./_page.ts";

export class PageCache {
  readonly #map = new Map<number, Page>();
  readonly #capacity: number;
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(capacityBytes: number) {
    this.#capacity = Math.max(capacityBytes, 64 * 1024);
  }

  /** The page if cached and its hash matches the parent's; counts a hit or miss. */
  get(no: number, crc: number): Page | undefined {
    const p = this.#map.get(no);
    if (p !== undefined && p.crc === crc) {
      p.ref = true;
      this.hits++;
      return p;
    }
    this.misses++;
    return undefined;
  }

  set(p: Page): void {
    const old = this.#map.get(p.no);
    if (old !== undefined) {
      this.#bytes -= old.cost;
      this.#map.delete(p.no);
    }
    this.#map.set(p.no, p);
    this.#bytes += p.cost;
    if (this.#bytes > this.#capacity) this.#evict();
  }

  delete(no: number): void {
    const old = this.#map.get(no);
    if (old !== undefined) {
      this.#bytes -= old.cost;
      this.#map.delete(no);
    }
  }

  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }

  #evict(): void {
    const target = this.#capacity * 0.9;
    let spins = this.#map.size * 2;
    for (const [no, p] of this.#map) {
      if (this.#bytes <= target || spins-- <= 0) break;
      this.#map.delete(no);
      if (p.ref) {
        p.ref = false;
        this.#map.set(no, p);
      } else {
        this.#bytes -= p.cost;
      }
    }
  }
}
