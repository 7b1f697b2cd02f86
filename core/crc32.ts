/**
 * CRC-32 (IEEE), the checksum of core's backup stream.
 *
 * @module
 */

const TABLE = (() => {
  const t = new Uint32Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    let c = t[i]!;
    for (let s = 1; s < 4; s++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[s * 256 + i] = c;
    }
  }
  return t;
})();

/**
 * CRC-32 of `bytes`, continuing from `crc` (0 to start).
 *
 * @example
 * ```ts
 * import { crc32 } from "./crc32.ts";
 * console.log(crc32(new TextEncoder().encode("123456789")).toString(16)); // "cbf43926"
 * ```
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  let i = 0;
  const n = bytes.length;
  for (; i + 4 <= n; i += 4) {
    c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    c = TABLE[768 + (c & 0xff)]! ^ TABLE[512 + ((c >>> 8) & 0xff)]! ^
      TABLE[256 + ((c >>> 16) & 0xff)]! ^ TABLE[c >>> 24]!;
  }
  for (; i < n; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
