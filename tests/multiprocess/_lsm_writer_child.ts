// Child of lsm_jobs_test.ts: opens the LSM store with tiny memtables and
// levels (so it flushes and compacts often), commits <n> rounds of a
// two-key batch "pair/<i>/a", "pair/<i>/b" plus "last" = i, then prints its
// flush and compaction counts as JSON and closes.
import { lsmStats, lsmWaitIdle, openLsm } from "@cooljapan/oxistore/kv/lsm";

const [path, n] = Deno.args as [string, string];
const store = await openLsm(path, {}, {
  memtableBytes: 4 << 10,
  tableBytes: 4 << 10,
  l0Trigger: 2,
  levelBaseBytes: 16 << 10,
  levelRatio: 4,
  backgroundThreads: false,
});
for (let i = 0; i < Number(n); i++) {
  const v = `${i}`.padEnd(64, ".");
  await store.batchWrite([[`pair/${i}/a`, v], [`pair/${i}/b`, v], ["last", String(i)]]);
}
await lsmWaitIdle(store);
const { flushes, compactions } = lsmStats(store)!;
console.log(JSON.stringify({ flushes, compactions }));
await store.close();
