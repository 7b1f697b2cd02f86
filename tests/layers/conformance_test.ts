// The shared contract suite through every layer, alone and stacked, over the
// sorted-array reference engine (reopen hands the same data to a new stack).
import { EngineStore } from "../../core/engine_store.ts";
import type { StoreConfig } from "../../core/config.ts";
import type { KvStore } from "../../core/kv.ts";
import { SortedArrayEngine } from "../support/sorted_engine.ts";
import { runConformance } from "../conformance/suite.ts";
import type { ConformanceTarget } from "../conformance/target.ts";
import { CachedKvStore } from "../../layers/cache/mod.ts";
import { CompressedKv } from "../../layers/compress/mod.ts";
import { EncryptedKv } from "../../layers/encrypt/mod.ts";

type Wrap = (inner: KvStore, config?: StoreConfig) => KvStore | Promise<KvStore>;

function layered(name: string, wrap: Wrap): ConformanceTarget {
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
  ),
);
runConformance(
  layered("cache+encrypt+compress", async (s, c) =>
    new CachedKvStore(
      await EncryptedKv.create(
        new CompressedKv(s, { codec: "lz4" }),
        { keys: { k: KEY }, activeKeyId: "k", ...merge(c) },
      ),
      { maxEntries: 16, policy: "arc" },
    )),
);
