// Uint8Array keys as Map keys: one UTF-16 unit per byte, so distinct keys differ.
import { type BytesLike, checkKey } from "../../core/bytes.ts";

/** A string id for a key: one UTF-16 unit per byte, so distinct keys differ. */
export function idOf(key: Uint8Array): string {
  let s = "";
  for (let i = 0; i < key.length; i += 1024) {
    s += String.fromCharCode(...key.subarray(i, i + 1024));
  }
  return s;
}

/** Ids of keys that are valid; invalid ones make the inner store throw anyway. */
export function idsOf(keys: unknown[]): string[] {
  const out: string[] = [];
  for (const k of keys) {
    try {
      out.push(idOf(checkKey(k as BytesLike)));
    } catch {
      // the inner store reports it
    }
  }
  return out;
}
