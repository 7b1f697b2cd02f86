/**
 * {@link importDenoKv} and {@link exportDenoKv}: copy a native Deno KV database into an
 * oxistore Kv and back (tuple keys, values, expiry).
 *
 * @module
 */
import { StoreError } from "../../core/error.ts";
import type { Kv } from "./kv.ts";
import { encodeKey } from "./_key_codec.ts";
import { keyId, nativeExpiries } from "./_native.ts";
import { storeOf } from "./_runtime.ts";
import { decodeKey } from "./_key_codec.ts";
import { decodeValue } from "./_value_codec.ts";
import { ENTRIES_END, ENTRIES_START, recordExpiresAt, recordValue } from "./_record.ts";

/** Entries per atomic commit while copying (under Deno KV's 1000 mutations / 800 KiB). */
const BATCH_ENTRIES = 500;
const BATCH_BYTES = 512 * 1024;

type DenoWithKv = { openKv?: (path?: string) => Promise<Deno.Kv> };

async function openNative(path: string, op: string): Promise<Deno.Kv> {
  const openKv = (Deno as unknown as DenoWithKv).openKv;
  if (typeof openKv !== "function") {
    throw new StoreError(
      "Unsupported",
      `Cannot ${op} ${path}: Deno.openKv is not available (run with --unstable-kv)`,
    );
  }
  try {
    return await openKv(path);
  } catch (err) {
    throw new StoreError("Io", `Cannot ${op} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Copies every entry of a native Deno KV database (a `Deno.Kv`, or the path of its SQLite
 * file) into `kv`. Expiry is kept when `source` is a path (read from the file; `Deno.Kv`
 * does not expose it). Versionstamps are new (they belong to the store that made them).
 * Returns how many entries were copied.
 *
 * @example
 * ```ts
 * import { importDenoKv, openKv } from "@cooljapan/oxistore/deno-kv";
 * const native = await Deno.openKv(":memory:");
 * await native.set(["users", 1], { name: "ada" });
 * await using kv = await openKv();
 * const copied = await importDenoKv(native, kv);
 * native.close();
 * if (copied !== 1 || (await kv.get<{ name: string }>(["users", 1])).value?.name !== "ada") {
 *   throw new Error("import failed");
 * }
 * ```
 */
export async function importDenoKv(source: Deno.Kv | string, kv: Kv): Promise<number> {
  const where = typeof source === "string" ? source : "a Deno.Kv";
  if (typeof source === "string") {
    // Deno.openKv would create an empty database at a mistyped path.
    try {
      await Deno.stat(source);
    } catch (err) {
      throw new StoreError("NotFound", `Cannot import Deno KV from ${source}: no file there`, {
        cause: err,
      });
    }
  }
  const native = typeof source === "string"
    ? await openNative(source, "import Deno KV from")
    : source;
  try {
    const expiries = typeof source === "string" ? await nativeExpiries(source) : new Map();
    let op = kv.atomic();
    let n = 0;
    let bytes = 0;
    let copied = 0;
    const flush = async () => {
      if (n === 0) return;
      const r = await op.commit();
      if (!r.ok) {
        throw new StoreError("Other", `Cannot import Deno KV from ${where}: a commit failed`);
      }
      op = kv.atomic();
      n = 0;
      bytes = 0;
    };
    const now = Date.now();
    for await (const e of native.list({ prefix: [] })) {
      const expiresAt = expiries.get(keyId(encodeKey(e.key)));
      if (expiresAt !== undefined && expiresAt <= now) continue;
      op.set(e.key, e.value, expiresAt === undefined ? undefined : { expireIn: expiresAt - now });
      n++;
      copied++;
      bytes += 64 + (e.value instanceof Uint8Array ? e.value.length : 256);
      if (n >= BATCH_ENTRIES || bytes >= BATCH_BYTES) await flush();
    }
    await flush();
    return copied;
  } finally {
    if (typeof source === "string") native.close();
  }
}

/**
 * Copies every entry of `kv` into a native Deno KV database (a `Deno.Kv`, or a path where
 * `Deno.openKv` opens or creates one), with the remaining time of entries that expire.
 * Deno KV refuses values over 64 KiB: such an entry fails the export with `StoreError`
 * kind `CapacityExceeded` naming the key. Returns how many entries were copied.
 *
 * @example
 * ```ts
 * import { exportDenoKv, openKv } from "@cooljapan/oxistore/deno-kv";
 * await using kv = await openKv();
 * await kv.set(["users", 1], "ada");
 * const native = await Deno.openKv(":memory:");
 * const copied = await exportDenoKv(kv, native);
 * const back = (await native.get<string>(["users", 1])).value;
 * native.close();
 * if (copied !== 1 || back !== "ada") throw new Error("export failed");
 * ```
 */
export async function exportDenoKv(kv: Kv, target: Deno.Kv | string): Promise<number> {
  const where = typeof target === "string" ? target : "a Deno.Kv";
  const store = storeOf(kv);
  const native = typeof target === "string"
    ? await openNative(target, "export Deno KV to")
    : target;
  try {
    let op = native.atomic();
    let n = 0;
    let bytes = 0;
    let copied = 0;
    let keys: unknown[] = [];
    const flush = async () => {
      if (n === 0) return;
      try {
        const r = await op.commit();
        if (!r.ok) throw new Error("the commit failed");
      } catch (err) {
        const big = err instanceof TypeError && /too large/i.test(err.message);
        throw new StoreError(
          big ? "CapacityExceeded" : "Io",
          `Cannot export Deno KV to ${where}: ${(err as Error).message}` +
            (big ? ` (one of ${Deno.inspect(keys)}; Deno KV takes values up to 64 KiB)` : ""),
          { cause: err },
        );
      }
      op = native.atomic();
      n = 0;
      bytes = 0;
      keys = [];
    };
    for await (const [raw, rec] of store.range(ENTRIES_START, ENTRIES_END)) {
      const now = Date.now();
      const expiresAt = recordExpiresAt(rec);
      if (expiresAt !== undefined && expiresAt <= now) continue;
      const key = decodeKey(raw);
      const value = recordValue(rec);
      op.set(
        key,
        decodeValue(value),
        expiresAt === undefined ? undefined : {
          expireIn: Math.max(1, Math.ceil(expiresAt - now)),
        },
      );
      keys.push(key);
      n++;
      copied++;
      bytes += raw.length + value.length;
      if (n >= BATCH_ENTRIES || bytes >= BATCH_BYTES) await flush();
    }
    await flush();
    return copied;
  } finally {
    if (typeof target === "string") native.close();
  }
}
