// Keys as Map keys for the cache layer (core/_key_id.ts makes the id).
import { type BytesLike, checkKey } from "../../core/bytes.ts";
import { keyId as idOf } from "../../core/_key_id.ts";

export { idOf };

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
