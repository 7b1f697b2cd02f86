// Shared helpers of the B-tree tests.
import { compareBytes } from "../../core/bytes.ts";
import type { KvStore } from "../../core/kv.ts";
import { fromHex, toHex as hex } from "../../core/encoding.ts";

export function tempPath(name = "store"): string {
  const dir = Deno.makeTempDirSync({ prefix: "oxistore-btree-" });
  return `${dir}/${name}.db`;
}

export function removeDir(path: string): void {
  try {
    Deno.removeSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  } catch { /* already gone */ }
}

// Hex is core's (core/encoding.ts): one encoder in the house.
export { fromHex, hex };

/** Everything in the store, as [hexKey, hexValue] pairs in scan order. */
export async function dump(store: KvStore, reverse = false): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const [k, v] of store.range(undefined, undefined, { reverse })) {
    out.push([hex(k), hex(v)]);
  }
  return out;
}

/** The model's contents in key order. */
export function modelDump(model: Map<string, Uint8Array>): [string, string][] {
  return [...model.entries()].map(([k, v]) => [k, hex(v)] as [string, string]).sort((a, b) =>
    compareBytes(fromHex(a[0]), fromHex(b[0]))
  );
}

/** The tests' one seeded PRNG (tests/_support/random.ts), so failures reproduce. */
export { seededRandom as rng } from "../_support/random.ts";

/** Key `j` of bulk commit `c` in the crash tests: spread over the key space. */
export function bulkKey(c: number, j: number): string {
  let h = Math.imul(c * 100 + j, 0x9e3779b1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca77) >>> 0;
  return `r/${h.toString(16).padStart(8, "0")}/${c}/${j}`;
}
