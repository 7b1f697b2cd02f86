/**
 * An LZ4 block codec (the block format of lz4.org, no frame), in plain
 * TypeScript: greedy matching over a 4-byte hash table and a 64 KiB window.
 *
 * @module
 */
import { StoreError } from "../../core/error.ts";

const MIN_MATCH = 4;
const LAST_LITERALS = 5; // the block's last 5 bytes are always literals
const MF_LIMIT = 12; // a match never starts within 12 bytes of the end
const MAX_OFFSET = 65535;
const MAX_HASH_BITS = 14;

function read32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

function hash(seq: number, bits: number): number {
  return Math.imul(seq, 2654435761) >>> (32 - bits);
}

/** The largest block `lz4CompressBlock` can make from `n` bytes. */
export function lz4MaxCompressedSize(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

/**
 * Compresses `src` into one LZ4 block. The block does not record the input's
 * length: keep it to decompress.
 *
 * @param src the bytes to compress
 * @returns the LZ4 block
 *
 * @example
 * ```ts
 * import { lz4CompressBlock, lz4DecompressBlock } from "./lz4.ts";
 * const text = new TextEncoder().encode("abcabcabcabcabcabcabcabc");
 * const block = lz4CompressBlock(text);
 * console.log(block.length < text.length); // true
 * console.log(new TextDecoder().decode(lz4DecompressBlock(block, text.length)));
 * ```
 */
export function lz4CompressBlock(src: Uint8Array): Uint8Array {
  const n = src.length;
  const out = new Uint8Array(lz4MaxCompressedSize(n));
  let op = 0;
  let anchor = 0;

  const emit = (litEnd: number, offset: number, matchLen: number): void => {
    const litLen = litEnd - anchor;
    const tokenPos = op++;
    let token = 0;
    if (litLen >= 15) {
      token = 15 << 4;
      let rest = litLen - 15;
      for (; rest >= 255; rest -= 255) out[op++] = 255;
      out[op++] = rest;
    } else token = litLen << 4;
    out.set(src.subarray(anchor, litEnd), op);
    op += litLen;
    if (matchLen > 0) {
      out[op++] = offset & 0xff;
      out[op++] = offset >>> 8;
      let ml = matchLen - MIN_MATCH;
      if (ml >= 15) {
        token |= 15;
        ml -= 15;
        for (; ml >= 255; ml -= 255) out[op++] = 255;
        out[op++] = ml;
      } else token |= ml;
    }
    out[tokenPos] = token;
  };

  if (n >= MF_LIMIT + 1) {
    // A table sized to the input: small values should not pay for a 64 KiB one.
    const bits = Math.min(MAX_HASH_BITS, Math.max(8, Math.ceil(Math.log2(n))));
    const table = new Int32Array(1 << bits).fill(-1);
    const matchLimit = n - LAST_LITERALS;
    const mfLimit = n - MF_LIMIT;
    let ip = 0;
    let step = 1 << 6; // skip faster through incompressible data
    while (ip < mfLimit) {
      const seq = read32(src, ip);
      const h = hash(seq, bits);
      const ref = table[h]!;
      table[h] = ip;
      if (ref >= 0 && ip - ref <= MAX_OFFSET && read32(src, ref) === seq) {
        let start = ip;
        let back = ref;
        while (start > anchor && back > 0 && src[start - 1] === src[back - 1]) {
          start--;
          back--;
        }
        let end = ip + MIN_MATCH;
        let r = ref + MIN_MATCH;
        while (end < matchLimit && src[end] === src[r]) {
          end++;
          r++;
        }
        emit(start, start - back, end - start);
        anchor = end;
        if (end - 2 < mfLimit && end >= 2) table[hash(read32(src, end - 2), bits)] = end - 2;
        ip = end;
        step = 1 << 6;
      } else {
        ip += step++ >>> 6;
      }
    }
  }
  emit(n, 0, 0);
  return out.slice(0, op);
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
 * import { lz4DecompressBlock } from "./lz4.ts";
 * // one sequence: 3 literals "abc", nothing else
 * console.log(lz4DecompressBlock(new Uint8Array([0x30, 97, 98, 99]), 3)); // "abc" as bytes
 * ```
 */
export function lz4DecompressBlock(block: Uint8Array, size: number): Uint8Array {
  if (!Number.isInteger(size) || size < 0) throw corrupt(`bad output size ${size}`);
  const out = new Uint8Array(size);
  const n = block.length;
  let ip = 0;
  let op = 0;
  while (ip < n) {
    const token = block[ip++]!;
    let litLen = token >>> 4;
    if (litLen === 15) {
      let b = 255;
      while (b === 255) {
        if (ip >= n) throw corrupt("literal length runs past the end");
        b = block[ip++]!;
        litLen += b;
      }
    }
    if (ip + litLen > n) throw corrupt("literals run past the end of the block");
    if (op + litLen > size) throw corrupt("literals overflow the declared size");
    out.set(block.subarray(ip, ip + litLen), op);
    ip += litLen;
    op += litLen;
    if (ip === n) break; // the last sequence has literals only
    if (ip + 2 > n) throw corrupt("truncated match offset");
    const offset = block[ip]! | (block[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw corrupt(`bad match offset ${offset}`);
    let matchLen = (token & 15) + MIN_MATCH;
    if ((token & 15) === 15) {
      let b = 255;
      while (b === 255) {
        if (ip >= n) throw corrupt("match length runs past the end");
        b = block[ip++]!;
        matchLen += b;
      }
    }
    if (op + matchLen > size) throw corrupt("match overflows the declared size");
    let from = op - offset;
    if (offset >= matchLen) {
      out.copyWithin(op, from, from + matchLen);
      op += matchLen;
    } else {
      for (const end = op + matchLen; op < end;) out[op++] = out[from++]!;
    }
  }
  if (op !== size) throw corrupt(`decoded ${op} bytes, expected ${size}`);
  return out;
}
