// Optimistic transactions: read-your-writes, isolation, first committer wins.
import { type Case, eq, eqBytes, scan, sleep, yes } from "./_helpers.ts";
import { assertRejectsKind } from "../_support/assert.ts";

export const txnCases: Case[] = [
  {
    id: "txn-read-your-writes",
    title: "transaction reads see its own writes, deletes and merged scans",
    async run({ open }) {
      const store = await open();
      await store.batchWrite([["a", "1"], ["b", "2"], ["c", "3"], ["d", "4"], ["x", "9"]]);
      await using txn = await store.transaction();
      await txn.put("b", "B");
      await txn.put("bb", "BB");
      await txn.delete("c");
      await txn.put("0", "zero");
      await txn.put("z", "Z");
      await txn.delete("zz-never");
      eqBytes(await txn.get("b"), "B", "own put");
      eqBytes(await txn.get("bb"), "BB", "own insert");
      eq(await txn.get("c"), undefined, "own delete");
      eq(await txn.contains("c"), false);
      eq(await txn.contains("a"), true, "untouched key from the snapshot");
      eq(
        await scan(txn.range()),
        ['"0"="zero"', '"a"="1"', '"b"="B"', '"bb"="BB"', '"d"="4"', '"x"="9"', '"z"="Z"'],
        "range merges buffered writes and deletes",
      );
      eq(
        await scan(txn.range("a", "d", { reverse: true })),
        ['"bb"="BB"', '"b"="B"', '"a"="1"'],
        "reverse range merges too",
      );
      eq(await scan(txn.range("a", "z", { limit: 3 })), ['"a"="1"', '"b"="B"', '"bb"="BB"']);
      eq(await scan(txn.prefixScan("b")), ['"b"="B"', '"bb"="BB"'], "prefixScan merges");
      eq(await scan(txn.prefixScan("c")), [], "prefixScan hides a buffered delete");
      await txn.put("c", "again");
      eqBytes(await txn.get("c"), "again", "put after delete in one transaction");
      await txn.delete("bb");
      eq(await txn.get("bb"), undefined, "delete after put in one transaction");
      // Nothing is visible outside before commit.
      eqBytes(await store.get("b"), "2", "buffered write invisible outside");
      eq(await store.contains("z"), false);
      await txn.commit();
      eq(
        await scan(store.iter()),
        ['"0"="zero"', '"a"="1"', '"b"="B"', '"c"="again"', '"d"="4"', '"x"="9"', '"z"="Z"'],
        "commit applied every write",
      );
      await using empty = await store.transaction();
      await empty.commit(); // a transaction without writes commits fine
    },
  },
  {
    id: "txn-isolation",
    title: "transactions read from the snapshot they began with",
    async run({ open }) {
      const store = await open();
      await store.batchWrite([["a", "1"], ["b", "2"]]);
      await using txn = await store.transaction();
      await store.put("a", "changed");
      await store.delete("b");
      await store.put("c", "new");
      eqBytes(await txn.get("a"), "1", "later commit invisible");
      eqBytes(await txn.get("b"), "2", "later delete invisible");
      eq(await txn.get("c"), undefined, "later insert invisible");
      eq(await scan(txn.range()), ['"a"="1"', '"b"="2"'], "scan sees the start snapshot");
      await txn.rollback();
      eqBytes(await store.get("a"), "changed");
    },
  },
  {
    id: "txn-conflict",
    title: "first committer wins: TxnConflict on keys read or written, nothing applied",
    async run({ open }) {
      const store = await open();
      await store.batchWrite([["acct/a", "100"], ["acct/b", "0"]]);

      // Two transactions read and write the same key.
      const t1 = await store.transaction();
      const t2 = await store.transaction();
      eqBytes(await t1.get("acct/a"), "100");
      eqBytes(await t2.get("acct/a"), "100");
      await t1.put("acct/a", "90");
      await t1.put("acct/b", "10");
      await t2.put("acct/a", "50");
      await t2.put("other", "x");
      await t1.commit();
      await assertRejectsKind(() => t2.commit(), "TxnConflict", "second committer");
      eqBytes(await store.get("acct/a"), "90", "first committer's write stands");
      eq(await store.contains("other"), false, "nothing of the losing transaction applied");
      await assertRejectsKind(() => t2.commit(), "InvalidInput", "commit after a conflict");

      // A key only read, changed by a plain put: conflict.
      const t3 = await store.transaction();
      await t3.get("acct/b");
      await t3.put("log", "read b");
      await store.put("acct/b", "11");
      await assertRejectsKind(() => t3.commit(), "TxnConflict", "read key changed by a plain put");
      eq(await store.contains("log"), false);

      // A transaction that only read still validates its reads on commit.
      const reader = await store.transaction();
      await reader.get("acct/b");
      await store.put("acct/b", "12");
      await assertRejectsKind(
        () => reader.commit(),
        "TxnConflict",
        "read-only transaction whose key changed",
      );

      // A key only written (blind write), changed meanwhile: conflict.
      const t4 = await store.transaction();
      await t4.put("acct/a", "blind");
      await store.delete("acct/a");
      await assertRejectsKind(() => t4.commit(), "TxnConflict", "written key deleted meanwhile");
      eq(await store.contains("acct/a"), false);

      // A key read through a scan counts as read.
      await store.batchWrite([["p/1", "a"], ["p/2", "b"]]);
      const t5 = await store.transaction();
      eq((await scan(t5.prefixScan("p/"))).length, 2);
      await t5.put("sum", "2");
      await store.put("p/2", "changed");
      await assertRejectsKind(() => t5.commit(), "TxnConflict", "scanned key changed meanwhile");
      eq(await store.contains("sum"), false);

      // Disjoint keys: both commit.
      const t6 = await store.transaction();
      const t7 = await store.transaction();
      await t6.get("d/1");
      await t6.put("d/1", "six");
      await t7.get("d/2");
      await t7.put("d/2", "seven");
      await store.put("d/3", "plain");
      await t7.commit();
      await t6.commit();
      eq(await scan(store.prefixScan("d/")), ['"d/1"="six"', '"d/2"="seven"', '"d/3"="plain"']);

      // A retry after a conflict succeeds.
      const t8 = await store.transaction();
      await t8.get("ctr");
      await store.put("ctr", "1");
      await t8.put("ctr", "x");
      await assertRejectsKind(() => t8.commit(), "TxnConflict", "lost race");
      const retry = await store.transaction();
      eqBytes(await retry.get("ctr"), "1");
      await retry.put("ctr", "2");
      await retry.commit();
      eqBytes(await store.get("ctr"), "2");
    },
  },
  {
    id: "txn-lifecycle",
    title: "rollback, disposal and use after commit/rollback",
    async run({ open }) {
      const store = await open();
      await store.put("k", "v");
      const t1 = await store.transaction();
      await t1.put("k", "rolled back");
      await t1.put("n", "rolled back");
      await t1.rollback();
      eqBytes(await store.get("k"), "v", "rollback drops writes");
      eq(await store.contains("n"), false);
      await assertRejectsKind(() => t1.get("k"), "InvalidInput", "get after rollback");
      await assertRejectsKind(() => t1.put("k", "x"), "InvalidInput", "put after rollback");
      await assertRejectsKind(() => t1.commit(), "InvalidInput", "commit after rollback");

      {
        await using t2 = await store.transaction();
        await t2.put("k", "disposed");
      }
      eqBytes(await store.get("k"), "v", "`await using` disposal rolls back");

      const t3 = await store.transaction();
      await t3.put("k", "committed");
      await t3.commit();
      eqBytes(await store.get("k"), "committed");
      await assertRejectsKind(() => t3.get("k"), "InvalidInput", "get after commit");
      await assertRejectsKind(() => t3.put("k", "x"), "InvalidInput", "put after commit");
      await assertRejectsKind(() => t3.delete("k"), "InvalidInput", "delete after commit");
      await assertRejectsKind(() => t3.range(), "InvalidInput", "range after commit");
      await assertRejectsKind(() => t3.commit(), "InvalidInput", "commit twice");
      await assertRejectsKind(() => t3.rollback(), "InvalidInput", "rollback after commit");
      await t3[Symbol.asyncDispose](); // disposing a finished transaction is harmless

      const t4 = await store.transaction();
      await assertRejectsKind(
        () => t4.put(new Uint8Array(2049), "x"),
        "InvalidInput",
        "txn put with a 2049-byte key",
      );
      await assertRejectsKind(
        // deno-lint-ignore no-explicit-any
        () => t4.put("k", 1 as any),
        "InvalidInput",
        "txn put with a number value",
      );
      await assertRejectsKind(
        () =>
          // deno-lint-ignore no-explicit-any
          t4.get(null as any),
        "InvalidInput",
        "txn get with null",
      );
      await t4.rollback();

      // A plain write never waits for an open transaction.
      const t5 = await store.transaction();
      await t5.put("k", "txn");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const blocked = await Promise.race([
        store.put("k", "plain").then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 3_000))),
      ]);
      clearTimeout(timer);
      yes(!blocked, "put completed while a transaction was open");
      eqBytes(await store.get("k"), "plain");
      await assertRejectsKind(
        () => t5.commit(),
        "TxnConflict",
        "the transaction lost to the plain put",
      );
      eqBytes(await store.get("k"), "plain");

      // Commits of several transactions that run concurrently: each is atomic.
      await store.put("n", "0");
      const runs = await Promise.allSettled(
        Array.from({ length: 4 }, async (_, i) => {
          const t = await store.transaction();
          const cur = Number(new TextDecoder().decode(await t.get("n")));
          await sleep(1);
          await t.put("n", String(cur + 1));
          await t.put(`who/${i}`, "me");
          await t.commit();
        }),
      );
      const won = runs.filter((r) => r.status === "fulfilled").length;
      yes(won >= 1, "at least one concurrent transaction commits");
      eqBytes(await store.get("n"), String(won), "no lost update among concurrent commits");
      eq((await scan(store.prefixScan("who/"))).length, won, "losers applied nothing");
    },
  },
];
