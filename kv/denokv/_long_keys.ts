// Keys too long for Deno KV's 2,048-byte key encoding. Such a key k lives in
// a bucket: Deno KV key ["oxi", k[0, SPLIT), 0] holds the sorted list of the
// tails k[SPLIT..] of every long key with that head, and the value lives at
// ["oxl", sha256(k)]. Buckets sort exactly where their keys belong: a short
// key p (|p| <= SPLIT) compares with a bucket [head, 0] as p with head, and
// tuple order puts [head] before [head, 0], just as head < head ‖ tail.
import { compareBytes } from "../../core/bytes.ts";
import { toHex } from "../../core/encoding.ts";
import { StoreError } from "../../core/error.ts";

/** Keys longer than this many bytes go to buckets (2·SPLIT + 7 < 2048 always fits). */
export const SPLIT = 1000;

/** Tails of one bucket, ascending. */
export function decodeTails(bytes: Uint8Array | undefined, where: string): Uint8Array[] {
  if (bytes === undefined) return [];
  const out: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let o = 0; o < bytes.length;) {
    if (o + 2 > bytes.length) throw bad(where);
    const n = view.getUint16(o);
    if (o + 2 + n > bytes.length) throw bad(where);
    out.push(bytes.slice(o + 2, o + 2 + n));
    o += 2 + n;
  }
  return out;
}

function bad(where: string): StoreError {
  return new StoreError(
    "Corruption",
    `Cannot read store at ${where}: a long-key bucket is malformed`,
  );
}

/** The bucket's bytes: u16 length ‖ tail, for each tail in order. */
export function encodeTails(tails: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const t of tails) n += 2 + t.length;
  const out = new Uint8Array(n);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const t of tails) {
    view.setUint16(o, t.length);
    out.set(t, o + 2);
    o += 2 + t.length;
  }
  return out;
}

/** Inserts (`present`) or removes a tail, keeping the list sorted. */
export function updateTails(tails: Uint8Array[], tail: Uint8Array, present: boolean): void {
  let lo = 0, hi = tails.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(tails[mid]!, tail) < 0) lo = mid + 1;
    else hi = mid;
  }
  const hit = lo < tails.length && compareBytes(tails[lo]!, tail) === 0;
  if (present && !hit) tails.splice(lo, 0, tail);
  if (!present && hit) tails.splice(lo, 1);
}

/** Hex SHA-256 of a long key: where its value lives. */
export async function longKeyId(key: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", key as Uint8Array<ArrayBuffer>));
  return toHex(d);
}
