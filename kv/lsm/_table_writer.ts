// Writes one sorted table: data blocks, a bloom filter block, an index block
// (last key of each data block → offset and stored length) and a fixed
// 48-byte footer. See docs/lsm.md for the byte layout.
import { ByteWriter, putU32 } from "./_coding.ts";
import { BlockBuilder, type BlockCompression, encodeBlock, encodeBlockInto } from "./_block.ts";
import { bloomHash, buildBloom } from "./_bloom.ts";
import type { LsmFile } from "./_fs.ts";
import { xxhash32 as checksum } from "../../core/xxhash32.ts";

/** Table footer size and magic ("OXLSMSST"). */
export const FOOTER_SIZE = 48;
/** Last 8 bytes of every table file. */
export const TABLE_MAGIC: readonly number[] = [0x4f, 0x58, 0x4c, 0x53, 0x4d, 0x53, 0x53, 0x54];
/** Version of the table format written here. */
export const TABLE_VERSION = 1;

const WRITE_CHUNK = 256 * 1024;

/** What the manifest records about a table. */
export interface TableMeta {
  number: number;
  size: number;
  entries: number;
  smallest: Uint8Array;
  largest: Uint8Array;
}

/** Streams sorted entries into a table file. */
export class TableWriter {
  readonly #file: LsmFile;
  readonly #blockSize: number;
  readonly #compression: BlockCompression;
  readonly #block = new BlockBuilder();
  readonly #out = new ByteWriter(WRITE_CHUNK + 65536);
  readonly #index = new BlockBuilder();
  #hashes: number[] = [];
  #offset = 0;
  #entries = 0;
  #smallest: Uint8Array | undefined;
  #largest: Uint8Array = new Uint8Array(0);
  #misses = 0;
  #blocks = 0;

  constructor(file: LsmFile, blockSize: number, compression: BlockCompression) {
    this.#file = file;
    this.#blockSize = blockSize;
    this.#compression = compression;
  }

  /** Bytes written or buffered so far. */
  get size(): number {
    return this.#offset + this.#block.estimate;
  }

  get entries(): number {
    return this.#entries;
  }

  /** Adds an entry; keys must arrive strictly ascending. Empty value = tombstone. */
  add(key: Uint8Array, value: Uint8Array): void {
    this.addRaw(key, key.length, value, 0, value.length);
  }

  /** {@link add} from a cursor's buffers, without views. */
  addRaw(key: Uint8Array, klen: number, vbuf: Uint8Array, voff: number, vlen: number): void {
    if (this.#smallest === undefined) this.#smallest = key.slice(0, klen);
    this.#block.addRaw(key, klen, vbuf, voff, vlen);
    this.#hashes.push(bloomHash(key, klen));
    this.#entries++;
    if (this.#block.estimate >= this.#blockSize) this.#finishBlock();
  }

  #emit(stored: Uint8Array): void {
    this.#out.bytes(stored);
    this.#offset += stored.length;
    this.#spill();
  }

  #spill(): void {
    if (this.#out.len >= WRITE_CHUNK) {
      this.#file.append(this.#out.view());
      this.#out.reset();
    }
  }

  #finishBlock(): void {
    if (this.#block.count === 0) return;
    const raw = this.#block.finish();
    // Stop trying to compress incompressible data, but re-check now and then.
    const attempt = this.#misses < 4 || this.#blocks % 16 === 0;
    const offset = this.#offset;
    const storedLen = encodeBlockInto(this.#out, raw, attempt ? this.#compression : "none");
    if (attempt) this.#misses = storedLen >= raw.length ? this.#misses + 1 : 0;
    this.#offset += storedLen;
    this.#spill();
    const v = new ByteWriter(16);
    v.varint(offset);
    v.varint(storedLen);
    this.#largest = this.#block.lastKey();
    this.#index.add(this.#largest, v.view());
    this.#block.reset();
    this.#blocks++;
  }

  /** Writes filter, index and footer; returns the table's size and key range. */
  finish(number: number): TableMeta {
    this.#finishBlock();
    const filterOff = this.#offset;
    const filter = encodeBlock(buildBloom(this.#hashes), "none");
    this.#emit(filter);
    const indexOff = this.#offset;
    const index = encodeBlock(this.#index.finish(), "none");
    this.#emit(index);
    const f = new Uint8Array(FOOTER_SIZE);
    const dv = new DataView(f.buffer);
    dv.setFloat64(0, filterOff, true);
    putU32(f, 8, filter.length);
    dv.setFloat64(12, indexOff, true);
    putU32(f, 20, index.length);
    dv.setFloat64(24, this.#entries, true);
    putU32(f, 32, TABLE_VERSION);
    putU32(f, 36, checksum(f, 0, 36));
    f.set(TABLE_MAGIC, 40);
    this.#emit(f);
    this.#file.append(this.#out.view());
    this.#out.reset();
    this.#hashes = [];
    return {
      number,
      size: this.#offset,
      entries: this.#entries,
      smallest: this.#smallest ?? new Uint8Array(0),
      largest: this.#largest,
    };
  }
}
