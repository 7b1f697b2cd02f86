// Child of reuse_test.ts. "churn <kind> <path> <rounds> <n>": rewrites keys
// k0..k<n> with new values each round and compacts (B-tree checkpoints that
// free and reuse pages; LSM tables made obsolete), then prints the store's
// size on disk. "pin <kind> <path>": takes a snapshot, says "pinned" and
// waits to be killed. "hold <kind> <path>": as churn, then says "churned"
// and stays open (its deletions wait for the other openers) until stdin closes.
import { openWith, type StoreKind } from "@cooljapan/oxistore";
import { openLsm } from "@cooljapan/oxistore/kv/lsm";

const [mode, kind, path, rounds, n] = Deno.args as [string, StoreKind, string, string, string];
const store = kind === "lsm"
  ? await openLsm(path, {}, { memtableBytes: 64 << 10, tableBytes: 64 << 10 })
  : await openWith(kind, path);
if (mode === "pin") {
  const snap = await store.snapshot();
  await snap.get("k0");
  console.log("pinned");
  await new Promise(() => {}); // until SIGKILL
}
for (let r = 0; r < Number(rounds); r++) {
  const pairs: [string, string][] = [];
  for (let i = 0; i < Number(n); i++) pairs.push([`k${i}`, `new-${r}-${i}-`.padEnd(100, "n")]);
  for (let i = 0; i < pairs.length; i += 500) await store.batchWrite(pairs.slice(i, i + 500));
  await store.compact();
}
if (mode === "hold") {
  console.log("churned");
  for await (const _ of Deno.stdin.readable) { /* until the parent closes it */ }
}
await store.close();
let size = 0;
if (kind === "lsm") {
  for (const e of Deno.readDirSync(path)) {
    size += e.isFile ? Deno.statSync(`${path}/${e.name}`).size : 0;
  }
} else size = Deno.statSync(path).size;
console.log(size);
