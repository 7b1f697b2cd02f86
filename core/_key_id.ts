// Byte keys as Map keys: one UTF-16 unit per byte, so distinct keys give
// distinct strings and the string is as long as the key.

/** A string id for raw bytes (one UTF-16 unit per byte). */
export function keyId(key: Uint8Array): string {
  // Keys are at most a few KiB; chunks keep `apply` under argument limits.
  if (key.length <= 4096) return String.fromCharCode.apply(null, key as unknown as number[]);
  let s = "";
  for (let i = 0; i < key.length; i += 4096) {
    s += String.fromCharCode.apply(null, key.subarray(i, i + 4096) as unknown as number[]);
  }
  return s;
}
