// Decoded table blocks, least recently used evicted first, bounded in bytes.
import { Lru } from "../../core/_lru.ts";

const blockSize = (block: Uint8Array): number => block.length;

/** Decoded blocks keyed by `table number * 2^24 + block index`. */
export class BlockCache extends Lru<number, Uint8Array> {
  constructor(capacityBytes: number) {
    super(capacityBytes, blockSize);
  }

  /** Drops every block of one table (its file is gone). */
  evictTable(table: number, blocks: number): void {
    for (let i = 0; i < blocks; i++) this.delete(table * 0x1000000 + i);
  }
}
