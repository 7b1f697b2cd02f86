// Two openers of one B-tree file (the engine's model of several processes): commits through
// both serialise on the store's commit counter, and each queue message goes to one listener.
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { type KvU64, openKv } from "@cooljapan/oxistore/deno-kv";

for (const kind of ["btree", "lsm"] as const) {
  Deno.test(`deno-kv two openers (${kind}): concurrent sums through both lose nothing; versionstamps are distinct`, async () => {
    const path = `${await Deno.makeTempDir()}/shared.oxi`;
    await using a = await openKv(path, { kind });
    await using b = await openKv(path, { kind });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).atomic().sum(["n"], 1n).commit()),
    );
    const stamps = results.map((r) => (r.ok ? r.versionstamp : "failed"));
    strictEqual(new Set(stamps).size, 40);
    strictEqual((await a.get<KvU64>(["n"])).value?.value, 40n);
    strictEqual((await b.get<KvU64>(["n"])).value?.value, 40n);
    // Check-and-set races through both openers: exactly one wins each round.
    for (let round = 0; round < 5; round++) {
      const seen = await a.get(["n"]);
      const racers = await Promise.all(
        Array.from(
          { length: 6 },
          (_, i) => (i % 2 ? a : b).atomic().check(seen).set(["n"], round).commit(),
        ),
      );
      strictEqual(racers.filter((r) => r.ok).length, 1);
    }
  });
}

Deno.test("deno-kv two openers: each queue message is delivered once, to one of the listeners", async () => {
  const path = `${await Deno.makeTempDir()}/queue.oxi`;
  const a = await openKv(path, { pollMs: 20 });
  const b = await openKv(path, { pollMs: 20 });
  const got: number[] = [];
  const byListener = [0, 0];
  const la = a.listenQueue((n: number) => {
    got.push(n);
    byListener[0]!++;
  });
  const lb = b.listenQueue(async (n: number) => {
    got.push(n);
    byListener[1]!++;
    await new Promise((r) => setTimeout(r, 5));
  });
  for (let i = 0; i < 30; i++) await (i % 2 ? a : b).enqueue(i);
  const end = Date.now() + 20_000;
  while (got.length < 30 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200)); // a duplicate would arrive now
  deepStrictEqual([...got].sort((x, y) => x - y), Array.from({ length: 30 }, (_, i) => i));
  await a.close();
  await b.close();
  await Promise.all([la, lb]);
});
