// Private to core and its layers: small byte arrays carved out of shared slabs. Allocating a typed array costs
// ~1.5 µs here and a view of a slab ~0.1 µs; a transaction's put made two per write. A view
// pins its whole slab while it lives (an engine's write buffer keeps the views it was given
// until it checkpoints), so only small arrays are carved.
const SLAB_BYTES = 16 * 1024;
/** Larger arrays get their own buffer. */
const MAX_CARVED = 1024;

let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

/** A fresh array of `n` zero bytes, nobody else's (a slab's view when small). */
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

/** A copy of `bytes`, nobody else's (in a slab when small). */
export function carveCopy(bytes: Uint8Array): Uint8Array {
  const out = carve(bytes.length);
  // A byte loop beats `set`'s call overhead for the short keys that dominate.
  if (bytes.length < 32) { for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]!; }
  else out.set(bytes);
  return out;
}
