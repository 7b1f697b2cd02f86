// Inner stores for the layer tests: the sorted-array reference engine behind
// EngineStore, and Deno KV in memory through the facade.
import { EngineStore } from "../../core/engine_store.ts";
import { type MergeOperator, STORE_KINDS } from "../../core/config.ts";
import type { KvEntry, KvStore } from "../../core/kv.ts";
import { SortedArrayEngine } from "../_support/sorted_engine.ts";
import { openInMemory } from "../../mod.ts";

/** A fresh in-memory reference store. */
export function memStore(mergeOperator?: MergeOperator): KvStore {
  return new EngineStore(new SortedArrayEngine(), {
    kind: "btree",
    ...(mergeOperator ? { mergeOperator } : {}),
  });
}

/** Inner stores every stacking test runs over. */
export const INNERS: {
  name: string;
  open: (mergeOperator?: MergeOperator) => Promise<KvStore>;
}[] = [
  { name: "sorted-array", open: (m) => Promise.resolve(memStore(m)) },
  ...STORE_KINDS.map((kind) => ({
    name: `${kind}-memory`,
    open: (m?: MergeOperator) => openInMemory(kind, m ? { mergeOperator: m } : {}),
  })),
];

const dec = new TextDecoder();
/** Text of bytes, or undefined. */
export function text(b: Uint8Array | undefined): string | undefined {
  return b === undefined ? undefined : dec.decode(b);
}

/** Collects a scan as "key=value" strings. */
export async function entries(it: AsyncIterable<KvEntry>): Promise<string[]> {
  const out: string[] = [];
  for await (const [k, v] of it) out.push(`${dec.decode(k)}=${dec.decode(v)}`);
  return out;
}

/** Sleeps `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
