// Copies handed to callers. Small byte arrays are carved out of shared 64 KiB
// slabs (like Node's Buffer pool): a fresh ArrayBuffer per value costs more
// than the whole lookup. Each copy is its own region; callers may mutate it.

const SLAB = 64 * 1024;
const MAX_POOLED = 2048;
let slab = new Uint8Array(SLAB);
let used = 0;

/** A caller-owned copy of `src[start, end)`. */
export function copyOut(src: Uint8Array, start: number, end: number): Uint8Array {
  const n = end - start;
  if (n <= 64 || n > MAX_POOLED) return src.slice(start, end);
  // A caller may transfer a value's buffer (detaching the slab): start a new one then.
  if (used + n > SLAB || slab.byteLength === 0) {
    slab = new Uint8Array(SLAB);
    used = 0;
  }
  const at = used;
  slab.set(src.subarray(start, end), at);
  used = (at + n + 7) & ~7;
  return slab.subarray(at, at + n);
}
