import assert from "node:assert/strict";
import fc from "fast-check";
import { ArcCache, LruCache } from "../../layers/cache/mod.ts";
import { sleep } from "./_support.ts";

const POLICIES = [
  ["lru", LruCache],
  ["arc", ArcCache],
] as const;

Deno.test("LruCache evicts the least recently used entry", () => {
  const c = new LruCache<string, number>({ maxEntries: 3 });
  c.set("a", 1);
  c.set("b", 2);
  c.set("c", 3);
  assert.equal(c.get("a"), 1);
  c.set("d", 4);
  assert.equal(c.has("b"), false);
  assert.deepEqual(["a", "c", "d"].map((k) => c.peek(k)), [1, 3, 4]);
  assert.equal(c.size, 3);
});

Deno.test("peek and has neither count nor refresh recency", () => {
  const c = new LruCache<string, number>({ maxEntries: 2 });
  c.set("a", 1);
  c.set("b", 2);
  assert.equal(c.peek("a"), 1);
  assert.equal(c.has("a"), true);
  c.set("c", 3); // "a" is still the LRU: peek did not touch it
  assert.equal(c.has("a"), false);
  assert.deepEqual(c.stats(), { hits: 0, misses: 0 });
  c.get("b");
  c.get("zz");
  assert.deepEqual(c.stats(), { hits: 1, misses: 1 });
});

for (const [name, Cache] of POLICIES) {
  Deno.test(`${name}: maxBytes bounds the bytes held and refuses oversize values`, () => {
    const c = new Cache<string, Uint8Array>({ maxEntries: 100, maxBytes: 100 });
    for (let i = 0; i < 20; i++) c.set(`k${i}`, new Uint8Array(30));
    assert.ok(c.byteSize <= 100, `bytes ${c.byteSize}`);
    assert.equal(c.size, 3);
    assert.equal(c.peek("k19")?.length, 30);
    c.set("k19", new Uint8Array(101));
    assert.equal(c.has("k19"), false, "an oversize value replaces nothing and is not kept");
    assert.ok(c.byteSize <= 100);
  });

  Deno.test(`${name}: entries expire after ttlMs, per cache or per entry`, async () => {
    const c = new Cache<string, number>({ maxEntries: 10, ttlMs: 30 });
    c.set("a", 1);
    c.set("b", 2, { ttlMs: 10_000 });
    assert.equal(c.get("a"), 1);
    await sleep(45);
    assert.equal(c.get("a"), undefined);
    assert.equal(c.has("a"), false);
    assert.equal(c.get("b"), 2);
  });

  Deno.test(`${name}: getOrLoad runs one loader however many callers wait`, async () => {
    const c = new Cache<string, string>({ maxEntries: 10 });
    let calls = 0;
    const loader = async (k: string) => {
      calls++;
      await sleep(10);
      return k.toUpperCase();
    };
    const got = await Promise.all(Array.from({ length: 20 }, () => c.getOrLoad("x", loader)));
    assert.deepEqual(new Set(got), new Set(["X"]));
    assert.equal(calls, 1);
    assert.equal(await c.getOrLoad("x", loader), "X");
    assert.equal(calls, 1, "a loaded value is cached");
  });

  Deno.test(`${name}: a failed load caches nothing and the next caller retries`, async () => {
    const c = new Cache<string, number>({ maxEntries: 10 });
    await assert.rejects(c.getOrLoad("k", () => Promise.reject(new Error("boom"))), /boom/);
    assert.equal(c.has("k"), false);
    assert.equal(await c.getOrLoad("k", () => 7), 7);
  });

  Deno.test(`${name}: a set or delete during a load keeps the older result out`, async () => {
    const c = new Cache<string, number>({ maxEntries: 10 });
    let release!: () => void;
    const gate = new Promise<void>((r) => release = r);
    const p = c.getOrLoad("k", async () => {
      await gate;
      return 1;
    });
    c.set("k", 2);
    release();
    assert.equal(await p, 1);
    assert.equal(c.peek("k"), 2);
    const q = c.getOrLoad("j", async () => {
      await sleep(5);
      return 1;
    });
    c.delete("j");
    await q;
    assert.equal(c.has("j"), false);
  });

  Deno.test(`${name}: rejects bad bounds with InvalidInput`, () => {
    for (const bad of [0, -1, 1.5, NaN]) {
      assert.throws(() => new Cache({ maxEntries: bad }), { kind: "InvalidInput" });
    }
    assert.throws(() => new Cache({ maxEntries: 1, maxBytes: 0 }), { kind: "InvalidInput" });
  });

  Deno.test(`${name}: random operations agree with a Map while nothing is evicted`, () => {
    const op = fc.oneof(
      fc.tuple(fc.constant("set"), fc.integer({ min: 0, max: 15 }), fc.integer()),
      fc.tuple(fc.constant("get"), fc.integer({ min: 0, max: 15 }), fc.constant(0)),
      fc.tuple(fc.constant("delete"), fc.integer({ min: 0, max: 15 }), fc.constant(0)),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const c = new Cache<number, number>({ maxEntries: 16 });
        const m = new Map<number, number>();
        for (const [kind, k, v] of ops) {
          if (kind === "set") {
            c.set(k, v);
            m.set(k, v);
          } else if (kind === "get") assert.equal(c.get(k), m.get(k));
          else assert.equal(c.delete(k), m.delete(k));
          assert.equal(c.size, m.size);
        }
      }),
      { numRuns: 150 },
    );
  });

  Deno.test(`${name}: under eviction every hit is the latest value and bounds hold`, () => {
    const op = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 }), fc.integer());
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.integer({ min: 1, max: 12 }), (ops, cap) => {
        const c = new Cache<number, number>({ maxEntries: cap });
        const m = new Map<number, number>();
        for (const [isSet, k, v] of ops) {
          if (isSet) {
            c.set(k, v);
            m.set(k, v);
          } else {
            const got = c.get(k);
            if (got !== undefined) assert.equal(got, m.get(k));
          }
          assert.ok(c.size <= cap);
        }
      }),
      { numRuns: 150 },
    );
  });
}

Deno.test("ArcCache keeps a frequently used set through a one-off scan", () => {
  const arc = new ArcCache<string, number>({ maxEntries: 10 });
  const lru = new LruCache<string, number>({ maxEntries: 10 });
  for (const c of [arc, lru]) {
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) if (c.get(`hot${i}`) === undefined) c.set(`hot${i}`, i);
    }
    for (let i = 0; i < 50; i++) c.set(`scan${i}`, i);
  }
  const hotArc = [0, 1, 2, 3, 4].filter((i) => arc.has(`hot${i}`)).length;
  const hotLru = [0, 1, 2, 3, 4].filter((i) => lru.has(`hot${i}`)).length;
  assert.equal(hotArc, 5, "ARC kept the hot keys");
  assert.equal(hotLru, 0, "LRU lost them to the scan");
});

Deno.test("ArcCache adapts its target when ghost entries are hit", () => {
  const c = new ArcCache<number, number>({ maxEntries: 4 });
  c.set(0, 0);
  c.set(1, 1);
  c.get(0);
  c.get(1); // 0 and 1 move to T2 (frequency)
  c.set(2, 2);
  c.set(3, 3);
  c.set(4, 4); // the cache is full: 2 leaves T1 for the B1 ghost list
  assert.equal(c.has(2), false);
  assert.equal(c.target, 0);
  c.set(2, 2); // a B1 ghost hit: recency deserves more room
  assert.ok(c.target > 0, `target ${c.target}`);
  assert.ok(c.size <= 4);
});
