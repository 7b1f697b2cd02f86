// Reads one sorted table: footer and filter are loaded at open, the index on
// first use (an open of many tables reads little; a read that the filter
// answers never needs it); data blocks come through the shared block cache. Any checksum or format error
// becomes `Corruption` naming the file.
import { compareBytes } from "../../core/bytes.ts";
import { StoreError } from "../../core/error.ts";
import { BlockCursor, decodeBlock } from "./_block.ts";
import type { BlockCache } from "./_block_cache.ts";
import { bloomMayContain } from "./_bloom.ts";
import { xxhash32 as checksum } from "../../core/xxhash32.ts";
import { ByteReader, getU32 } from "./_coding.ts";
import type { LsmFile } from "./_fs.ts";
import { FOOTER_SIZE, TABLE_MAGIC, TABLE_VERSION } from "./_table_writer.ts";

const scratch = new Uint8Array(4096);

/** File name of table number `n`. */
export function tableName(n: number): string {
  return `${String(n).padStart(6, "0")}.sst`;
}

/** An open table file. */
export class TableReader {
  readonly number: number;
  readonly name: string;
  readonly size: number;
  readonly entryCount: number;
  readonly #file: LsmFile;
  readonly #cache: BlockCache;
  readonly #filter: Uint8Array;
  readonly #indexAt: number;
  readonly #indexLen: number;
  readonly #filterAt: number;
  #lastKeys: Uint8Array[] = [];
  #offs: number[] = [];
  #lens: number[] = [];
  #indexed = false;

  constructor(file: LsmFile, number: number, name: string, cache: BlockCache) {
    this.#file = file;
    this.number = number;
    this.name = name;
    this.#cache = cache;
    this.size = file.size();
    try {
      if (this.size < FOOTER_SIZE) throw new Error("file shorter than a table footer");
      const f = file.readAt(this.size - FOOTER_SIZE, FOOTER_SIZE);
      for (let i = 0; i < 8; i++) {
        if (f[40 + i] !== TABLE_MAGIC[i]) throw new Error("bad magic bytes");
      }
      if (checksum(f, 0, 36) !== getU32(f, 36)) throw new Error("footer checksum mismatch");
      if (getU32(f, 32) !== TABLE_VERSION) throw new Error(`unknown version ${getU32(f, 32)}`);
      const dv = new DataView(f.buffer, f.byteOffset, FOOTER_SIZE);
      const filterOff = dv.getFloat64(0, true);
      const filterLen = getU32(f, 8);
      const indexOff = dv.getFloat64(12, true);
      const indexLen = getU32(f, 20);
      this.entryCount = dv.getFloat64(24, true);
      if (filterOff + filterLen > indexOff || indexOff + indexLen > this.size - FOOTER_SIZE) {
        throw new Error("footer offsets out of range");
      }
      this.#filter = decodeBlock(file.readAt(filterOff, filterLen));
      this.#indexAt = indexOff;
      this.#indexLen = indexLen;
      this.#filterAt = filterOff;
    } catch (err) {
      throw this.#bad("cannot open", err);
    }
  }

