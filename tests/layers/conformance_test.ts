// The shared contract suite through every layer: each alone over the
// sorted-array reference engine (reopen hands the same data to a new stack),
// and the stack `stackLayers` builds (cache over compression over encryption)
// over the reference engine and over every real engine on disk.
import { EngineStore } from "../../core/engine_store.ts";
import type { StoreConfig, StoreKind } from "../../core/config.ts";
import type { KvStore } from "../../core/kv.ts";
import { SortedArrayEngine } from "../_support/sorted_engine.ts";
import { runConformance } from "../conformance/suite.ts";
import type { ConformanceTarget } from "../conformance/target.ts";
import { diskTarget } from "../conformance/_engine_targets.ts";
import { CachedKvStore } from "@cooljapan/oxistore/cache";
import { CompressedKv } from "@cooljapan/oxistore/compress";
import { EncryptedKv } from "@cooljapan/oxistore/encrypt";
import { stackLayers } from "@cooljapan/oxistore/layers";

type Wrap = (inner: KvStore, config?: StoreConfig) => KvStore | Promise<KvStore>;

function layered(name: string, wrap: Wrap, syncReads = true): ConformanceTarget {
  let last: SortedArrayEngine | undefined;
  const make = (engine: SortedArrayEngine, config?: StoreConfig) =>
    wrap(
      new EngineStore(engine, {
        kind: "btree",
        syncWrites: config?.syncWrites,
        readOnly: config?.readOnly,
        mergeOperator: config?.mergeOperator,
      }),
      config,
    );
  return {
    name,
    kind: "btree",
    syncReads,
    async open(config) {
      last = new SortedArrayEngine();
      return await make(last, config);
    },
    async reopen(config) {
      if (!last) throw new Error("reopen before open");
      return await make(last, config);
    },
  };
}

// The layers run merge on plaintext themselves, so they take the operator.
const merge = (config?: StoreConfig) =>
  config?.mergeOperator ? { mergeOperator: config.mergeOperator } : {};

runConformance(layered("cache(lru)", (s) => new CachedKvStore(s, { maxEntries: 64 })));
runConformance(
  layered("cache(arc)", (s) => new CachedKvStore(s, { maxEntries: 8, policy: "arc" })),
);
runConformance(
  layered(
    "compress(lz4)",
    (s, c) => new CompressedKv(s, { codec: "lz4", minSize: 0, ...merge(c) }),
  ),
);
runConformance(
  layered("compress(gzip)", (s, c) => new CompressedKv(s, { codec: "gzip", ...merge(c) })),
);

const KEY = crypto.getRandomValues(new Uint8Array(32));
runConformance(
  layered(
    "encrypt",
    (s, c) => EncryptedKv.create(s, { keys: { k: KEY }, activeKeyId: "k", ...merge(c) }),
    false, // WebCrypto decrypts asynchronously
  ),
);

function stack(inner: KvStore, config?: StoreConfig): Promise<KvStore> {
  return stackLayers(inner, {
    cache: { maxEntries: 16, policy: "arc" },
    compress: { codec: "lz4", minSize: 0 },
    encrypt: { keys: { k: KEY }, activeKeyId: "k" },
    ...merge(config),
  });
}

runConformance(layered("stackLayers(cache, compress, encrypt)", stack, false));

function stackedOnDisk(kind: StoreKind, file: string): ConformanceTarget {
  const disk = diskTarget(kind, file);
  return {
    ...disk,
    name: `stackLayers(cache, compress, encrypt) over ${kind}/disk`,
    syncReads: false, // the encryption layer decrypts asynchronously
    open: async (config) => stack(await disk.open(config), config),
    reopen: async (config) => stack(await disk.reopen!(config), config),
  };
}

runConformance(stackedOnDisk("btree", "store.oxi"));
runConformance(stackedOnDisk("lsm", "store"));
runConformance(stackedOnDisk("denokv", "store.sqlite"));
