// Point-in-time snapshots that keep their view while writers go on.
import { type Case, eq, eqBytes, scan, show, yes } from "./_helpers.ts";
import { assertRejectsKind } from "../_support/assert.ts";

const pad = (i: number) => String(i).padStart(4, "0");

export const snapshotCases: Case[] = [
  {
    id: "snapshot",
    title: "snapshots keep their view while writers go on; release",
    async run({ open }) {
      const store = await open();
      await store.batchWrite([["a", "1"], ["b", "2"], ["c", "3"]]);
      const snap = await store.snapshot();
      await store.put("a", "changed");
      await store.delete("b");
      await store.put("bb", "new");
      await store.put("0", "new");
      await store.batchWrite([["c", "C"], ["d", "D"]]);
      {
        const t = await store.transaction();
        await t.put("c", "txn");
        await t.commit();
      }
      eqBytes(await snap.get("a"), "1", "overwrite invisible");
      eqBytes(await snap.get("b"), "2", "delete invisible");
      eq(await snap.get("bb"), undefined, "insert invisible");
      eq(await snap.contains("d"), false);
      eq(await snap.contains("b"), true);
      const all = ['"a"="1"', '"b"="2"', '"c"="3"'];
      eq(await scan(snap.prefixScan("")), all, 'prefixScan("") returns everything');
      eq(await scan(snap.range()), all);
      eq(await scan(snap.range("a", "c", { reverse: true })), ['"b"="2"', '"a"="1"']);
      eq(await scan(snap.range(undefined, undefined, { limit: 2 })), all.slice(0, 2));
      eq(await scan(snap.prefixScan("b")), ['"b"="2"']);
      eq(await scan(snap.range("c", "a")), [], "lo > hi");
      eq(
        await scan(store.iter()),
        ['"0"="new"', '"a"="changed"', '"bb"="new"', '"c"="txn"', '"d"="D"'],
        "the store itself moved on",
      );
      const second = await store.snapshot();
      eqBytes(await second.get("a"), "changed", "a later snapshot sees later data");
      await snap.release();
      await snap.release(); // idempotent
      await assertRejectsKind(() => snap.get("a"), "InvalidInput", "get on a released snapshot");
      eq((await scan(second.range())).length, 5, "releasing one snapshot keeps the other");
      await second.release();
      {
        await using disposed = await store.snapshot();
        eqBytes(await disposed.get("a"), "changed");
      }
      await store.put("after", "release");
      eq(await store.count(), 6);
    },
  },
  {
    id: "snapshot-long-scan",
    title: "a long snapshot scan stays consistent while writes interleave with it",
    async run({ open }) {
      const store = await open();
      const n = 700;
      const pairs: [string, string][] = [];
      for (let i = 0; i < n; i += 1) pairs.push([`k${pad(i * 2)}`, `v${i}`]);
      await store.batchWrite(pairs);
      const expected = pairs.map(([k, v]) => `"${k}"="${v}"`);
      for (const reverse of [false, true]) {
        await using snap = await store.snapshot();
        // Change many keys before the scan starts, so some sit on any chunk edge.
        const early: [string, string][] = [];
        for (let i = 0; i < n; i += 3) early.push([`k${pad(i * 2)}`, "early"]);
        for (let i = 1; i < n; i += 4) early.push([`k${pad(i * 2 + 1)}`, "early-insert"]);
        await store.batchWrite(early);
        await store.batchDelete(pairs.filter((_, i) => i % 5 === 1).map(([k]) => k));
        const seen: string[] = [];
        let step = 0;
        for await (const [k, v] of snap.range(undefined, undefined, { reverse })) {
          seen.push(`${show(k)}=${show(v)}`);
          if (++step % 50 === 0) {
            // Overwrite, delete and insert keys both ahead of and behind the cursor.
            const i = (step * 7) % n;
            const j = (step * 13 + 5) % n;
            await store.put(`k${pad(i * 2)}`, "overwritten");
            await store.delete(`k${pad(j * 2)}`);
            await store.put(`k${pad(((step * 3) % n) * 2 + 1)}`, "inserted");
            await store.batchWrite([[`k${pad(n * 2 + step)}`, "tail"], ["a", "head"]]);
          }
        }
        eq(seen, reverse ? [...expected].reverse() : expected, `snapshot scan, reverse=${reverse}`);
        eq((await scan(snap.prefixScan("k"))).length, n, "a second scan of the same snapshot");
        // Restore the original data for the next direction.
        await store.batchDelete(
          (await scan(store.iter())).map((e) => JSON.parse(e.split("=")[0]!)),
        );
        await store.batchWrite(pairs);
      }
      yes((await store.count()) === n, "store holds the rewritten data");
    },
  },
];
