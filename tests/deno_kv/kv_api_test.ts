// The parts of the Deno KV API the differential test cannot compare directly: key order over
// wide random keys, expiry as time passes, close, type compatibility with Deno.Kv, oxistore's
// own limits and the documented refusals.
import fc from "fast-check";
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { StoreError } from "@cooljapan/oxistore";
import { KvU64, openKv } from "@cooljapan/oxistore/deno-kv";
import { ORACLE, OURS } from "./_targets.ts";

const wideKey = fc.array(
  fc.oneof(
    fc.string({ unit: "binary", maxLength: 6 }),
    fc.double(),
    fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }),
    fc.boolean(),
    fc.uint8Array({ maxLength: 4 }),
  ),
  { minLength: 1, maxLength: 3 },
);

Deno.test("deno-kv keys: list order over random keys is Deno KV's order", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(wideKey, { maxLength: 30, selector: (k) => Deno.inspect(k) }),
      async (keys) => {
        const native = await Deno.openKv(":memory:");
        await using kv = await openKv();
        try {
          for (const [i, k] of keys.entries()) {
            await native.set(k, i);
            await kv.set(k, i);
          }
          const want = (await Array.fromAsync(native.list({ prefix: [] }))).map((
            e,
          ) => [e.key, e.value]);
          const got = (await Array.fromAsync(kv.list({ prefix: [] }))).map((e) => [e.key, e.value]);
          deepStrictEqual(got, want);
        } finally {
          native.close();
        }
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("deno-kv expiry: every engine hides an expired entry from get, getMany, list and checks", async () => {
  const opened = await Promise.all(OURS.map((t) => t.open()));
  try {
    for (const { kv } of opened) {
      await kv.set(["s", 1], "short", { expireIn: 1000 });
      await kv.atomic().set(["s", 2], "short too", { expireIn: 1000 }).set(["s", 3], "stays")
        .commit();
      strictEqual((await kv.get(["s", 1])).value, "short");
    }
    await new Promise((r) => setTimeout(r, 1100));
    for (const { kv } of opened) {
      strictEqual((await kv.get(["s", 1])).versionstamp, null);
      deepStrictEqual((await kv.getMany([["s", 1], ["s", 2]])).map((e) => e.value), [null, null]);
      deepStrictEqual((await Array.fromAsync(kv.list({ prefix: ["s"] }))).map((e) => e.key), [[
        "s",
        3,
      ]]);
      ok((await kv.atomic().check({ key: ["s", 2], versionstamp: null }).commit()).ok);
    }
  } finally {
    for (const { close } of opened) await close();
  }
});

Deno.test("deno-kv close: later calls throw StoreError Closed naming the store; close is idempotent", async () => {
  const kv = await openKv();
  await kv.set(["k"], 1);
  await kv.close();
  await kv.close();
  await rejects(
    () => kv.get(["k"]),
    (e: unknown) =>
      e instanceof StoreError && e.kind === "Closed" && e.message.includes(":memory:"),
  );
  let threw: unknown;
  try {
    kv.list({ prefix: [] });
  } catch (e) {
    threw = e;
  }
  ok(threw instanceof StoreError && threw.kind === "Closed");
});

Deno.test("deno-kv types: a Kv is accepted where Deno.Kv is expected", async () => {
  const takesDenoKv = async (kv: Deno.Kv) => (await kv.set(["t"], new KvU64(1n))).ok;
  await using kv = await openKv();
  ok(await takesDenoKv(kv));
  // A Deno.KvU64 passed to ours is a KvU64 too.
  await kv.set(["n"], new Deno.KvU64(5n));
  await kv.atomic().sum(["n"], 1n).commit();
  strictEqual((await kv.get<KvU64>(["n"])).value?.value, 6n);
});

Deno.test("deno-kv limits: values up to 64 MiB (Deno KV: 64 KiB); keys, getMany and atomic limits as Deno's", async () => {
  await using kv = await openKv();
  const big = new Uint8Array(1024 * 1024).fill(7);
  ok((await kv.set(["big"], big)).ok);
  deepStrictEqual((await kv.get(["big"])).value, big);
  await rejects(() => kv.set(["x".repeat(2100)], 1), {
    name: "TypeError",
    message: "Key too large for write (max 2048 bytes)",
  });
  await rejects(() => kv.getMany(Array.from({ length: 11 }, (_, i) => [i])), {
    message: "Too many ranges (max 10)",
  });
  const op = kv.atomic();
  for (let i = 0; i < 1001; i++) op.set([i], 1);
  await rejects(() => op.commit(), { message: "Too many mutations (max 1000)" });
});

Deno.test("deno-kv watch: more than 10 keys are allowed; the stream ends when the Kv closes", async () => {
  const kv = await openKv();
  const keys = Array.from({ length: 12 }, (_, i) => ["w", i]);
  const reader = kv.watch(keys).getReader();
  const first = await reader.read();
  strictEqual(first.value?.length, 12);
  await kv.set(["w", 11], "x");
  strictEqual((await reader.read()).value?.[11]?.value, "x");
  await kv.close();
  strictEqual((await reader.read()).done, true);
});

Deno.test("deno-kv commitVersionstamp: a set key's last part becomes the commit's versionstamp, as in Deno KV", async () => {
  const native = await Deno.openKv(":memory:");
  await using kv = await openKv();
  try {
    for (const db of [native, kv as unknown as Deno.Kv]) {
      const one = await db.set(["log", db.commitVersionstamp()], "first");
      const two = await db.atomic().set(["log", db.commitVersionstamp()], "second")
        .set(["also", db.commitVersionstamp()], 2).commit();
      ok(two.ok);
      deepStrictEqual(
        (await Array.fromAsync(db.list<string>({ prefix: ["log"] }))).map((
          e,
        ) => [e.key[1], e.value]),
        [[one.versionstamp, "first"], [two.versionstamp, "second"]],
      );
      strictEqual((await db.get(["also", two.versionstamp])).value, 2);
      for (
        const misuse of [
          () => db.get(["log", db.commitVersionstamp()]),
          () => db.set(["log", db.commitVersionstamp(), 1], 1),
          () => db.atomic().delete(["log", db.commitVersionstamp()]).commit(),
          () => db.set(["log", Symbol("other")], 1),
        ]
      ) {
        await rejects(misuse, {
          name: "TypeError",
          message: "expected string, number, bigint, ArrayBufferView, boolean",
        });
      }
    }
  } finally {
    native.close();
  }
});

Deno.test("deno-kv refusals: a native Deno KV file is Unsupported, with the way to copy it", async () => {
  const path = `${await Deno.makeTempDir()}/native.sqlite`;
  const native = await Deno.openKv(path);
  await native.set(["users", 1], "ada");
  native.close();
  await rejects(
    () => openKv(path),
    (e: unknown) =>
      e instanceof StoreError && e.kind === "Unsupported" && e.message.includes("importDenoKv") &&
      e.message.includes(path),
  );
});

Deno.test("deno-kv openKv(store): entries live in the store's deno-kv tree; closing the Kv leaves the store open", async () => {
  const { openInMemory } = await import("@cooljapan/oxistore");
  await using store = await openInMemory("lsm");
  await store.put("raw", "untouched");
  const kv = await openKv(store);
  await kv.set(["a"], 1);
  await kv.close();
  strictEqual(await store.count(), 1);
  await using again = await openKv(store);
  strictEqual((await again.get(["a"])).value, 1);
});

Deno.test("deno-kv bad input: openKv fails with a StoreError naming the path and what is wrong", async () => {
  const isStoreError = (kind: string, text: string) => (e: unknown) =>
    e instanceof StoreError && e.kind === kind && e.message.includes(text);
  await rejects(
    () => openKv("/nonexistent/dir/x.oxi"),
    isStoreError("NotFound", "/nonexistent/dir/x.oxi"),
  );
  const notAStore = `${await Deno.makeTempDir()}/notes.txt`;
  await Deno.writeTextFile(notAStore, "just text, not a store");
  await rejects(() => openKv(notAStore), isStoreError("Corruption", notAStore));
  await rejects(() => openKv(42 as unknown as string), isStoreError("InvalidInput", "got number"));
  await rejects(() => openKv(undefined, { pollMs: -1 }), isStoreError("InvalidInput", "pollMs"));
});

Deno.test("deno-kv using: leaving a `using` block closes the Kv", async () => {
  let outside: Awaited<ReturnType<typeof openKv>>;
  {
    using kv = await openKv();
    await kv.set(["a"], 1);
    outside = kv;
  }
  await rejects(
    () => outside.get(["a"]),
    (e: unknown) => e instanceof StoreError && e.kind === "Closed",
  );
});

Deno.test("deno-kv keys: a stored key that is no encoded tuple (truncated number, bigint, string) is Corruption", async () => {
  for (const bad of [[0x21, 1, 2], [0x1d, 5, 1], [0x16, 1], [0x02, 0x61]]) {
    const { openInMemory } = await import("@cooljapan/oxistore");
    await using store = await openInMemory();
    await using kv = await openKv(store);
    await kv.set(["ok"], 1);
    await store.tree("deno-kv").put(
      Uint8Array.from(bad),
      Uint8Array.from([0, ...new Array(10).fill(0), 1]),
    );
    await rejects(
      Array.fromAsync(kv.list({ prefix: [] })),
      (e: unknown) =>
        e instanceof StoreError && e.kind === "Corruption" &&
        e.message.includes("Cannot decode key"),
    );
  }
});

Deno.test("deno-kv keys: any typed array is a bytes part (the typed layer refuses it); lone surrogates are kept as U+FFFD", async () => {
  const native = await Deno.openKv(":memory:");
  await using kv = await openKv();
  try {
    for (
      const key of [[new Int16Array([1, -1])], [new DataView(new ArrayBuffer(3))], ["a\ud800"]]
    ) {
      // Deno's types say Uint8Array; both take any ArrayBufferView.
      await native.set(key as never, 1);
      await kv.set(key as never, 1);
    }
    const keys = async (k: { list(s: { prefix: [] }): AsyncIterable<{ key: unknown }> }) =>
      (await Array.fromAsync(k.list({ prefix: [] }))).map((e) => e.key);
    deepStrictEqual(await keys(kv), await keys(native));
  } finally {
    native.close();
  }
  const { encodeKey } = await import("@cooljapan/oxistore/typed");
  for (const bad of [[new Int16Array(1)], ["a\ud800"]]) {
    try {
      encodeKey(bad as never);
      throw new Error("the typed layer should refuse it");
    } catch (e) {
      ok(e instanceof StoreError && e.kind === "InvalidInput", String(e));
    }
  }
});

Deno.test("deno-kv atomic: one operation committed twice writes twice, with two versionstamps, as Deno KV", async () => {
  for (const target of [ORACLE, ...OURS]) {
    const name = target.name;
    const { kv, close } = await target.open();
    try {
      const op = kv.atomic().set(["a"], { x: 1 }).set(["b"], new Uint8Array([1, 2]), {
        expireIn: 60_000,
      });
      const first = await op.commit();
      const seen = await kv.get(["a"]);
      const second = await op.commit();
      ok(first.ok && second.ok && first.versionstamp < second.versionstamp, name);
      deepStrictEqual(
        seen,
        { key: ["a"], value: { x: 1 }, versionstamp: first.versionstamp },
        name,
      );
      for (const key of [["a"], ["b"]]) {
        strictEqual((await kv.get(key)).versionstamp, second.versionstamp, name);
      }
      deepStrictEqual((await kv.get(["a"])).value, { x: 1 }, name);
      deepStrictEqual((await kv.get(["b"])).value, new Uint8Array([1, 2]), name);
    } finally {
      await close();
    }
  }
});

Deno.test("deno-kv atomic: a mutation that fails keeps the ones before it and drops the rest and the enqueues, as Deno KV", async () => {
  const program = async (kv: Deno.Kv, U: typeof Deno.KvU64) => {
    await kv.set(["s"], "text");
    const out: unknown[] = [];
    const ops = [
      kv.atomic().set(["c"], 1).sum(["s"], 1n).set(["e"], 2),
      kv.atomic().mutate({ type: "sum", key: ["a"], value: new U(4n) }).mutate(
        { type: "max", key: ["m"], value: 3 } as unknown as Deno.KvMutation,
      ).set(["f"], 1).enqueue("never"),
      // The next commit is on its own: a failed check is { ok: false }, not the last error.
      kv.atomic().check({ key: ["zz"], versionstamp: "ffffffffffffffff0000" }).set(["f"], 2),
    ];
    for (const op of ops) {
      out.push(await op.commit().catch((e: Error) => `${e.name}: ${e.message}`));
    }
    const entries = await kv.getMany([["a"], ["c"], ["e"], ["f"], ["m"], ["s"]]);
    out.push(
      entries.map((e) => [e.value instanceof U ? e.value.value : e.value, e.versionstamp !== null]),
    );
    return out;
  };
  const { kv: native, close } = await ORACLE.open();
  const want = await program(native, Deno.KvU64);
  await close();
  for (const target of OURS) {
    const { kv, close } = await target.open();
    try {
      deepStrictEqual(await program(kv, KvU64 as unknown as typeof Deno.KvU64), want, target.name);
    } finally {
      await close();
    }
  }
});
