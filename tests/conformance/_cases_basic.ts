// Bytes in and out, ordering, limits, wrong types, point reads and writes.
import { b, type Case, collect, collectKeys, eq, eqBytes, scan, show, u, yes } from "./_helpers.ts";
import { assertRejectsKind } from "../_support/assert.ts";

const MiB = 1024 * 1024;

export const basicCases: Case[] = [
  {
    id: "bytes",
    title: "strings go in as UTF-8, everything comes out as Uint8Array",
    async run({ open }) {
      const store = await open();
      await store.put("héllo", "wörld ✓");
      eqBytes(await store.get(u("héllo")), u("wörld ✓"), "string key read back as bytes");
      await store.put(b(0xe2, 0x9c, 0x93), b(1, 2, 3));
      eqBytes(await store.get("✓"), b(1, 2, 3), "byte key read back through its UTF-8 string");
      const entries = await collect(store.iter());
      eq(entries.length, 2);
      const keys = await collectKeys(store.keys());
      eq(keys, [show(u("héllo")), show(u("✓"))], "keys() in byte order");
      const many = await store.getMany(["✓", u("héllo")]);
      yes(many.every((v) => v instanceof Uint8Array), "getMany values are Uint8Array");
      // A caller mutating what it passed in or got back must not change the store.
      const key = u("k");
      const value = u("abc");
      await store.put(key, value);
      key[0] = 0x7a;
      value[0] = 0x7a;
      eqBytes(await store.get("k"), "abc", "input arrays are copied on put");
      const got = await store.get("k");
      got![0] = 0x7a;
      eqBytes(await store.get("k"), "abc", "returned arrays are the caller's own");
      // …from every read path: scans, getMany, snapshots and transactions.
      const scrawl = (v: Uint8Array | undefined) => v?.fill(0x7a);
      for await (const [k, v] of store.range()) {
        scrawl(k);
        scrawl(v);
      }
      for await (const k of store.keys()) scrawl(k);
      (await store.getMany(["k"])).forEach(scrawl);
      {
        await using snap = await store.snapshot();
        scrawl(await snap.get("k"));
        for await (const [k, v] of snap.prefixScan("")) scrawl(k) && scrawl(v);
        await using txn = await store.transaction();
        scrawl(await txn.get("k"));
        for await (const [k, v] of txn.range()) scrawl(k) && scrawl(v);
        eqBytes(await snap.get("k"), "abc", "snapshot reads are the caller's own");
        eqBytes(await txn.get("k"), "abc", "transaction reads are the caller's own");
      }
      eqBytes(await store.get("k"), "abc", "scanned arrays are the caller's own");
      eq(await collectKeys(store.keys()), [show(u("héllo")), '"k"', show(u("✓"))]);
      // Values hold any bytes, 0x00 and 0xff included.
      const every = Uint8Array.from({ length: 512 }, (_, i) => i & 0xff);
      await store.put("every-byte", every);
      eqBytes(await store.get("every-byte"), every, "a value with every byte value");
      await store.put(every.subarray(0, 256), every.subarray(256));
      eqBytes(
        await store.get(every.subarray(0, 256)),
        every.subarray(256),
        "a key with every byte",
      );
      eqBytes(await store.get(every.subarray(256, 384).slice()), undefined);
    },
  },
  {
    id: "ordering",
    title: "keys order by unsigned bytes, shorter prefix first",
    async run({ open }) {
      const store = await open();
      const keys = [
        b(0xff),
        b(0x00),
        b(),
        b(0x00, 0x00),
        b(0x01),
        b(0x7f),
        b(0x80),
        b(0xff, 0xff),
        b(0xff, 0x00),
        u("a"),
        u("ab"),
        u("abc"),
        u("b"),
        u("B"),
        u("é"),
      ];
      for (const [i, k] of [...keys].reverse().entries()) await store.put(k, `v${i}`);
      // Every byte value in a middle position, written in one batch in reverse.
      const extra: Uint8Array[] = [];
      for (let c = 0; c < 256; c++) extra.push(b(0x01, c), b(0xfe, c, 0xff));
      await store.batchWrite([...extra].reverse().map((k, i): [Uint8Array, string] => [k, `${i}`]));
      keys.push(...extra);
      const sorted = [...keys].sort((x, y) => {
        for (let i = 0; i < Math.min(x.length, y.length); i++) {
          if (x[i] !== y[i]) return x[i]! - y[i]!;
        }
        return x.length - y.length;
      });
      eq(await collectKeys(store.keys()), sorted.map(show), "keys() in memcmp order");
      eq(
        (await collect(store.iter())).map(([k]) => show(k)),
        sorted.map(show),
        "iter() in memcmp order",
      );
      eq(
        (await collect(store.range(undefined, undefined, { reverse: true }))).map(([k]) => show(k)),
        [...sorted].reverse().map(show),
        "reverse range in descending memcmp order",
      );
    },
  },
  {
    id: "empty",
    title: "the empty key is a key and an empty value is present",
    async run({ open }) {
      const store = await open();
      eq(await store.contains(""), false);
      await store.put("", "root");
      eqBytes(await store.get(b()), "root", "empty key holds a value");
      await store.put("e", "");
      const e = await store.get("e");
      eqBytes(e, b(), "empty value reads back as an empty Uint8Array");
      eq(await store.contains("e"), true, "an empty value is present");
      eq(await store.count(), 2);
      eq(await scan(store.iter()), ['""="root"', '"e"=""']);
      await store.delete("");
      eq(await store.get(""), undefined, "empty key deleted");
      eq(await store.count(), 1);
    },
  },
  {
    id: "limits",
    title: "key limit 2048 bytes, value limit 64 MiB, InvalidInput beyond",
    async run({ open }) {
      const store = await open();
      const k2048 = new Uint8Array(2048).fill(0x61);
      const k2049 = new Uint8Array(2049).fill(0x61);
      await store.put(k2048, "max");
      eqBytes(await store.get(k2048), "max", "2048-byte key round-trips");
      await assertRejectsKind(
        () => store.put(k2049, "x"),
        "InvalidInput",
        "put with a 2049-byte key",
      );
      await assertRejectsKind(() => store.get(k2049), "InvalidInput", "get with a 2049-byte key");
      await assertRejectsKind(
        () => store.delete(k2049),
        "InvalidInput",
        "delete with a 2049-byte key",
      );
      await assertRejectsKind(
        () => store.contains(k2049),
        "InvalidInput",
        "contains with a 2049-byte key",
      );
      await assertRejectsKind(
        () => store.put("a".repeat(2049), "x"),
        "InvalidInput",
        "2049-byte string key",
      );
      // Multi-byte characters count in bytes, not characters.
      await assertRejectsKind(
        () => store.put("é".repeat(1025), "x"),
        "InvalidInput",
        "1025 two-byte chars",
      );
      await assertRejectsKind(
        () => store.put("big", new Uint8Array(64 * MiB + 1)),
        "InvalidInput",
        "value of 64 MiB + 1",
      );
      await assertRejectsKind(
        () => store.batchWrite([["big", new Uint8Array(64 * MiB + 1)]]),
        "InvalidInput",
        "batchWrite value of 64 MiB + 1",
      );
      eq(await store.contains("big"), false, "an oversize value writes nothing");
      eq(await store.count(), 1);
    },
  },
  {
    id: "large-value",
    title: "a 5 MiB value round-trips intact",
    async run({ open }) {
      const store = await open();
      const value = new Uint8Array(5 * MiB);
      for (let i = 0; i < value.length; i += 4096) value[i] = (i / 4096) & 0xff;
      value[value.length - 1] = 0xab;
      await store.put("big", value);
      await store.put("after", "x");
      const got = await store.get("big");
      yes(got instanceof Uint8Array, "large value present");
      eq(got.length, value.length, "large value length");
      let same = true;
      for (let i = 0; i < value.length; i += 4096) if (got[i] !== value[i]) same = false;
      yes(same && got[got.length - 1] === 0xab, "large value bytes");
      const entries = await collect(store.iter());
      eq(entries.map(([k, v]) => [show(k), v.length]), [['"after"', 1], ['"big"', 5 * MiB]]);
      await store.delete("big");
      eq(await store.get("big"), undefined);
      // Sizes around 64 KiB (where Deno KV splits values) and shrinking/growing overwrites.
      for (const size of [65_535, 65_536, 65_537, 200_000, 0, 131_072]) {
        const v = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
        await store.put("edge", v);
        const back = await store.get("edge");
        yes(back !== undefined && back.length === size, `a ${size}-byte value round-trips`);
        yes(back.every((c, i) => c === v[i]), `a ${size}-byte value keeps its bytes`);
      }
      eq(await store.count(), 2, "overwriting a large value leaves no extra keys");
      eq((await collect(store.iter())).map(([, v]) => v.length), [1, 131_072]);
      {
        const t = await store.transaction();
        await t.put("txn-big", new Uint8Array(100_000).fill(9));
        await t.commit();
      }
      eq((await store.get("txn-big"))?.length, 100_000, "a large value through a transaction");
    },
  },
  {
    id: "types",
    title: "wrong key/value types are InvalidInput",
    async run({ open }) {
      const store = await open();
      // deno-lint-ignore no-explicit-any
      const s = store as any;
      const bad: [string, unknown][] = [
        ["number", 42],
        ["null", null],
        ["undefined", undefined],
        ["object", { a: 1 }],
        ["array", [1, 2]],
        ["boolean", true],
        ["ArrayBuffer", new ArrayBuffer(2)],
      ];
      for (const [name, v] of bad) {
        await assertRejectsKind(() => s.put(v, "x"), "InvalidInput", `put(${name} key)`);
        await assertRejectsKind(() => s.put("k", v), "InvalidInput", `put(key, ${name} value)`);
        await assertRejectsKind(() => s.get(v), "InvalidInput", `get(${name})`);
        await assertRejectsKind(() => s.delete(v), "InvalidInput", `delete(${name})`);
        await assertRejectsKind(() => s.contains(v), "InvalidInput", `contains(${name})`);
        await assertRejectsKind(
          () => s.batchWrite([[v, "x"]]),
          "InvalidInput",
          `batchWrite([[${name}, v]])`,
        );
        await assertRejectsKind(() => s.batchDelete([v]), "InvalidInput", `batchDelete([${name}])`);
        await assertRejectsKind(() => s.getMany([v]), "InvalidInput", `getMany([${name}])`);
        await assertRejectsKind(() => s.prefixScan(v), "InvalidInput", `prefixScan(${name})`);
        await assertRejectsKind(
          () => s.putWithTtl(v, "x", 1000),
          "InvalidInput",
          `putWithTtl(${name} key)`,
        );
        if (v !== undefined) {
          await assertRejectsKind(() => s.range(v), "InvalidInput", `range(${name})`);
        }
      }
      await assertRejectsKind(() => s.getMany("abc"), "InvalidInput", "getMany(not an array)");
      await assertRejectsKind(
        () => s.batchWrite("abc"),
        "InvalidInput",
        "batchWrite(not an array)",
      );
      await assertRejectsKind(
        () => s.batchWrite([["k"]]),
        "InvalidInput",
        "batchWrite([one-element pair])",
      );
      await assertRejectsKind(() => s.batchDelete(7), "InvalidInput", "batchDelete(not an array)");
      eq(await store.count(), 0, "no bad call wrote anything");
    },
  },
  {
    id: "concurrent-writes",
    title: "concurrent writes are all applied, each atomically",
    async run({ open }) {
      const store = await open();
      const jobs: Promise<void>[] = [];
      for (let i = 0; i < 200; i++) jobs.push(store.put(`p${String(i).padStart(3, "0")}`, `${i}`));
      for (let i = 0; i < 20; i++) {
        jobs.push(store.batchWrite([[`b${i}/1`, "x"], [`b${i}/2`, "y"], [`b${i}/3`, "z"]]));
      }
      for (let i = 0; i < 10; i++) jobs.push(store.putWithTtl(`t${i}`, "t", 60_000));
      await Promise.all(jobs);
      eq(await store.count(), 200 + 60 + 10, "every concurrent write landed");
      eqBytes(await store.get("p123"), "123");
      await Promise.all([
        store.batchDelete(Array.from({ length: 100 }, (_, i) => `p${String(i).padStart(3, "0")}`)),
        ...Array.from({ length: 20 }, (_, i) => store.delete(`b${i}/2`)),
        ...Array.from({ length: 10 }, (_, i) => store.put(`p${100 + i}`, "again")),
      ]);
      eq(await store.count(), 100 + 40 + 10, "concurrent deletes all landed");
      eqBytes(await store.get("p105"), "again");
      eq(await store.get("p050"), undefined);
    },
  },
  {
    id: "crud",
    title: "get/put/delete/contains/getMany",
    async run({ open }) {
      const store = await open();
      eq(await store.get("a"), undefined, "absent key reads undefined");
      eq(await store.contains("a"), false);
      await store.put("a", "1");
      await store.put("b", "2");
      eqBytes(await store.get("a"), "1");
      eq(await store.contains("a"), true);
      await store.put("a", "one");
      eqBytes(await store.get("a"), "one", "put overwrites");
      eq(await store.count(), 2);
      await store.delete("a");
      eq(await store.get("a"), undefined, "deleted");
      eq(await store.contains("a"), false);
      await store.delete("a"); // absent: no-op
      await store.delete("never");
      eq(await store.count(), 1);
      const many = await store.getMany(["b", "a", "zz", "b"]);
      eq(many.map(show), ['"2"', "<absent>", "<absent>", '"2"'], "getMany in input order");
      eq(await store.getMany([]), [], "getMany of nothing");
      const size = await store.sizeOnDisk();
      yes(typeof size === "number" && Number.isFinite(size) && size >= 0, "sizeOnDisk >= 0");
    },
  },
];
