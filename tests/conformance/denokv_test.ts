// The contract suite against the Deno KV engine, on a SQLite file and in memory.
import { diskTarget, memoryTarget } from "./_engine_targets.ts";
import { runPropertyTests } from "./property.ts";
import { runConformance } from "./suite.ts";

runConformance(diskTarget("denokv", "store.sqlite"));
runConformance(memoryTarget("denokv"));
runPropertyTests(diskTarget("denokv", "store.sqlite"));
