import assert from "node:assert/strict";
import fc from "fast-check";
import { CachedKvStore } from "../../layers/cache/mod.ts";
import type { KvStore } from "../../core/kv.ts";
import { entries, memStore, sleep, text } from "./_support.ts";
import { assertRejectsKind } from "../_support/assert.ts";

for (const policy of ["lru", "arc"] as const) {
  Deno.test(`${policy}: random operations through the cache match the bare store`, async () => {
    const key = fc.constantFrom("a", "b", "c", "d", "e", "");
    const op = fc.oneof(
      fc.tuple(fc.constant("put"), key, fc.string({ maxLength: 4 })),
      fc.tuple(fc.constant("get"), key, fc.constant("")),
      fc.tuple(fc.constant("delete"), key, fc.constant("")),
      fc.tuple(fc.constant("batch"), key, fc.string({ maxLength: 4 })),
      fc.tuple(fc.constant("cas"), key, fc.string({ maxLength: 2 })),
      fc.tuple(fc.constant("merge"), key, fc.string({ maxLength: 2 })),
      fc.tuple(fc.constant("txn"), key, fc.string({ maxLength: 2 })),
      fc.tuple(fc.constant("getMany"), key, fc.constant("")),
      fc.tuple(fc.constant("expire"), key, fc.constant("")),
    );
    const concat = (_k: Uint8Array, old: Uint8Array | undefined, x: Uint8Array) =>
      new Uint8Array([...(old ?? []), ...x]);
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const bare = memStore(concat);
        const cached = new CachedKvStore(memStore(concat), { maxEntries: 3, policy });
        const both = async <T>(
          f: (s: KvStore) => Promise<T>,
        ): Promise<[T | string, T | string]> => {
          const run = (s: KvStore) => f(s).catch((e) => `error:${e.kind}`);
          return [await run(bare), await run(cached)];
        };
        for (const [kind, k, v] of ops) {
          let r: [unknown, unknown];
          if (kind === "put") r = await both((s) => s.put(k, v));
          else if (kind === "get") r = await both(async (s) => text(await s.get(k)));
          else if (kind === "delete") r = await both((s) => s.delete(k));
          else if (kind === "batch") {
            r = await both((s) => s.batchWrite([[k, v], ["z", v]]));
          } else if (kind === "cas") {
            r = await both(async (s) => {
              const cur = await s.get(k);
              return s.compareAndSwap(k, cur ?? null, v === "" ? null : v);
            });
          } else if (kind === "merge") r = await both((s) => s.merge(k, v));
          else if (kind === "txn") {
            r = await both(async (s) => {
              await using t = await s.transaction();
              await t.put(k, v);
              await t.delete("z");
              await t.commit();
            });
          } else if (kind === "getMany") {
            r = await both(async (s) => (await s.getMany([k, "z", k])).map(text));
          } else {
            r = await both((s) => s.expire(k, 60_000));
          }
          assert.deepEqual(r[1], r[0], `${kind} ${k}`);
          assert.deepEqual(await entries(cached.iter()), await entries(bare.iter()));
        }
        for (const k of ["a", "b", "c", "d", "e", "", "z"]) {
          assert.equal(text(await cached.get(k)), text(await bare.get(k)), `final ${k}`);
        }
      }),
      { numRuns: 60 },
    );
  });
}

Deno.test("repeated reads are served from the cache, absences included", async () => {
  const inner = memStore();
  await using store = new CachedKvStore(inner, { maxEntries: 100 });
  await inner.put("k", "v");
  for (let i = 0; i < 5; i++) assert.equal(text(await store.get("k")), "v");
  for (let i = 0; i < 5; i++) assert.equal(await store.get("nope"), undefined);
  const m = store.metrics();
  assert.equal(m.cacheMisses, 2);
  assert.equal(m.cacheHits, 8);
  assert.equal(inner.metrics().reads, 2, "one inner get per miss");
  assert.equal(m.reads, 10, "reads served from the cache still count as reads");
  assert.equal(m.bytesRead, 5, "one byte per read of k, from the store or the cache");
});

Deno.test("every write path through the layer invalidates the cached value", async () => {
  await using store = new CachedKvStore(
    memStore((_k, o, x) => new Uint8Array([...o ?? [], ...x])),
    {
      maxEntries: 100,
    },
  );
  const read = async () => text(await store.get("k"));
  await store.put("k", "1");
  assert.equal(await read(), "1");
  await store.batchWrite([["k", "2"]]);
  assert.equal(await read(), "2");
  await store.compareAndSwap("k", "2", "3");
  assert.equal(await read(), "3");
  await store.merge("k", "+");
  assert.equal(await read(), "3+");
  await store.batchDelete(["k"]);
  assert.equal(await read(), undefined);
  await store.putWithTtl("k", "4", 60_000);
  assert.equal(await read(), "4");
  await store.delete("k");
  assert.equal(await read(), undefined);
  const t = await store.transaction();
  await t.put("k", "5");
  assert.equal(await read(), undefined, "uncommitted writes are invisible");
  await t.commit();
  assert.equal(await read(), "5");
});

