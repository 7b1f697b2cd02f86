// The write buffer: commits between checkpoints live in the log and in a
// sorted buffer that reads consult first; checkpoints merge it into the tree.
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { openBTree } from "../../kv/btree/mod.ts";
import { checkInvariants } from "../../kv/btree/_check.ts";
import { engineOf } from "../../kv/btree/_registry.ts";
import { removeDir, rng, tempPath } from "./_helpers.ts";

const dec = new TextDecoder();

Deno.test("btree snapshot keeps its view of buffered writes across a checkpoint", async () => {
  const path = tempPath();
  try {
    await using store = await openBTree(path);
    await store.put("a", "1"); // the first commit is a checkpoint
    await store.put("a", "2"); // buffered
    await store.put("b", "x");
    await using snap = await store.snapshot();
    await store.put("a", "3");
    await store.delete("b");
    await store.compact(); // merges the buffer into the tree
    equal(dec.decode((await snap.get("a"))!), "2");
    equal(dec.decode((await snap.get("b"))!), "x");
    const seen: string[] = [];
    for await (const [k, v] of snap.range()) seen.push(`${dec.decode(k)}=${dec.decode(v)}`);
    deepStrictEqual(seen, ["a=2", "b=x"]);
    equal(dec.decode((await store.get("a"))!), "3");
    equal(await store.get("b"), undefined);
  } finally {
    removeDir(path);
  }
});

Deno.test("btree merges a large buffer in several durable steps and loses nothing", async () => {
  const path = tempPath();
  try {
    const rand = rng(3);
    const want = new Map<string, string>();
    {
      const store = await openBTree(path);
      const engine = engineOf(store)!;
      for (let b = 0; b < 40; b++) {
        const pairs: [string, string][] = [];
        for (let i = 0; i < 500; i++) {
          const k = `k${Math.floor(rand() * 1e9).toString(36)}`;
          pairs.push([k, `${b}-${i}`.padEnd(80, ".")]);
          want.set(k, `${b}-${i}`.padEnd(80, "."));
        }
        await store.batchWrite(pairs);
      }
      checkInvariants(store);
      const before = engine.checkpoints;
      await store.close(); // merges what is buffered: a slice per tenth of the leaves
      ok(engine.checkpoints - before > 1, `${engine.checkpoints - before} durable steps`);
    }
    await using again = await openBTree(path, { readOnly: true });
    equal(await again.count(), want.size);
    for (const [k, v] of want) equal(dec.decode((await again.get(k))!), v, k);
  } finally {
    removeDir(path);
  }
});
