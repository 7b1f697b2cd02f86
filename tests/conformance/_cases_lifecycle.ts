// kind, close, `await using`, reopen persistence, read-only, syncWrites.
import { type Case, eq, eqBytes, scan, sleep, yes } from "./_helpers.ts";
import { assertRejectsKind } from "../_support/assert.ts";
import { STORE_KINDS } from "../../core/config.ts";
import type { KvStore } from "../../core/kv.ts";

/** Every write of the KvStore API, each as a thunk, for ReadOnly/Closed checks. */
function writes(store: KvStore, path: string): [string, () => unknown][] {
  return [
    ["put", () => store.put("k", "v")],
    ["delete", () => store.delete("k")],
    ["batchWrite", () => store.batchWrite([["k", "v"]])],
    ["batchDelete", () => store.batchDelete(["k"])],
    ["compareAndSwap", () => store.compareAndSwap("k", null, "v")],
    ["putWithTtl", () => store.putWithTtl("k", "v", 1000)],
    ["expire", () => store.expire("k", 1000)],
    ["persist", () => store.persist("k")],
    ["purgeExpired", () => store.purgeExpired()],
    ["merge", () => store.merge("k", "v")],
    ["restore", () => store.restore(path)],
    ["tree put", () => store.tree("t").put("k", "v")],
  ];
}

function reads(store: KvStore): [string, () => unknown][] {
  return [
    ["get", () => store.get("k")],
    ["contains", () => store.contains("k")],
    ["getMany", () => store.getMany(["k"])],
    ["range", () => store.range()],
    ["rangeRev", () => store.rangeRev()],
    ["prefixScan", () => store.prefixScan("")],
    ["iter", () => store.iter()],
    ["keys", () => store.keys()],
    ["count", () => store.count()],
    ["sizeOnDisk", () => store.sizeOnDisk()],
    ["ttl", () => store.ttl("k")],
    ["transaction", () => store.transaction()],
    ["snapshot", () => store.snapshot()],
    ["flush", () => store.flush()],
    ["watch", () => store.watch("")],
    ["tree", () => store.tree("t")],
  ];
}

