// Sync reads through the layers, beyond the shared conformance case: the
// typed layer's getSync/listSync agree with get/list, a corrupt compressed
// value fails getSync as it fails get, and the cache neither serves a stale
// value after a write nor answers on a hit where the inner store cannot.
import { openInMemory, type StoreKind } from "@cooljapan/oxistore";
import { CachedKvStore } from "@cooljapan/oxistore/cache";
import { CompressedKv } from "@cooljapan/oxistore/compress";
import { TypedKvStore } from "@cooljapan/oxistore/typed";
import { assertEquals, assertRejectsKind } from "../_support/assert.ts";

const dec = new TextDecoder();

for (const kind of ["btree", "lsm"] as const satisfies StoreKind[]) {
  Deno.test(`typed layer over ${kind}: getSync and listSync agree with get and list`, async () => {
    await using store = new TypedKvStore<[string, number], string>(await openInMemory(kind));
    await store.put(["n"] as unknown as [string, number], "the prefix key itself");
    for (let i = 0; i < 6; i++) await store.put(["n", i], `v${i}`);
    await store.put(["o", 0], "other");
    await store.putWithTtl(["n", 9], "gone", 1);
    await new Promise((r) => setTimeout(r, 20));
    assertEquals(store.getSync(["n", 3]), "v3");
    assertEquals(store.getSync(["n", 9]), undefined, "expired");
    assertEquals(store.getSync(["n", 7]), undefined, "absent");
    const selections = [
      { prefix: ["n"] },
      { prefix: ["n"], reverse: true, limit: 2 },
      { prefix: ["n"], limit: 0 },
      { start: ["n", 2] as [string, number], end: ["o", 0] as [string, number] },
      { prefix: ["n"], start: ["n", 4] as [string, number] },
      {},
    ];
    for (const sel of selections) {
      const want = await Array.fromAsync(store.list(sel));
      assertEquals([...store.listSync(sel)], want, JSON.stringify(sel));
    }
    assertEquals([...store.listSync({ prefix: ["n"], limit: 2 })].map((e) => e.key), [
      ["n", 0],
      ["n", 1],
    ]);
  });
}

Deno.test("typed layer over Deno KV: getSync and listSync throw Unsupported", async () => {
  await using store = new TypedKvStore<[string], string>(await openInMemory("denokv"));
  await store.put(["k"], "v");
  await assertRejectsKind(() => store.getSync(["k"]), "Unsupported", /async get/);
  await assertRejectsKind(() => store.listSync({ prefix: ["k"] }), "Unsupported", /async range/);
});

Deno.test("compress layer: a corrupt stored value fails getSync and rangeSync with Corruption", async () => {
  const inner = await openInMemory("btree");
  await using store = new CompressedKv(inner, { codec: "lz4", minSize: 0 });
  await store.put("good", "x".repeat(500));
  assertEquals(dec.decode(store.getSync("good")), "x".repeat(500));
  await inner.put("bad", new Uint8Array([4, 0xff, 0xff, 0xff, 0xff, 0x7f])); // lz4 tag, huge size
  await assertRejectsKind(() => store.get("bad"), "Corruption");
  await assertRejectsKind(() => store.getSync("bad"), "Corruption");
  await assertRejectsKind(() => [...store.rangeSync()], "Corruption");
});

Deno.test("cache layer: getSync sees writes made through the cache, and counts hits", async () => {
  await using store = new CachedKvStore(await openInMemory("lsm"), { maxEntries: 16 });
  await store.put("k", "one");
  const before = store.metrics();
  assertEquals(dec.decode(store.getSync("k")), "one", "served from the cache");
  const after = store.metrics();
  assertEquals([after.reads - before.reads, after.cacheHits - before.cacheHits], [1, 1]);
  await store.put("k", "two");
  assertEquals(dec.decode(store.getSync("k")), "two", "a write replaces the cached value");
  await store.delete("k");
  assertEquals(store.getSync("k"), undefined, "a delete drops it");
});

Deno.test("cache layer over Deno KV: a cached key still throws Unsupported on getSync", async () => {
  await using store = new CachedKvStore(await openInMemory("denokv"), { maxEntries: 16 });
  await store.put("k", "v");
  assertEquals(dec.decode(await store.get("k")), "v"); // now cached
  await assertRejectsKind(() => store.getSync("k"), "Unsupported", /getSync.*async get/);
});
