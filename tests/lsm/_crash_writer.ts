// Child process of crash_test.ts: commits batches in a loop with a tiny
// memtable (so flushes and compactions run all the time) and prints the id of
// every commit once it is acknowledged (durable). The parent SIGKILLs it.
//
// Commit `i` writes `c/<i>/0..3` and overwrites `h/<i % 50>` with `i`.
// Args: <dir> <first commit id> [nothreads: flush and compact on the main thread]
import { lsmStats, openLsm } from "../../kv/lsm/mod.ts";

const [dir, startArg, threads] = Deno.args;
let id = Number(startArg ?? 0);
const store = await openLsm(dir!, { syncWrites: true }, {
  memtableBytes: 8 * 1024,
  l0Trigger: 2,
  levelBaseBytes: 32 * 1024,
  levelRatio: 4,
  tableBytes: 16 * 1024,
  backgroundThreads: threads !== "nothreads",
  workerMinBytes: 0,
});
const out = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));
out("ready");
const pad = "x".repeat(40);
while (true) {
  const pairs: [string, string][] = [];
  for (let j = 0; j < 4; j++) pairs.push([`c/${id}/${j}`, `v${id}-${j}-${pad}`]);
  pairs.push([`h/${id % 50}`, String(id)]);
  await store.batchWrite(pairs);
  out(`ack ${id}`);
  if (id % 5 === 0) {
    const s = lsmStats(store)!;
    out(`stats ${s.flushes} ${s.compactions}`);
  }
  id++;
}
