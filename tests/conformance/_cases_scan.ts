// Range, reverse, limit, prefix scans, iter/keys/count, batches and CAS.
import { b, type Case, collectKeys, eq, eqBytes, scan, show, u, yes } from "./_helpers.ts";
import { assertRejectsKind } from "../_support/assert.ts";
import type { KvStore } from "../../core/kv.ts";

async function fill(store: KvStore, keys: string[]): Promise<void> {
  await store.batchWrite(keys.map((k) => [k, k.toUpperCase()]));
}

const kv = (...keys: string[]) => keys.map((k) => `"${k}"="${k.toUpperCase()}"`);

export const scanCases: Case[] = [
  {
    id: "range",
    title: "range is [lo, hi) with open bounds, reverse, limit and rangeRev",
    async run({ open }) {
      const store = await open();
      await fill(store, ["a", "b", "ba", "bb", "c", "d"]);
      eq(await scan(store.range("b", "c")), kv("b", "ba", "bb"), "lo inclusive, hi exclusive");
      eq(await scan(store.range("b", "ba")), kv("b"));
      eq(await scan(store.range("b0", "c0")), kv("ba", "bb", "c"), "bounds need not exist");
      eq(await scan(store.range(undefined, "b")), kv("a"), "open lo");
      eq(await scan(store.range("c")), kv("c", "d"), "open hi");
      eq(await scan(store.range()), kv("a", "b", "ba", "bb", "c", "d"), "both open");
      eq(await scan(store.range("c", "c")), [], "lo == hi is empty");
      eq(await scan(store.range("d", "a")), [], "lo > hi is empty");
      eq(await scan(store.range("d", "a", { reverse: true })), [], "lo > hi reversed is empty");
      eq(await scan(store.range("", b(0xff))), kv("a", "b", "ba", "bb", "c", "d"));
      eq(
        await scan(store.range("b", "d", { reverse: true })),
        kv("c", "bb", "ba", "b"),
        "reverse keeps [lo, hi)",
      );
      eq(await scan(store.rangeRev("b", "d")), kv("c", "bb", "ba", "b"), "rangeRev");
      eq(await scan(store.rangeRev()), kv("d", "c", "bb", "ba", "b", "a"), "rangeRev open");
      eq(await scan(store.rangeRev("c", "b")), [], "rangeRev lo > hi");
      eq(await scan(store.range("a", "z", { limit: 2 })), kv("a", "b"), "limit");
      eq(await scan(store.range("a", "z", { limit: 2, reverse: true })), kv("d", "c"));
      eq(await scan(store.range(undefined, undefined, { limit: 0 })), [], "limit 0 → nothing");
      eq(await scan(store.range(undefined, undefined, { limit: 100 })).then((x) => x.length), 6);
      // deno-lint-ignore no-explicit-any
      const anyStore = store as any;
      for (const bad of [-1, Number.NaN, "3", null]) {
        await assertRejectsKind(
          () => anyStore.range(undefined, undefined, { limit: bad }),
          "InvalidInput",
          `range limit ${String(bad)}`,
        );
      }
      // Early exit from a scan leaves the store usable.
      for await (const _ of store.range()) break;
      await store.put("e", "E");
      eq(await scan(store.range("d")), kv("d", "e"));
    },
  },
  {
    id: "prefixScan",
    title: 'prefixScan returns keys starting with the prefix, incl. "" and 0xff prefixes',
    async run({ open }) {
      const store = await open();
      await fill(store, ["app", "apple", "apply", "apt", "b", "ap"]);
      await store.put(b(0xff), "f1");
      await store.put(b(0xff, 0xff), "f2");
      await store.put(b(0xff, 0xff, 0x01), "f3");
      await store.put(b(0xfe, 0xff), "fe");
      eq(await scan(store.prefixScan("app")), kv("app", "apple", "apply"));
      eq(await scan(store.prefixScan("appl")), kv("apple", "apply"));
      eq(await scan(store.prefixScan("ap", { limit: 2 })), kv("ap", "app"), "limit");
      eq(
        await scan(store.prefixScan("ap", { reverse: true })),
        kv("apt", "apply", "apple", "app", "ap"),
        "reverse",
      );
      eq(await scan(store.prefixScan("zz")), [], "no match");
      eq(await scan(store.prefixScan("apples")), [], "longer than every key");
      eq((await scan(store.prefixScan(""))).length, 10, "empty prefix is everything");
      eq(await scan(store.prefixScan(b(0xff))), ['0xff="f1"', '0xffff="f2"', '0xffff01="f3"']);
      eq(await scan(store.prefixScan(b(0xff, 0xff))), ['0xffff="f2"', '0xffff01="f3"']);
      eq(await scan(store.prefixScan(b(0xfe))), ['0xfeff="fe"'], "prefix ending in 0xfe");
      eq(await scan(store.prefixScan(u("b"))), kv("b"));
    },
  },
  {
    id: "iter-keys-count",
    title: "iter/keys/count see every live key; keys() loads no values",
    async run({ open }) {
      const store = await open();
      eq(await scan(store.iter()), [], "empty store");
      eq(await collectKeys(store.keys()), []);
      eq(await store.count(), 0);
      const big = new Uint8Array(200_000).fill(7);
      for (const k of ["k3", "k1", "k2"]) await store.put(k, big);
      await store.put("k0", "small");
      eq(await collectKeys(store.keys()), ['"k0"', '"k1"', '"k2"', '"k3"']);
      const entries = (await scan(store.iter())).length;
      eq(entries, 4);
      eq(await store.count(), 4);
      await store.delete("k2");
      eq(await store.count(), 3, "count after delete");
      eq(await collectKeys(store.keys()), ['"k0"', '"k1"', '"k3"']);
      const before = store.metrics().bytesRead;
      await collectKeys(store.keys());
      const after = store.metrics().bytesRead;
      yes(after - before < big.length, `keys() read ${after - before} value bytes`);
    },
  },
  {
    id: "keys-count-prefix",
    title: "keys(prefix)/count(prefix) select the keys under the prefix, never all keys",
    async run({ open }) {
      const store = await open();
      await fill(store, ["p", "p/a", "p/b", "p0", "q/a", "o"]);
      await store.put(b(0x70, 0x2f, 0xff), "high");
      await store.putWithTtl("p/gone", "x", 1);
      await new Promise((r) => setTimeout(r, 5));
      eq(await collectKeys(store.keys("p/")), ['"p/a"', '"p/b"', "0x702fff"], "keys under p/");
      eq(await store.count("p/"), 3, "count under p/ (the expired key is not counted)");
      eq(await collectKeys(store.keys(u("p"))), ['"p"', '"p/a"', '"p/b"', "0x702fff", '"p0"']);
      eq(await store.count("zz"), 0, "nothing under an absent prefix");
      eq(await store.count(""), 7, "the empty prefix is every key");
      eq(await store.count(), 7, "no prefix is every key");
      const tree = store.tree("t");
      await tree.put("p/x", "1");
      eq(await collectKeys(tree.keys("p/")), ['"p/x"'], "a tree's keys under p/");
      eq(await store.count("p/"), 3, "the tree's key is not in the default tree");
      await assertRejectsKind(
        () => store.keys(42 as unknown as string),
        "InvalidInput",
        "keys(42)",
      );
      await assertRejectsKind(
        () => store.count({} as unknown as string),
        "InvalidInput",
        "count({})",
      );
    },
  },
  {
    id: "batch",
    title: "batchWrite/batchDelete are atomic: all or nothing",
    async run({ open }) {
      const store = await open();
      await store.batchWrite([["a", "1"], ["b", "2"], ["c", "3"]]);
      eq(await scan(store.iter()), ['"a"="1"', '"b"="2"', '"c"="3"']);
      await store.batchWrite([["a", "x"], ["a", "y"]]);
      eqBytes(await store.get("a"), "y", "a later pair of the same batch wins");
      await store.batchWrite([]);
      await assertRejectsKind(
        () => store.batchWrite([["d", "4"], [new Uint8Array(2049), "x"], ["a", "z"]]),
        "InvalidInput",
        "batchWrite with one oversize key",
      );
      await assertRejectsKind(
        // deno-lint-ignore no-explicit-any
        () => store.batchWrite([["d", "4"], ["e", 5 as any]]),
        "InvalidInput",
        "batchWrite with one bad value",
      );
      eq(
        await scan(store.iter()),
        ['"a"="y"', '"b"="2"', '"c"="3"'],
        "failed batches wrote nothing",
      );
      await assertRejectsKind(
        () => store.batchDelete(["a", new Uint8Array(3000)]),
        "InvalidInput",
        "batchDelete with one bad key",
      );
      eq(await store.count(), 3, "failed batchDelete deleted nothing");
      await store.batchDelete(["a", "c", "missing"]);
      eq(await scan(store.iter()), ['"b"="2"']);
      await store.batchDelete([]);
      eq(await store.count(), 1);
      const many: [string, string][] = [];
      for (let i = 0; i < 500; i++) many.push([`m${String(i).padStart(3, "0")}`, `v${i}`]);
      await store.batchWrite(many);
      eq(await store.count(), 501);
      await store.batchDelete(many.map(([k]) => k));
      eq(await store.count(), 1);
    },
  },
  {
    id: "scan-consistency",
    title: "a scan sees one point in time: a batch committed mid-scan is all or nothing to it",
    async run({ open }) {
      const store = await open();
      const many: [string, string][] = [];
      for (let i = 0; i < 500; i++) many.push([`m${String(i).padStart(3, "0")}`, "old"]);
      await store.batchWrite(many);
      // The scan has started (one entry read) when the batch commits.
      for (const reverse of [false, true]) {
        const it = store.prefixScan("m", { reverse });
        const first = await it.next();
        await store.batchWrite(many.map(([k]) => [k, "new"]));
        await store.batchDelete(many.slice(0, 250).map(([k]) => k));
        await store.put("m999", "inserted");
        let n = first.done ? 0 : 1;
        let fresh = 0;
        for (let r = await it.next(); !r.done; r = await it.next()) {
          n++;
          if (show(r.value[1]) !== '"old"') fresh++;
        }
        eq([n, fresh], [500, 0], `reverse=${reverse}: [entries, entries from later commits]`);
        await store.batchWrite(many);
        await store.delete("m999");
      }
      // keys() and count() too.
      const keys = store.keys();
      await keys.next();
      await store.batchDelete(many.map(([k]) => k));
      let n = 1;
      while (!(await keys.next()).done) n++;
      eq(n, 500, "keys() keeps the point in time it started at");
      // Readers running alongside batches and transactions see all of each or none.
      const seen = new Set<number>();
      let done = false;
      const writer = (async () => {
        await store.batchWrite(many);
        await store.batchDelete(many.map(([k]) => k));
        const t = await store.transaction();
        for (const [k, v] of many) await t.put(k, v);
        await t.commit();
        done = true;
      })();
      for (let i = 0; !done; i++) {
        seen.add((await scan(store.prefixScan("m"))).length);
        seen.add(await store.count());
        // Alternate microtask and macrotask turns so both kinds of writer interleave.
        await (i % 2 ? null : new Promise((r) => setTimeout(r, 0)));
      }
      await writer;
      yes([...seen].every((x) => x === 0 || x === 500), `readers saw ${[...seen].join(", ")}`);
    },
  },
  {
    id: "cas",
    title: "compareAndSwap: null = absent, null next deletes, mismatch → CasMismatch",
    async run({ open }) {
      const store = await open();
      await store.compareAndSwap("k", null, "v1");
      eqBytes(await store.get("k"), "v1", "CAS from absent creates");
      await assertRejectsKind(
        () => store.compareAndSwap("k", null, "v9"),
        "CasMismatch",
        "expect absent but present",
      );
      await assertRejectsKind(
        () => store.compareAndSwap("k", "nope", "v9"),
        "CasMismatch",
        "wrong expected value",
      );
      await assertRejectsKind(
        () => store.compareAndSwap("absent", "v1", "v9"),
        "CasMismatch",
        "expected a value but absent",
      );
      await assertRejectsKind(
        () => store.compareAndSwap("k", "v", "v9"),
        "CasMismatch",
        "expected differs only by a prefix",
      );
      eqBytes(await store.get("k"), "v1", "mismatches wrote nothing");
      eq(await store.contains("absent"), false);
      await store.compareAndSwap("k", u("v1"), b(0x00, 0xff));
      eqBytes(await store.get("k"), b(0x00, 0xff), "CAS swaps");
      await store.compareAndSwap("k", b(0x00, 0xff), null);
      eq(await store.contains("k"), false, "next null deletes");
      await store.compareAndSwap("k", null, null); // absent stays absent
      eq(await store.contains("k"), false);
      await store.put("e", "");
      await assertRejectsKind(
        () => store.compareAndSwap("e", null, "x"),
        "CasMismatch",
        "empty value is not absent",
      );
      await store.compareAndSwap("e", "", "full");
      eqBytes(await store.get("e"), "full", "CAS with empty expected value");
      await assertRejectsKind(
        () => store.compareAndSwap(new Uint8Array(2049), null, "x"),
        "InvalidInput",
        "CAS with a 2049-byte key",
      );
      // deno-lint-ignore no-explicit-any
      const anyStore = store as any;
      await assertRejectsKind(
        () => anyStore.compareAndSwap("e", "full", 5),
        "InvalidInput",
        "CAS with a number next",
      );
      eqBytes(await store.get("e"), "full");
      // Concurrent CAS on one key: exactly one wins.
      await store.put("ctr", "0");
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) => store.compareAndSwap("ctr", "0", `w${i}`)),
      );
      eq(results.filter((r) => r.status === "fulfilled").length, 1, "one CAS wins");
      const winner = show(await store.get("ctr"));
      yes(/^"w\d"$/.test(winner), `winner wrote: ${winner}`);
    },
  },
];
