// Child process of crash_test.ts: commits in a loop and prints each
// acknowledged commit id. Commit c writes keys id/<c>/0..4 = c, rewrites
// "big" (an overflow value) and "last" = c, and deletes the keys of c - 50;
// every 25 commits it compacts the store. In "bulk" mode commit c instead
// writes 100 keys spread over the whole tree (bulkKey) and "last" = c.
import { bulkKey } from "./_helpers.ts";
import { openBTree } from "../../kv/btree/mod.ts";

const path = Deno.args[0]!;
const mode = Deno.args[1];
const syncWrites = mode !== "nosync";
const enc = new TextEncoder();
const store = await openBTree(path, { syncWrites, cacheSizeBytes: 1 << 20 });
const last = await store.get("last");
let c = last === undefined ? 1 : Number(new TextDecoder().decode(last)) + 1;
const out = Deno.stdout;
out.writeSync(enc.encode("ready\n"));
for (; mode === "bulk"; c++) {
  const pairs: [string, string][] = [["last", String(c)]];
  for (let j = 0; j < 100; j++) pairs.push([bulkKey(c, j), String(c).padEnd(120, ".")]);
  await store.batchWrite(pairs);
  out.writeSync(enc.encode(`${c}\n`));
}
for (;;) {
  const id = String(c);
  const pairs: [string, Uint8Array | string][] = [];
  for (let j = 0; j < 5; j++) pairs.push([`id/${id.padStart(8, "0")}/${j}`, id]);
  pairs.push(["big", id.repeat(Math.ceil(6000 / id.length))]);
  pairs.push(["last", id]);
  const txn = await store.transaction();
  for (const [k, v] of pairs) await txn.put(k, v);
  if (c > 50) {
    for (let j = 0; j < 5; j++) await txn.delete(`id/${String(c - 50).padStart(8, "0")}/${j}`);
  }
  await txn.commit();
  out.writeSync(enc.encode(`${id}\n`));
  // Now and then compact, so kills also land in the middle of a compaction.
  if (c % 25 === 0) await store.compact();
  c++;
}
