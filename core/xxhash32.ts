/**
 * xxHash32 (seed 0): the page, block and record checksum of the B-tree and the
 * LSM tree. Not cryptographic: it catches torn writes and flipped bits.
 *
 * Four-byte-aligned inputs on a little-endian host are read a word at a time
 * through one `Int32Array` view per underlying buffer (the B-tree's nodes
 * share slabs, so the view is reused); other inputs are read byte by byte.
 * Both paths give the same value.
 *
 * @module
 */

const P1 = 0x9e3779b1 | 0;
const P2 = 0x85ebca77 | 0;
const P3 = 0xc2b2ae3d | 0;
const P4 = 0x27d4eb2f | 0;
const P5 = 0x165667b1 | 0;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
// Below this many bytes, making a word view costs more than it saves.
const WORD_PATH_MIN = 64;

let wordsOf: ArrayBufferLike | undefined;
let words: Int32Array = new Int32Array(0);

function wordView(buffer: ArrayBufferLike): Int32Array {
  if (buffer !== wordsOf || words.length !== buffer.byteLength >>> 2) {
    wordsOf = buffer;
    words = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
  }
  return words;
}

function u32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/**
 * xxHash32 (seed 0) of `bytes[from..to)`.
 *
 * Of no bytes it is `0x02cc5d05`, the reference value.
 *
 * @param bytes the input
 * @param from first byte hashed (default 0)
 * @param to end of the hashed range, exclusive (default `bytes.length`)
 * @returns the hash as an unsigned 32-bit number
 */
export function xxhash32(bytes: Uint8Array, from = 0, to: number = bytes.length): number {
  const len = to - from;
  const start = bytes.byteOffset + from;
  if (!LITTLE_ENDIAN || len < WORD_PATH_MIN || (start & 3) !== 0) return byteHash(bytes, from, to);
  const w = wordView(bytes.buffer);
  const n = len;
  let i = start >>> 2;
  const end = i + (n >>> 2);
  let h: number;
  if (n >= 16) {
    let v1 = (P1 + P2) | 0;
    let v2 = P2;
    let v3 = 0;
    let v4 = -P1 | 0;
    const lim = end - 3;
    for (; i < lim; i += 4) {
      v1 = (v1 + Math.imul(w[i]!, P2)) | 0;
      v1 = Math.imul((v1 << 13) | (v1 >>> 19), P1);
      v2 = (v2 + Math.imul(w[i + 1]!, P2)) | 0;
      v2 = Math.imul((v2 << 13) | (v2 >>> 19), P1);
      v3 = (v3 + Math.imul(w[i + 2]!, P2)) | 0;
      v3 = Math.imul((v3 << 13) | (v3 >>> 19), P1);
      v4 = (v4 + Math.imul(w[i + 3]!, P2)) | 0;
      v4 = Math.imul((v4 << 13) | (v4 >>> 19), P1);
    }
    h = (((v1 << 1) | (v1 >>> 31)) + ((v2 << 7) | (v2 >>> 25)) +
      ((v3 << 12) | (v3 >>> 20)) + ((v4 << 18) | (v4 >>> 14))) | 0;
  } else {
    h = P5;
  }
  h = (h + n) | 0;
  for (; i < end; i++) {
    h = (h + Math.imul(w[i]!, P3)) | 0;
    h = Math.imul((h << 17) | (h >>> 15), P4);
  }
  return tail(h, bytes, from + (n & ~3), to);
}

function byteHash(b: Uint8Array, from: number, to: number): number {
  const n = to - from;
  let i = from;
  let h: number;
  if (n >= 16) {
    let v1 = (P1 + P2) | 0;
    let v2 = P2;
    let v3 = 0;
    let v4 = -P1 | 0;
    const limit = to - 16;
    for (; i <= limit; i += 16) {
      v1 = (v1 + Math.imul(u32(b, i), P2)) | 0;
      v1 = Math.imul((v1 << 13) | (v1 >>> 19), P1);
      v2 = (v2 + Math.imul(u32(b, i + 4), P2)) | 0;
      v2 = Math.imul((v2 << 13) | (v2 >>> 19), P1);
      v3 = (v3 + Math.imul(u32(b, i + 8), P2)) | 0;
      v3 = Math.imul((v3 << 13) | (v3 >>> 19), P1);
      v4 = (v4 + Math.imul(u32(b, i + 12), P2)) | 0;
      v4 = Math.imul((v4 << 13) | (v4 >>> 19), P1);
    }
    h = (((v1 << 1) | (v1 >>> 31)) + ((v2 << 7) | (v2 >>> 25)) +
      ((v3 << 12) | (v3 >>> 20)) + ((v4 << 18) | (v4 >>> 14))) | 0;
  } else {
    h = P5;
  }
  h = (h + n) | 0;
  for (; i + 4 <= to; i += 4) {
    h = (h + Math.imul(u32(b, i), P3)) | 0;
    h = Math.imul((h << 17) | (h >>> 15), P4);
  }
  return tail(h, b, i, to);
}

// The last 0-3 bytes, then the avalanche.
function tail(h: number, b: Uint8Array, i: number, to: number): number {
  for (; i < to; i++) {
    h = (h + Math.imul(b[i]!, P5)) | 0;
    h = Math.imul((h << 11) | (h >>> 21), P1);
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}