Deno.test("a cached key never outlives its TTL", async () => {
  const inner = memStore();
  await using store = new CachedKvStore(inner, { maxEntries: 100 });
  await inner.putWithTtl("t", "v", 40);
  assert.equal(text(await store.get("t")), "v");
  assert.equal(text(await store.get("t")), "v");
  await sleep(60);
  assert.equal(await store.get("t"), undefined);
  await store.put("p", "v");
  assert.equal(text(await store.get("p")), "v");
  assert.equal(await store.expire("p", 30), true);
  assert.equal(text(await store.get("p")), "v");
  await sleep(50);
  assert.equal(await store.get("p"), undefined);
  assert.equal(await store.purgeExpired(), 2);
  await store.putWithTtl("q", "v", 30);
  assert.equal(await store.persist("q"), true);
  await sleep(45);
  assert.equal(text(await store.get("q")), "v", "persist cleared the deadline in the cache too");
});

Deno.test("restore through any handle empties every cached tree", async () => {
  await using store = new CachedKvStore(memStore(), { maxEntries: 100 });
  const tree = store.tree("t");
  await store.put("a", "1");
  await tree.put("x", "1");
  const path = await Deno.makeTempFile();
  try {
    await store.backup(path);
    await store.put("a", "2");
    await tree.put("x", "2");
    assert.equal(text(await tree.get("x")), "2");
    await tree.restore(path);
    assert.equal(text(await store.get("a")), "1");
    assert.equal(text(await tree.get("x")), "1");
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("tree handles of one name share a cache and stay isolated from others", async () => {
  await using store = new CachedKvStore(memStore(), { maxEntries: 100 });
  const t1 = store.tree("t");
  const t2 = store.tree("t");
  await store.put("k", "root");
  assert.equal(await t1.get("k"), undefined);
  await t1.put("k", "a");
  assert.equal(text(await t2.get("k")), "a");
  await t2.put("k", "b");
  assert.equal(text(await t1.get("k")), "b", "a write through one handle reaches the other");
  assert.equal(text(await store.get("k")), "root");
  assert.deepEqual(await entries(store.tree("other").iter()), []);
});

Deno.test("a read racing a write never caches the older value", async () => {
  const inner = memStore();
  await using store = new CachedKvStore(inner, { maxEntries: 100 });
  for (let i = 0; i < 50; i++) {
    const k = `k${i}`;
    await inner.put(k, "old");
    const reads = [store.get(k), store.get(k)];
    await store.put(k, "new");
    await Promise.all(reads);
    assert.equal(text(await store.get(k)), "new", `round ${i}`);
  }
  for (let i = 0; i < 50; i++) {
    const k = `j${i}`;
    const w1 = store.put(k, "1");
    const w2 = store.put(k, "2");
    const r = store.get(k);
    await Promise.all([w1, w2, r]);
    assert.equal(text(await store.get(k)), text(await inner.get(k)));
  }
});

Deno.test("concurrent misses of one key load it once", async () => {
  const inner = memStore();
  await inner.put("k", "v");
  await using store = new CachedKvStore(inner, { maxEntries: 10 });
  const before = inner.metrics().reads;
  const got = await Promise.all(Array.from({ length: 25 }, () => store.get("k")));
  assert.ok(got.every((v) => text(v) === "v"));
  assert.equal(inner.metrics().reads - before, 1, "one inner get");
});

Deno.test("snapshots, scans and watch pass through to the inner store", async () => {
  await using store = new CachedKvStore(memStore(), { maxEntries: 10, policy: "arc" });
  await store.batchWrite([["a", "1"], ["b", "2"], ["c", "3"]]);
  await using snap = await store.snapshot();
  await store.put("a", "9");
  assert.equal(text(await snap.get("a")), "1");
  assert.deepEqual(await entries(store.rangeRev("a", "c")), ["b=2", "a=9"]);
  assert.deepEqual(await entries(store.prefixScan("b")), ["b=2"]);
  assert.equal(await store.count(), 3);
  const keys: string[] = [];
  for await (const k of store.keys()) keys.push(new TextDecoder().decode(k));
  assert.deepEqual(keys, ["a", "b", "c"]);
  const w = store.watch("w");
  const next = w.next();
  await store.put("w1", "x");
  const change = await next;
  assert.equal(text(change.value?.value), "x");
  await w.return?.();
  assert.equal(store.kind, "btree");
  assert.equal(await store.sizeOnDisk(), 0);
  await store.flush();
  await store.compact();
});

Deno.test("closed stores throw Closed, even for cached keys", async () => {
  const store = new CachedKvStore(memStore(), { maxEntries: 10 });
  await store.put("k", "v");
  await store.get("k");
  const tree = store.tree("t");
  await store.close();
  await assertRejectsKind(() => store.get("k"), "Closed");
  await assertRejectsKind(() => tree.get("k"), "Closed");
  await store.close();
});

Deno.test("bad options are InvalidInput", () => {
  assert.throws(() => new CachedKvStore(memStore(), { maxEntries: 0 }), { kind: "InvalidInput" });
  assert.throws(
    () => new CachedKvStore(memStore(), { maxEntries: 1, policy: "mru" as "lru" }),
    { kind: "InvalidInput" },
  );
  assert.throws(() => new CachedKvStore(null as unknown as KvStore, { maxEntries: 1 }), {
    kind: "InvalidInput",
  });
});

Deno.test("maxBytes bounds the cached bytes", async () => {
  const inner = memStore();
  await using store = new CachedKvStore(inner, { maxEntries: 1000, maxBytes: 4096 });
  for (let i = 0; i < 20; i++) await store.put(`k${i}`, new Uint8Array(1000));
  const before = inner.metrics().reads;
  for (let i = 0; i < 20; i++) assert.equal((await store.get(`k${i}`))?.length, 1000);
  assert.ok(inner.metrics().reads - before >= 16, "most values did not fit");
});
