// Child of btree_reuse_test.ts. "churn <path> <rounds> <n>": rewrites keys
// k0..k<n> with new values each round and compacts (checkpoints that free and
// reuse pages), then prints the file size. "pin <path>": takes a snapshot,
// says "pinned" and waits to be killed.
import { openWith } from "@cooljapan/oxistore";

const [mode, path, rounds, n] = Deno.args as [string, string, string, string];
const store = await openWith("btree", path);
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
await store.close();
console.log(Deno.statSync(path).size);
