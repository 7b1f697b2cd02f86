// A byte-bounded LRU of decoded table blocks (Map order = recency).

/** Decoded blocks keyed by `table number * 2^24 + block index`. */
export class BlockCache {
  readonly capacity: number;
  #map = new Map<number, Uint8Array>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(capacityBytes: number) {
    this.capacity = capacityBytes;
  }

  get(id: number): Uint8Array | undefined {
    const b = this.#map.get(id);
    if (b === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#map.delete(id);
    this.#map.set(id, b);
    return b;
  }

  set(id: number, block: Uint8Array): void {
    if (block.length > this.capacity) return;
    const old = this.#map.get(id);
    if (old) {
      this.#bytes -= old.length;
      this.#map.delete(id);
    }
    this.#map.set(id, block);
    this.#bytes += block.length;
    while (this.#bytes > this.capacity) {
      const first = this.#map.keys().next();
      if (first.done) break;
      this.#bytes -= this.#map.get(first.value)!.length;
      this.#map.delete(first.value);
    }
  }

  /** Drops every block of one table (its file is gone). */
  evictTable(table: number, blocks: number): void {
    for (let i = 0; i < blocks; i++) {
      const id = table * 0x1000000 + i;
      const b = this.#map.get(id);
      if (b) {
        this.#bytes -= b.length;
        this.#map.delete(id);
      }
    }
  }
}
