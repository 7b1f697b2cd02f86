/**
 * The LZ4 block codec (the block format of lz4.org, no frame), in plain
 * TypeScript: the codec of LSM table blocks and of `CompressedKv`'s `lz4`
 * values. Compression is greedy over a 4-byte hash table and a 64 KiB window;
 * decompression checks every length and offset, so a damaged block throws
 * `Corruption` instead of producing wrong bytes, reading out of bounds or
 * looping.
 *
 * @module
 */
import { StoreError } from "./error.ts";

const MIN_MATCH = 4;
const LAST_LITERALS = 5; // the block's last 5 bytes are always literals
const MF_LIMIT = 12; // a match never starts within 12 bytes of the end
const MAX_OFFSET = 65535;
const MAX_HASH_BITS = 14;
// One table for every call (compression never yields): only the part an input
// uses is cleared, so small values do not pay for a large table.
const table = new Int32Array(1 << MAX_HASH_BITS);

function read32(a: Uint8Array, i: number): number {
  return a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24);
}

/**
 * The largest block {@link lz4CompressBlock} can make from `n` bytes.
 *
 * @param n the input length
 * @returns the worst-case block length
 *
 * @example
 * ```ts
 * import { lz4MaxCompressedSize } from "@cooljapan/oxistore/compress";
 * if (lz4MaxCompressedSize(1000) !== 1019) throw new Error("wrong bound");
 * ```
 */
export function lz4MaxCompressedSize(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

/**
 * Compresses `src` into one LZ4 block. The block does not record the input's
 * length: keep it to decompress.
 *
 * @param src the bytes to compress
 * @returns the LZ4 block (a view of a buffer of {@link lz4MaxCompressedSize} bytes)
 *
 * @example
 * ```ts
 * import { lz4CompressBlock, lz4DecompressBlock } from "@cooljapan/oxistore/compress";
 * const text = new TextEncoder().encode("abcabcabcabcabcabcabcabc");
 * const block = lz4CompressBlock(text);
 * if (block.length >= text.length) throw new Error("did not shrink");
 * const back = new TextDecoder().decode(lz4DecompressBlock(block, text.length));
 * if (back !== "abcabcabcabcabcabcabcabc") throw new Error("round trip failed");
 * ```
 */
export function lz4CompressBlock(src: Uint8Array): Uint8Array {
  const n = src.length;
  const out = new Uint8Array(lz4MaxCompressedSize(n));
  let op = 0;
  let anchor = 0;

  const emit = (litEnd: number, offset: number, matchLen: number): void => {
    const lit = litEnd - anchor;
    const tokenPos = op++;
    let token = (lit >= 15 ? 15 : lit) << 4;
    if (lit >= 15) {
      let r = lit - 15;
      for (; r >= 255; r -= 255) out[op++] = 255;
      out[op++] = r;
    }
    // A loop beats `set` for the short runs most sequences have.
    if (lit > 16) out.set(src.subarray(anchor, litEnd), op);
    else for (let i = 0; i < lit; i++) out[op + i] = src[anchor + i]!;
    op += lit;
    if (matchLen > 0) {
      out[op++] = offset & 0xff;
      out[op++] = offset >>> 8;
      const m = matchLen - MIN_MATCH;
      token |= m >= 15 ? 15 : m;
      if (m >= 15) {
        let r = m - 15;
        for (; r >= 255; r -= 255) out[op++] = 255;
        out[op++] = r;
      }
    }
    out[tokenPos] = token;
  };

  if (n >= MF_LIMIT + 1) {
    const bits = Math.min(MAX_HASH_BITS, Math.max(8, 32 - Math.clz32(n - 1)));
    const shift = 32 - bits;
    table.fill(-1, 0, 1 << bits);
    const matchStartLimit = n - MF_LIMIT;
    const matchEndLimit = n - LAST_LITERALS;
    let ip = 0;
    while (ip < matchStartLimit) {
      const seq = read32(src, ip);
      const h = Math.imul(seq, 2654435761) >>> shift;
      let ref = table[h]!;
      table[h] = ip;
      if (ref < 0 || ip - ref > MAX_OFFSET || read32(src, ref) !== seq) {
        // Step faster the longer nothing matched: incompressible data is skimmed.
        ip += 1 + ((ip - anchor) >> 6);
        continue;
      }
      let start = ip;
      while (start > anchor && ref > 0 && src[start - 1] === src[ref - 1]) {
        start--;
        ref--;
      }
      let len = MIN_MATCH + (ip - start);
      while (start + len < matchEndLimit && src[start + len] === src[ref + len]) len++;
      emit(start, start - ref, len);
      ip = start + len;
      anchor = ip;
      if (ip < matchStartLimit) {
        table[Math.imul(read32(src, ip - 2), 2654435761) >>> shift] = ip - 2;
      }
    }
  }
  emit(n, 0, 0);
  return out.subarray(0, op);
}

function corrupt(detail: string): StoreError {
  return new StoreError("Corruption", `Cannot decompress LZ4 block: ${detail}`);
}

/**
 * Decompresses one LZ4 block that decodes to exactly `size` bytes. Every
 * length and offset is checked: a bad block throws `Corruption` and never
 * reads or writes out of bounds or loops forever.
 *
 * @param block the LZ4 block
 * @param size the decompressed length
 * @returns the original bytes
 *
 * @example
 * ```ts
 * import { lz4DecompressBlock } from "@cooljapan/oxistore/compress";
 * // one sequence: 3 literals "abc", nothing else
 * const out = lz4DecompressBlock(new Uint8Array([0x30, 97, 98, 99]), 3);
 * if (new TextDecoder().decode(out) !== "abc") throw new Error("wrong bytes");
 * ```
 */
export function lz4DecompressBlock(block: Uint8Array, size: number): Uint8Array {
  if (!Number.isInteger(size) || size < 0) throw corrupt(`bad output size ${size}`);
  const out = new Uint8Array(size);
  const end = block.length;
  let ip = 0;
  let op = 0;
  while (ip < end) {
    const token = block[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= end) throw corrupt("literal length runs past the end");
        b = block[ip++]!;
        lit += b;
      } while (b === 255);
    }
    if (ip + lit > end) throw corrupt("literals run past the end of the block");
    if (op + lit > size) throw corrupt("literals overflow the declared size");
    if (lit > 16) out.set(block.subarray(ip, ip + lit), op);
    else for (let i = 0; i < lit; i++) out[op + i] = block[ip + i]!;
    ip += lit;
    op += lit;
    if (ip >= end) break; // the last sequence has literals only
    if (ip + 2 > end) throw corrupt("truncated match offset");
    const offset = block[ip]! | (block[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw corrupt(`bad match offset ${offset}`);
    let ml = token & 15;
    if (ml === 15) {
      let b: number;
      do {
        if (ip >= end) throw corrupt("match length runs past the end");
        b = block[ip++]!;
        ml += b;
      } while (b === 255);
    }
    ml += MIN_MATCH;
    if (op + ml > size) throw corrupt("match overflows the declared size");
    let from = op - offset;
    if (offset >= ml) {
      out.copyWithin(op, from, from + ml);
      op += ml;
    } else {
      for (let i = 0; i < ml; i++) out[op++] = out[from++]!;
    }
  }
  if (op !== size) throw corrupt(`decoded ${op} bytes, expected ${size}`);
  return out;
}
