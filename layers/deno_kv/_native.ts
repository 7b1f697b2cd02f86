// Private: telling a native Deno KV database from the oxistore Deno KV engine's SQLite file
// (the engine keeps everything under a few reserved first key parts).
import { keyId } from "../../core/_key_id.ts";

const ENGINE_PARTS = new Set(["oxi", "oxc", "oxm", "oxl"]);

type DenoWithKv = { openKv?: (path?: string) => Promise<Deno.Kv> };

/** True when the SQLite file at `path` holds entries the oxistore engine did not write. */
export async function isNativeDenoKv(path: string): Promise<boolean> {
  const openKv = (Deno as unknown as DenoWithKv).openKv;
  if (typeof openKv !== "function") return false;
  const kv = await openKv(path);
  try {
    for await (const e of kv.list({ prefix: [] }, { limit: 1000 })) {
      if (!ENGINE_PARTS.has(e.key[0] as string)) return true;
    }
    return false;
  } finally {
    kv.close();
  }
}

/** Expiry times (epoch ms) of a native Deno KV file's entries, by their encoded key. */
export async function nativeExpiries(path: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const rows = db.prepare("SELECT k, expiration_ms FROM kv WHERE expiration_ms >= 0").all();
    for (const row of rows) {
      out.set(keyId(row.k as Uint8Array), Number(row.expiration_ms));
    }
  } finally {
    db.close();
  }
  return out;
}

/** A Map key for encoded key bytes (core's). */
export { keyId };
