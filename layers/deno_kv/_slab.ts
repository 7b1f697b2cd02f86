// Private: copies of small byte arrays carved out of shared slabs. Allocating a typed array costs
// ~1.5 µs here, a view of a slab ~0.1 µs, and a commit or a list makes several per entry. Only for
// bytes that stay inside the layer (encoded keys, values and records on their way to the store,
// which copies what it keeps): a view pins its whole slab while it lives.
const SLAB_BYTES = 16 * 1024;
/** Larger arrays get their own buffer (a slab is not worth it, and would be pinned longer). */
const MAX_CARVED = 512;

let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

/** An array of `n` zero bytes (from a slab when small). */
export function carve(n: number): Uint8Array {
  if (n > MAX_CARVED) return new Uint8Array(n);
  if (used + n > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const out = slab.subarray(used, used + n);
  used += n;
  return out;
}

/** A copy of `bytes` (in a slab when small). */
export function carveCopy(bytes: Uint8Array): Uint8Array {
  const out = carve(bytes.length);
  if (bytes.length < 32) { for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]!; }
  else out.set(bytes);
  return out;
}
