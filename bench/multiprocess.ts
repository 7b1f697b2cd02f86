/**
 * Several processes on one store, side by side with SQLite (node:sqlite,
 * WAL, synchronous=FULL) under the same load:
 *
 * - two writer processes making durable single-key commits for a few
 *   seconds: combined commits/s;
 * - a reader process polling a key another process commits every 20 ms:
 *   the median delay from commit (before the call) to visibility.
 *
 * deno run -A bench/multiprocess.ts [--engines btree,sqlite] [--seconds 5]
 *
 * `bench/compare.ts` measures the same rows (bench/_multiprocess.ts) for
 * the B-tree, the LSM engine and SQLite in every run.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { twoWriters, visibility } from "./_multiprocess.ts";

const { values } = parseArgs({
  options: {
    engines: { type: "string", default: "btree,sqlite" },
    seconds: { type: "string", default: "5" },
    stamps: { type: "string", default: "60" },
  },
});
const ms = Number(values.seconds) * 1000;

console.log("engine   2 writers durable commits/s   reader sees a commit (median ms)");
for (const kind of values.engines.split(",")) {
  const w = await twoWriters(kind, ms);
  const v = await visibility(kind, Number(values.stamps));
  console.log(`${kind.padEnd(8)} ${w.toFixed(0).padStart(28)}   ${v.toFixed(2).padStart(30)}`);
}
