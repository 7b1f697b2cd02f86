// watch, named trees, merge, metrics.
import { type Case, collectKeys, eq, eqBytes, scan, show, u, yes } from "./_helpers.ts";
import { assertRejectsKind } from "../_support/assert.ts";
import type { KvChange } from "../../core/kv.ts";
import type { MergeOperator } from "../../core/config.ts";

/** The next change, or a failure after `ms` instead of hanging the test. */
async function next(
  it: AsyncIterator<KvChange>,
  ms = 3_000,
): Promise<IteratorResult<KvChange>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      it.next(),
      new Promise<never>((_, rej) =>
        timer = setTimeout(() => rej(new Error(`watch gave nothing within ${ms} ms`)), ms)
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function change(r: IteratorResult<KvChange>): string {
  if (r.done) return "<done>";
  yes(r.value.key instanceof Uint8Array, "watch keys are Uint8Array");
  yes(
    r.value.value === undefined || r.value.value instanceof Uint8Array,
    "watch values are Uint8Array or undefined",
  );
  return `${show(r.value.key)}=${show(r.value.value)}`;
}

const counter: MergeOperator = (_key, old, operand) => {
  const dec = new TextDecoder();
  const text = dec.decode(operand);
  if (text === "reset") return undefined;
  const sum = Number(old === undefined ? "0" : dec.decode(old)) + Number(text);
  return u(String(sum));
};

export const featureCases: Case[] = [
  {
    id: "watch",
    title: "watch(prefix) yields committed changes in order; ends on return() and close",
    async run({ open }) {
      const store = await open();
      await store.put("p/before", "not seen");
      const w = store.watch("p/");
      const all = store.watch("");
      await store.put("p/1", "a");
      await store.put("q/1", "filtered");
      await store.delete("p/1");
      await store.batchWrite([["p/2", "b"], ["x", "filtered"], ["p/3", "c"]]);
      {
        const t = await store.transaction();
        await t.put("p/4", "d");
        await t.commit();
      }
      await store.compareAndSwap("p/4", "d", "e");
      await store.put("p/", "");
      await store.batchDelete(["p/2", "p/3"]);
      const got: string[] = [];
      for (let i = 0; i < 9; i++) got.push(change(await next(w)));
      eq(got, [
        '"p/1"="a"',
        '"p/1"=<absent>',
        '"p/2"="b"',
        '"p/3"="c"',
        '"p/4"="d"',
        '"p/4"="e"',
        '"p/"=""',
        '"p/2"=<absent>',
        '"p/3"=<absent>',
      ], "changes under the prefix, in commit order");
      eq(change(await next(all)), '"p/1"="a"', 'watch("") sees everything');
      eq(change(await next(all)), '"q/1"="filtered"');
      const done = await w.return!();
      eq(done.done, true, "return() ends the watch");
      await store.put("p/after", "x");
      eq(change(await next(w)), "<done>", "no changes after return()");
      // Concurrent writers: the watch's last word on a key is the value the store kept.
      const race = store.watch("race");
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.put("race", String(i))));
      let lastSeen = "";
      for (let i = 0; i < 50; i++) lastSeen = change(await next(race));
      eq(lastSeen, `"race"=${show(await store.get("race"))}`, "watch order is commit order");
      await race.return!();
      // Late subscriber sees only what comes after it.
      const late = store.watch("p/");
      await store.put("p/late", "l");
      eq(change(await next(late)), '"p/late"="l"', "from now on");
      // Closing the store ends every watch (after what was already committed).
      const pending = next(late);
      await store.close();
      eq(change(await pending), "<done>", "close ends a waiting watch");
      let rest = 0;
      while (!(await next(all)).done) rest++;
      // 11 changes up to batchDelete, 50 races, p/after and p/late; two were read above.
      eq(rest, 11 + 50 + 2 - 2, "the other watch drains, then ends on close");
    },
  },
  {
    id: "tree",
    title: "tree(name) is a keyspace isolated from the default one and other trees",
    async run({ open }) {
      const store = await open();
      const users = store.tree("users");
      const orders = store.tree("orders");
      const ab = store.tree("ab");
      const a = store.tree("a");
      await store.put("k", "default");
      await users.put("k", "users");
      await orders.put("k", "orders");
      await a.put("bk", "a");
      await ab.put("k", "ab");
      eqBytes(await store.get("k"), "default");
      eqBytes(await users.get("k"), "users");
      eqBytes(await orders.get("k"), "orders");
      eq(await a.get("k"), undefined, 'tree "a" does not see tree "ab"');
      eq(await ab.get("bk"), undefined, 'tree "ab" does not see tree "a"');
      eqBytes(await store.tree("users").get("k"), "users", "same name, same tree");
      eq(store.tree("users").kind, store.kind, "a tree reports the store's kind");
      await users.batchWrite([["u1", "x"], ["u2", "y"], [new Uint8Array([0xff]), "ff"]]);
      await users.delete("k");
      eq(await users.get("k"), undefined);
      eqBytes(await store.get("k"), "default", "delete in a tree leaves the default tree");
      eqBytes(await orders.get("k"), "orders");
      eq(await users.count(), 3, "count per tree");
      eq(await store.count(), 1, "default count excludes trees");
      eq(await scan(store.iter()), ['"k"="default"'], "default scan excludes trees");
      eq(await scan(store.prefixScan(new Uint8Array([0xff]))), [], "0xff prefix stays in tree");
      eq(await scan(store.range()), ['"k"="default"']);
      eq(await scan(users.prefixScan("")), ['"u1"="x"', '"u2"="y"', '0xff="ff"']);
      eq(await scan(users.rangeRev()), ['0xff="ff"', '"u2"="y"', '"u1"="x"']);
      eq(await collectKeys(orders.keys()), ['"k"']);
      await users.putWithTtl("t", "ttl", 60_000);
      yes((await users.ttl("t"))! > 0, "TTL in a tree");
      eq(await store.ttl("t"), undefined);
      {
        const t = await users.transaction();
        await t.put("k", "txn");
        eq(await scan(t.prefixScan("k")), ['"k"="txn"']);
        await t.commit();
      }
      eqBytes(await users.get("k"), "txn", "transaction on a tree writes that tree");
      eqBytes(await store.get("k"), "default", "… and only that tree");
      {
        await using snap = await orders.snapshot();
        await orders.put("k", "later");
        eqBytes(await snap.get("k"), "orders", "snapshot of a tree");
        eq(await scan(snap.range()), ['"k"="orders"']);
      }
      await store.compareAndSwap("k", "default", "d2");
      await assertRejectsKind(
        () => users.compareAndSwap("k", "default", "x"),
        "CasMismatch",
        "CAS in a tree sees the tree's value",
      );
      await assertRejectsKind(() => store.tree(""), "InvalidInput", "empty tree name");
      await assertRejectsKind(
        () => store.tree("n".repeat(256)),
        "InvalidInput",
        "256-byte tree name",
      );
      // The longest key in the tree with the longest name.
      const long = store.tree("n".repeat(255));
      const k2048 = new Uint8Array(2048).fill(0xff);
      await long.put(k2048, "max");
      await long.put("a", "short");
      eqBytes(await long.get(k2048), "max", "a 2048-byte key in a 255-byte-named tree");
      eq((await scan(long.prefixScan(new Uint8Array([0xff])))).length, 1);
      eq((await scan(long.rangeRev())).length, 2);
      eq(await store.count(), 1, "the long tree stays apart from the default tree");
      // A watch on a tree sees that tree only, with the tree's own keys.
      const w = users.watch("");
      await store.put("u9", "default");
      await orders.put("u9", "orders");
      await users.put("u9", "users");
      eq(change(await next(w)), '"u9"="users"', "a tree's watch sees only its tree");
      await w.return!();
      eq(await store.count(), 2, "the default tree: k and u9");
    },
  },
  {
    id: "merge",
    title: "merge applies StoreConfig.mergeOperator atomically; undefined deletes",
    async run({ open }) {
      const store = await open({ mergeOperator: counter });
      await store.merge("c", "5");
      eqBytes(await store.get("c"), "5", "merge into an absent key sees old = undefined");
      await store.merge("c", "3");
      await Promise.all([store.merge("c", "1"), store.merge("c", "1"), store.merge("c", "1")]);
      eqBytes(await store.get("c"), "11", "concurrent merges are all applied");
      await store.merge("c", "reset");
      eq(await store.contains("c"), false, "an undefined result deletes");
      const keys: string[] = [];
      const spy = await open({
        mergeOperator: (key, _old, operand) => {
          keys.push(new TextDecoder().decode(key));
          return operand;
        },
      });
      await spy.merge("the-key", "v");
      eq(keys, ["the-key"], "the operator gets the user key");
      eqBytes(await spy.get("the-key"), "v");
      const plain = await open();
      await plain.put("c", "1");
      await assertRejectsKind(
        () => plain.merge("c", "1"),
        "Unsupported",
        "merge without an operator",
      );
      eqBytes(await plain.get("c"), "1");
      await assertRejectsKind(
        () => store.merge(new Uint8Array(2049), "1"),
        "InvalidInput",
        "merge with a 2049-byte key",
      );
    },
  },
  {
    id: "metrics",
    title: "metrics() really counts reads, writes, deletes and bytes",
    async run({ open }) {
      const store = await open();
      const m0 = store.metrics();
      for (const field of Object.keys(m0) as (keyof typeof m0)[]) {
        yes(typeof m0[field] === "number" && m0[field] >= 0, `metrics.${field} is a number`);
      }
      for (
        const f of [
          "reads",
          "writes",
          "deletes",
          "bytesRead",
          "bytesWritten",
          "cacheHits",
          "cacheMisses",
        ] as const
      ) yes(f in m0, `metrics has ${f}`);
      await store.put("a", "0123456789");
      await store.put("b", "0123456789");
      await store.batchWrite([["c", "x"], ["d", "y"]]);
      const m1 = store.metrics();
      yes(m1.writes >= m0.writes + 4, `writes counted (${m0.writes} → ${m1.writes})`);
      yes(m1.bytesWritten >= m0.bytesWritten + 22, `bytesWritten counted (${m1.bytesWritten})`);
      await store.get("a");
      await store.get("b");
      await scan(store.range());
      const m2 = store.metrics();
      yes(m2.reads >= m1.reads + 2, `reads counted (${m1.reads} → ${m2.reads})`);
      yes(m2.bytesRead >= m1.bytesRead + 20, `bytesRead counted (${m2.bytesRead})`);
      await store.delete("a");
      await store.batchDelete(["b", "c"]);
      const m3 = store.metrics();
      yes(m3.deletes >= m2.deletes + 3, `deletes counted (${m2.deletes} → ${m3.deletes})`);
      m3.writes = -1; // a copy: changing it does not change the store's counters
      yes(store.metrics().writes >= 4, "metrics() returns a copy");
    },
  },
];