  /** Reads the block index (once). */
  #index(): void {
    if (this.#indexed) return;
    const lastKeys: Uint8Array[] = [];
    const offs: number[] = [];
    const lens: number[] = [];
    try {
      const index = new BlockCursor(decodeBlock(this.#file.readAt(this.#indexAt, this.#indexLen)));
      while (index.step()) {
        lastKeys.push(index.currentKey());
        const r = new ByteReader(index.currentValue());
        const off = r.varint();
        const len = r.varint();
        if (off + len > this.#filterAt) throw new Error("index entry out of range");
        offs.push(off);
        lens.push(len);
      }
    } catch (err) {
      throw this.#bad("cannot read its index", err);
    }
    this.#lastKeys = lastKeys;
    this.#offs = offs;
    this.#lens = lens;
    this.#indexed = true;
  }

  #bad(what: string, err: unknown): StoreError {
    if (err instanceof StoreError) return err;
    const detail = err instanceof Error ? err.message : String(err);
    return new StoreError(
      "Corruption",
      `Cannot read table ${this.name}: ${what}: ${detail}`,
      { cause: err },
    );
  }

  /** The `Corruption` error for a damaged block `bi`. */
  corrupt(bi: number, err: unknown): StoreError {
    return this.#bad(`block ${bi}`, err);
  }

  /** Blocks of the table. */
  get blockCount(): number {
    this.#index();
    return this.#offs.length;
  }

  /** Blocks that may be in the cache (none while the index was never read). */
  get cachedBlocks(): number {
    return this.#offs.length;
  }

  /** Decoded block `i`, from the cache or the file. */
  block(i: number): Uint8Array {
    this.#index();
    const id = this.number * 0x1000000 + i;
    const hit = this.#cache.get(id);
    if (hit) return hit;
    let b: Uint8Array;
    try {
      const stored = this.#file.readAt(this.#offs[i]!, this.#lens[i]!);
      if (stored.length !== this.#lens[i]) throw new Error("block truncated");
      b = decodeBlock(stored);
    } catch (err) {
      throw this.#bad(`block ${i} at byte ${this.#offs[i]}`, err);
    }
    this.#cache.set(id, b);
    return b;
  }

  /** Index of the first block whose last key is >= key (blockCount if none). */
  blockFor(key: Uint8Array): number {
    this.#index();
    const keys = this.#lastKeys;
    let lo = 0, hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(keys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The stored value (empty = tombstone), or undefined when the table lacks the key. */
  get(key: Uint8Array, hash: number): Uint8Array | undefined {
    if (!bloomMayContain(this.#filter, hash)) return undefined;
    const bi = this.blockFor(key);
    if (bi >= this.#offs.length) return undefined;
    try {
      const c = new BlockCursor(this.block(bi), scratch);
      if (!c.seek(key) || c.compare(key) !== 0) return undefined;
      return c.currentValue();
    } catch (err) {
      throw this.#bad(`block ${bi}`, err);
    }
  }

  /** Entries in `[lo, hi)`; values are views into cached blocks. */
  *entries(
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
    reverse: boolean,
  ): Generator<[Uint8Array, Uint8Array]> {
    if (reverse) {
      yield* this.#reverse(lo, hi);
      return;
    }
    this.#index();
    let bi = lo === undefined ? 0 : this.blockFor(lo);
    const key = new Uint8Array(4096);
    let first = true;
    for (; bi < this.#offs.length; bi++) {
      let c: BlockCursor;
      let ok: boolean;
      try {
        c = new BlockCursor(this.block(bi), key);
        if (first && lo !== undefined) ok = c.seek(lo);
        else ok = c.step();
      } catch (err) {
        throw this.#bad(`block ${bi}`, err);
      }
      first = false;
      while (ok) {
        if (hi !== undefined && c.compare(hi) >= 0) return;
        yield [c.currentKey(), c.currentValue()];
        try {
          ok = c.step();
        } catch (err) {
          throw this.#bad(`block ${bi}`, err);
        }
      }
    }
  }

  *#reverse(
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
  ): Generator<[Uint8Array, Uint8Array]> {
    this.#index();
    let bi = hi === undefined ? this.#offs.length - 1 : Math.min(
      this.blockFor(hi),
      this.#offs.length - 1,
    );
    const scratchKey = new Uint8Array(4096);
    for (; bi >= 0; bi--) {
      const keys: Uint8Array[] = [];
      const vals: Uint8Array[] = [];
      try {
        const c = new BlockCursor(this.block(bi), scratchKey);
        while (c.step()) {
          if (hi !== undefined && c.compare(hi) >= 0) break;
          keys.push(c.currentKey());
          vals.push(c.currentValue());
        }
      } catch (err) {
        throw this.#bad(`block ${bi}`, err);
      }
      for (let i = keys.length - 1; i >= 0; i--) {
        if (lo !== undefined && compareBytes(keys[i]!, lo) < 0) return;
        yield [keys[i]!, vals[i]!];
      }
    }
  }

  close(): void {
    this.#file.close();
  }
}
