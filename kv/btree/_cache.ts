// Decoded pages by page number, bounded in bytes. Lookups index a plain array
// by page number (no hashing); eviction is second-chance (clock) over a ring
// of the cached page numbers.
import type { Page } from "./_page.ts";

export class PageCache {
  readonly #byNo: (Page | undefined)[] = [];
  readonly #ring: number[] = [];
  /** 1 when the page number has an entry in the ring (deleted pages keep theirs until the hand passes). */
  #inRing = new Uint8Array(1024);
  #hand = 0;
  readonly #capacity: number;
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(capacityBytes: number) {
    this.#capacity = Math.max(capacityBytes, 64 * 1024);
  }

  /** The page if cached and its hash matches the parent's; counts a hit or miss. */
  get(no: number, crc: number): Page | undefined {
    const p = this.#byNo[no];
    if (p !== undefined && p.crc === crc) {
      p.ref = true;
      this.hits++;
      return p;
    }
    this.misses++;
    return undefined;
  }

  set(p: Page): void {
    const byNo = this.#byNo;
    while (byNo.length <= p.no) byNo.push(undefined);
    const old = byNo[p.no];
    if (old !== undefined) this.#bytes -= old.cost;
    if (p.no >= this.#inRing.length) {
      const grown = new Uint8Array(Math.max(p.no + 1, this.#inRing.length * 2));
      grown.set(this.#inRing);
      this.#inRing = grown;
    }
    if (this.#inRing[p.no] === 0) {
      this.#inRing[p.no] = 1;
      this.#ring.push(p.no);
    }
    byNo[p.no] = p;
    this.#bytes += p.cost;
    if (this.#bytes > this.#capacity) this.#evict();
  }

  /** Entries in the clock ring (tests check it stays bounded). */
  get ringLength(): number {
    return this.#ring.length;
  }

  delete(no: number): void {
    const old = this.#byNo[no];
    if (old !== undefined) {
      this.#bytes -= old.cost;
      this.#byNo[no] = undefined;
      // The ring entry is dropped lazily by the clock hand.
    }
  }

  clear(): void {
    this.#byNo.length = 0;
    this.#ring.length = 0;
    this.#inRing.fill(0);
    this.#hand = 0;
    this.#bytes = 0;
  }

  #evict(): void {
    const target = this.#capacity * 0.9;
    const ring = this.#ring;
    let spins = ring.length * 2 + 1;
    while (this.#bytes > target && ring.length > 0 && spins-- > 0) {
      if (this.#hand >= ring.length) this.#hand = 0;
      const no = ring[this.#hand]!;
      const p = this.#byNo[no];
      if (p !== undefined && p.ref) {
        p.ref = false;
        this.#hand++;
        continue;
      }
      // Evict (or drop a stale entry): swap-remove from the ring.
      ring[this.#hand] = ring[ring.length - 1]!;
      ring.pop();
      this.#inRing[no] = 0;
      if (p !== undefined) {
        this.#bytes -= p.cost;
        this.#byNo[no] = undefined;
      }
    }
  }
}
