// The contract suite against the LSM engine, in a directory and in memory.
import { diskTarget, memoryTarget } from "./_engine_targets.ts";
import { runPropertyTests } from "./property.ts";
import { runConformance } from "./suite.ts";

runConformance(diskTarget("lsm", "store"));
runConformance(memoryTarget("lsm"));
runPropertyTests(diskTarget("lsm", "store"));
