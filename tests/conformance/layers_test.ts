// The contract suite through the whole layer stack — cache over encryption
// over compression — on every real engine, on disk (so reopen is covered).
import type { StoreConfig, StoreKind } from "../../core/config.ts";
import type { KvStore } from "../../core/kv.ts";
import { CachedKvStore } from "../../layers/cache/mod.ts";
import { CompressedKv } from "../../layers/compress/mod.ts";
import { EncryptedKv } from "../../layers/encrypt/mod.ts";
import { diskTarget } from "./_engine_targets.ts";
import { runConformance } from "./suite.ts";
import type { ConformanceTarget } from "./target.ts";

const KEY = crypto.getRandomValues(new Uint8Array(32));

async function stack(inner: KvStore, config?: StoreConfig): Promise<KvStore> {
  // The layers run merge on plaintext themselves, so they take the operator.
  const merge = config?.mergeOperator ? { mergeOperator: config.mergeOperator } : {};
  const compressed = new CompressedKv(inner, { codec: "lz4", ...merge });
  const sealed = await EncryptedKv.create(compressed, {
    keys: { k: KEY },
    activeKeyId: "k",
    ...merge,
  });
  return new CachedKvStore(sealed, { maxEntries: 32, policy: "arc" });
}

function stacked(kind: StoreKind, file: string): ConformanceTarget {
  const disk = diskTarget(kind, file);
  return {
    ...disk,
    name: `cache+encrypt+compress over ${kind}/disk`,
    open: async (config) => stack(await disk.open(config), config),
    reopen: async (config) => stack(await disk.reopen!(config), config),
  };
}

runConformance(stacked("btree", "store.oxi"));
runConformance(stacked("lsm", "store"));
runConformance(stacked("denokv", "store.sqlite"));
