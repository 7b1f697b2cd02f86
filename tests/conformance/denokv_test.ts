// The contract suite against the Deno KV engine: on a SQLite file, in memory,
// and with its optional read cache on.
import type { StoreConfig } from "../../core/config.ts";
import { openInMemory } from "../../mod.ts";
import { diskTarget, memoryTarget } from "./_engine_targets.ts";
import { runPropertyTests } from "./property.ts";
import { runConformance } from "./suite.ts";

runConformance(diskTarget("denokv", "store.sqlite"));
runConformance(memoryTarget("denokv"));
runConformance({
  ...memoryTarget("denokv"),
  name: "denokv/memory with cacheSizeBytes",
  open: (config?: StoreConfig) => openInMemory("denokv", { cacheSizeBytes: 1 << 20, ...config }),
});
runPropertyTests(diskTarget("denokv", "store.sqlite"));
