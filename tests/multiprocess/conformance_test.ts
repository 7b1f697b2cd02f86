// The conformance suite with two openers of one store in two processes
// (a B-tree file, an LSM directory): writes in a child, reads, scans,
// snapshots, transactions and watch here (see _twin_target.ts).
import { runConformance } from "../conformance/suite.ts";
import { twinTarget } from "./_twin_target.ts";

runConformance(twinTarget("btree", "store.oxi"));
runConformance(twinTarget("lsm", "store.lsm"));