export const lifecycleCases: Case[] = [
  {
    id: "error-messages",
    title: "errors are StoreErrors whose message names the operation",
    async run({ open, tempPath }) {
      const store = await open();
      // deno-lint-ignore no-explicit-any
      const s = store as any;
      await store.put("k", "v");
      const t = await store.transaction();
      await t.get("k");
      await store.put("k", "w");
      const missing = await tempPath("missing.bak");
      const tries: [string, string, () => unknown][] = [
        ["put", "InvalidInput", () => s.put(42, "x")],
        ["put", "InvalidInput", () => s.put("k", null)],
        ["put", "InvalidInput", () => s.put(new Uint8Array(2049), "x")],
        ["get", "InvalidInput", () => s.get(new Uint8Array(2049))],
        ["batchWrite", "InvalidInput", () => s.batchWrite([[1, "x"]])],
        ["putWithTtl", "InvalidInput", () => s.putWithTtl("k", "v", -1)],
        ["expire", "InvalidInput", () => s.expire("k", Number.NaN)],
        ["compareAndSwap", "CasMismatch", () => s.compareAndSwap("k", "nope", "x")],
        ["merge", "Unsupported", () => s.merge("k", "x")],
        ["commit", "TxnConflict", () => t.commit()],
        ["range", "InvalidInput", () => s.range(undefined, undefined, { limit: -1 })],
        [missing, "NotFound", () => s.restore(missing)],
      ];
      for (const [op, kind, fn] of tries) {
        const err = await assertRejectsKind(fn, kind as never, op);
        yes(err instanceof Error && err.name === "StoreError", "a StoreError is an Error");
        yes(err.message.includes(op), `"${err.message}" names ${op}`);
      }
      await store.close();
      const err = await assertRejectsKind(() => store.get("k"), "Closed", "get after close");
      yes(err.message.includes("get"), `"${err.message}" names get`);
    },
  },
  {
    id: "kind",
    title: "kind names the engine",
    async run({ open, target }) {
      const store = await open();
      yes(STORE_KINDS.includes(store.kind), `kind ${store.kind} is a StoreKind`);
      if (target.kind) eq(store.kind, target.kind, "the target's kind");
    },
  },
  {
    id: "close",
    title: "close ends the store: every later call is Closed; `await using` closes",
    async run({ open, tempPath }) {
      const store = await open();
      await store.put("k", "v");
      const tree = store.tree("t");
      await tree.put("k", "tv");
      const txn = await store.transaction();
      await txn.put("k", "txn");
      const snap = await store.snapshot();
      await store.close();
      await store.close(); // idempotent
      const path = await tempPath("x.bak");
      for (const [name, fn] of [...writes(store, path), ...reads(store)]) {
        await assertRejectsKind(fn, "Closed", `${name} after close`);
      }
      await assertRejectsKind(() => store.compact(), "Closed", "compact after close");
      await assertRejectsKind(() => store.backup(path), "Closed", "backup after close");
      await assertRejectsKind(() => tree.get("k"), "Closed", "tree handle after close");
      await assertRejectsKind(() => txn.commit(), "Closed", "transaction commit after close");
      await assertRejectsKind(() => snap.get("k"), "Closed", "snapshot read after close");
      // Disposal after close is quiet, so `await using` blocks never throw on exit.
      await snap.release();
      await snap[Symbol.asyncDispose]();
      await txn[Symbol.asyncDispose]();
      await store[Symbol.asyncDispose]();

      let escaped: KvStore | undefined;
      {
        await using scoped = await open();
        await scoped.put("a", "1");
        escaped = scoped;
      }
      await assertRejectsKind(() => escaped!.get("a"), "Closed", "get after `await using` ended");
    },
  },
  {
    id: "sync-writes-off",
    title: "syncWrites: false stores work and flush makes them durable",
    async run({ open, reopen, target }) {
      const store = await open({ syncWrites: false });
      await store.put("a", "1");
      await store.batchWrite([["b", "2"], ["c", "3"]]);
      {
        const t = await store.transaction();
        await t.put("d", "4");
        await t.commit();
      }
      await store.delete("c");
      eq(await scan(store.iter()), ['"a"="1"', '"b"="2"', '"d"="4"']);
      await store.flush();
      if (!target.reopen) return;
      await store.close();
      const again = await reopen({ syncWrites: false });
      eq(await scan(again.iter()), ['"a"="1"', '"b"="2"', '"d"="4"'], "flushed data reopens");
      // close() without flush() also keeps every write.
      await again.put("e", "5");
      await again.batchDelete(["a"]);
      await again.close();
      const third = await reopen();
      eq(await scan(third.iter()), ['"b"="2"', '"d"="4"', '"e"="5"'], "close makes writes durable");
    },
  },
  {
    id: "reopen",
    title: "data, TTLs and trees survive close and reopen",
    needsReopen: true,
    async run({ open, reopen }) {
      const store = await open();
      const pairs: [string, string][] = [];
      for (let i = 0; i < 200; i++) pairs.push([`k${String(i).padStart(3, "0")}`, `v${i}`]);
      await store.batchWrite(pairs);
      await store.compact();
      // Changes after a compaction land in a newer layer (LSM) than the data they shadow.
      await store.delete("k007");
      await store.put("k100", "after compact");
      await store.put("", "empty key");
      await store.put("empty", "");
      await store.putWithTtl("ttl/long", "L", 60_000);
      await store.putWithTtl("ttl/short", "S", 40);
      await store.tree("t1").put("k000", "tree one");
      await store.tree("t2").batchWrite([["a", "x"], ["b", "y"]]);
      await store.close();
      await sleep(60);
      const again = await reopen();
      eq(await again.count(), 199 + 2 + 1, "live keys after reopen");
      eq(await again.get("k007"), undefined, "a delete survives reopen");
      eqBytes(await again.get("k199"), "v199");
      eqBytes(await again.get("k100"), "after compact", "an overwrite after compact survives");
      eqBytes(await again.get(""), "empty key");
      eqBytes(await again.get("empty"), "", "an empty value survives reopen");
      const left = await again.ttl("ttl/long");
      yes(left !== undefined && left > 50_000 && left <= 60_000, `TTL survives reopen (${left})`);
      eq(await again.get("ttl/short"), undefined, "a key that expired while closed");
      eqBytes(await again.tree("t1").get("k000"), "tree one", "trees survive reopen");
      eq(await scan(again.tree("t2").iter()), ['"a"="x"', '"b"="y"']);
      eqBytes(await again.get("k000"), "v0", "the default tree is separate after reopen");
      await again.put("k007", "back");
      await again.close();
      const third = await reopen();
      eqBytes(await third.get("k007"), "back", "writes after reopen persist too");
    },
  },
  {
    id: "read-only",
    title: "a read-only reopen reads everything and refuses every write with ReadOnly",
    needsReopen: true,
    async run({ open, reopen, tempPath }) {
      const store = await open();
      await store.batchWrite([["a", "1"], ["b", "2"]]);
      await store.putWithTtl("t", "3", 60_000);
      await store.tree("t").put("k", "tree");
      const path = await tempPath("ro.bak");
      await store.backup(path);
      await store.close();
      const ro = await reopen({ readOnly: true });
      for (const [name, fn] of writes(ro, path)) {
        await assertRejectsKind(fn, "ReadOnly", `${name} read-only`);
      }
      const txn = await ro.transaction();
      await assertRejectsKind(
        () => txn.put("k", "v"),
        "ReadOnly",
        "transaction put on a read-only store",
      );
      await assertRejectsKind(
        () => txn.delete("a"),
        "ReadOnly",
        "transaction delete on a read-only store",
      );
      await txn.rollback();
      {
        // A transaction that only reads commits fine on a read-only store.
        const reader = await ro.transaction();
        eqBytes(await reader.get("a"), "1", "transaction reads work read-only");
        eq((await scan(reader.prefixScan(""))).length, 3);
        await reader.commit();
      }
      eqBytes(await ro.get("a"), "1", "reads work");
      eq(await ro.contains("b"), true);
      eq(await scan(ro.range()), ['"a"="1"', '"b"="2"', '"t"="3"']);
      eq(await ro.count(), 3);
      yes((await ro.ttl("t"))! > 0, "ttl reads work");
      eqBytes(await ro.tree("t").get("k"), "tree");
      {
        await using snap = await ro.snapshot();
        eqBytes(await snap.get("b"), "2", "snapshots work read-only");
      }
      await ro.backup(await tempPath("ro2.bak"));
      await ro.close();
      const rw = await reopen();
      eq(await rw.count(), 3, "read-only use changed nothing");
      await rw.put("c", "4");
      eqBytes(await rw.get("c"), "4", "a normal reopen writes again");
    },
  },
];
