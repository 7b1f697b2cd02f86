// Per-table bloom filter: ~10 bits per key, 7 probes by double hashing,
// about a 1% false-positive rate. Layout: `u8 probes ‖ bit array`.

/** A 32-bit hash of the key bytes (murmur-style mixing). */
export function bloomHash(key: Uint8Array, len: number = key.length): number {
  let h = 0x9747b28c ^ len;
  for (let i = 0; i < len; i++) {
    h = Math.imul(h ^ key[i]!, 0x5bd1e995);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const BITS_PER_KEY = 10;
const PROBES = 7;

/** Builds the filter block for the given key hashes. */
export function buildBloom(hashes: number[]): Uint8Array {
  const nbits = Math.max(64, hashes.length * BITS_PER_KEY);
  const nbytes = (nbits + 7) >>> 3;
  const bits = nbytes * 8;
  const out = new Uint8Array(1 + nbytes);
  out[0] = PROBES;
  for (let j = 0; j < hashes.length; j++) {
    let h = hashes[j]!;
    const delta = ((h >>> 17) | (h << 15)) >>> 0;
    for (let p = 0; p < PROBES; p++) {
      const bit = Math.floor(h * bits / 4294967296);
      out[1 + (bit >>> 3)]! |= 1 << (bit & 7);
      h = (h + delta) >>> 0;
    }
  }
  return out;
}

/** False when the key is certainly absent from the table. */
export function bloomMayContain(filter: Uint8Array, hash: number): boolean {
  const probes = filter[0]!;
  const bits = (filter.length - 1) * 8;
  if (bits === 0) return true;
  let h = hash;
  const delta = ((h >>> 17) | (h << 15)) >>> 0;
  for (let p = 0; p < probes; p++) {
    const bit = Math.floor(h * bits / 4294967296);
    if ((filter[1 + (bit >>> 3)]! & (1 << (bit & 7))) === 0) return false;
    h = (h + delta) >>> 0;
  }
  return true;
}
