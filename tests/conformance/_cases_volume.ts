// More data than one page, block or memtable: splits, merges, flushes and
// compactions under scans, snapshots and transactions.
import { type Case, eq, eqBytes, scan, show } from "./_helpers.ts";
import { assertRejectsKind } from "../_support/assert.ts";
import type { KvStore } from "../../core/kv.ts";

const N = 4000;
const key = (i: number) => `key/${String(i).padStart(5, "0")}`;
/** Values of varied size (up to ~1.5 KiB) so pages and blocks fill unevenly. */
const val = (i: number, gen: number) => `${gen}:${i}:` + "x".repeat((i * 37) % 1500);

/** Writes N keys, deletes every 3rd, rewrites every 5th; returns the expected entries. */
async function churn(store: KvStore): Promise<Map<string, string>> {
  const want = new Map<string, string>();
  for (let lo = 0; lo < N; lo += 500) {
    const pairs: [string, string][] = [];
    for (let i = lo; i < lo + 500; i++) {
      pairs.push([key(i), val(i, 1)]);
      want.set(key(i), val(i, 1));
    }
    await store.batchWrite(pairs);
  }
  const dels: string[] = [];
  for (let i = 0; i < N; i += 3) {
    dels.push(key(i));
    want.delete(key(i));
  }
  for (let i = 0; i < dels.length; i += 400) await store.batchDelete(dels.slice(i, i + 400));
  for (let i = 0; i < N; i += 5) {
    await store.put(key(i), val(i, 2));
    want.set(key(i), val(i, 2));
  }
  return want;
}

function sorted(want: Map<string, string>): string[] {
  return [...want.keys()].sort().map((k) => `${JSON.stringify(k)}=${JSON.stringify(want.get(k))}`);
}

export const volumeCases: Case[] = [
  {
    id: "volume",
    title: "4,000 keys with deletes and rewrites scan, count and reopen correctly",
    async run({ open, reopen, target }) {
      let store = await open();
      const want = await churn(store);
      const all = sorted(want);
      eq(await store.count(), want.size, "count");
      eq(await scan(store.iter()), all, "forward scan");
      eq(await scan(store.rangeRev()), [...all].reverse(), "reverse scan");
      eq(
        await scan(store.range(key(1234), key(2345))),
        all.filter((e) => {
          const k = JSON.parse(e.split("=")[0]!);
          return k >= key(1234) && k < key(2345);
        }),
        "middle range",
      );
      eq(
        (await scan(store.prefixScan("key/01"))).length,
        [...want.keys()].filter((k) => k.startsWith("key/01")).length,
      );
      await store.compact();
      eq(await scan(store.iter()), all, "scan after compact");
      if (target.reopen) {
        await store.close();
        store = await reopen();
        eq(await store.count(), want.size, "count after reopen");
        eq(await scan(store.rangeRev()), [...all].reverse(), "reverse scan after reopen");
      }
      // Delete nearly everything, then check what is left.
      const gone = [...want.keys()].filter((_, i) => i % 50 !== 0);
      for (let i = 0; i < gone.length; i += 500) await store.batchDelete(gone.slice(i, i + 500));
      for (const k of gone) want.delete(k);
      eq(await scan(store.iter()), sorted(want), "after deleting nearly everything");
      await store.compact();
      eq(await store.count(), want.size);
    },
  },
  {
    id: "snapshot-compact",
    title: "snapshots and transactions keep their view across heavy writes and compact",
    async run({ open }) {
      const store = await open();
      const want = await churn(store);
      const all = sorted(want);
      const snap = await store.snapshot();
      const txn = await store.transaction();
      // Rewrite and delete most of the store, then compact, while both are open.
      for (let lo = 0; lo < N; lo += 500) {
        const pairs: [string, string][] = [];
        for (let i = lo; i < lo + 500; i++) if (i % 2 === 0) pairs.push([key(i), val(i, 3)]);
        await store.batchWrite(pairs);
      }
      const odd = [...want.keys()].filter((k) => Number(k.slice(4)) % 2 === 1);
      for (let i = 0; i < odd.length; i += 500) await store.batchDelete(odd.slice(i, i + 500));
      await store.compact();
      await store.flush();
      eq(await scan(snap.range()), all, "snapshot scan after rewrites and compact");
      eq(await scan(snap.range(undefined, undefined, { reverse: true })), [...all].reverse());
      const probe = [...want.keys()][7]!;
      eqBytes(await snap.get(probe), want.get(probe)!, "snapshot point read");
      eq(await scan(txn.prefixScan("key/")), all, "transaction scan after compact");
      await txn.put("new", "x");
      await assertRejectsKind(
        () => txn.commit(),
        "TxnConflict",
        "commit after keys it scanned changed",
      );
      await snap.release();
      eq(await store.count(), N / 2, "even keys rewritten, odd keys deleted, nothing from txn");
      eq(
        show(await store.get(key(2))),
        JSON.stringify(val(2, 3)),
        "the live store has the rewrite",
      );
    },
  },
];
