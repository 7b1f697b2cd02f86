// The contract suite against the B-tree engine, in a file and in memory.
import { diskTarget, memoryTarget } from "./_engine_targets.ts";
import { runPropertyTests } from "./property.ts";
import { runConformance } from "./suite.ts";

runConformance(diskTarget("btree", "store.oxi"));
runConformance(memoryTarget("btree"));
runPropertyTests(diskTarget("btree", "store.oxi"));
