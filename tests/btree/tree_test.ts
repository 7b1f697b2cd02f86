import fc from "fast-check";
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { openBTree } from "../../kv/btree/mod.ts";
import { checkInvariants } from "../../kv/btree/_check.ts";
import type { KvStore } from "../../core/kv.ts";
import { dump, hex, modelDump, removeDir, rng, tempPath } from "./_helpers.ts";

type Op =
  | { t: "put"; k: number; len: number }
  | { t: "del"; k: number }
  | { t: "batch"; ks: number[]; len: number }
  | { t: "reopen" }
  | { t: "compact" };

function keyOf(k: number): Uint8Array {
  // Some keys share long prefixes, a few are very long.
  if (k % 17 === 0) return new TextEncoder().encode("long/" + "x".repeat(1800) + k);
  return new TextEncoder().encode(`k${(k * 2654435761 % 1000).toString().padStart(4, "0")}/${k}`);
}

function valueOf(k: number, len: number, salt: number): Uint8Array {
  const v = new Uint8Array(len);
  for (let i = 0; i < len; i++) v[i] = (k * 31 + i * 7 + salt) & 0xff;
  return v;
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ t: fc.constant("put" as const), k: fc.nat(300), len: lenArb() }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("del" as const), k: fc.nat(300) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("batch" as const),
      ks: fc.array(fc.nat(300), { maxLength: 80 }),
      len: lenArb(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ t: "reopen" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "compact" as const }) },
);

function lenArb(): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.nat(200) },
    { weight: 1, arbitrary: fc.integer({ min: 1500, max: 3000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 5000, max: 20000 }) },
  );
}

async function runOps(path: string | undefined, ops: Op[]): Promise<void> {
  let store: KvStore = await openBTree(path, { cacheSizeBytes: 256 * 1024 });
  const model = new Map<string, Uint8Array>();
  let salt = 0;
  try {
    for (const op of ops) {
      salt++;
      if (op.t === "put") {
        const v = valueOf(op.k, op.len, salt);
        await store.put(keyOf(op.k), v);
        model.set(hex(keyOf(op.k)), v);
      } else if (op.t === "del") {
        await store.delete(keyOf(op.k));
        model.delete(hex(keyOf(op.k)));
      } else if (op.t === "batch") {
        const pairs: [Uint8Array, Uint8Array][] = op.ks.map((
          k,
        ) => [keyOf(k), valueOf(k, op.len, salt)]);
        await store.batchWrite(pairs);
        for (const [k, v] of pairs) model.set(hex(k), v);
      } else if (op.t === "reopen") {
        if (path === undefined) continue;
        await store.close();
        store = await openBTree(path, { cacheSizeBytes: 256 * 1024 });
      } else {
        await store.compact();
      }
    }
    checkInvariants(store);
    deepStrictEqual(await dump(store), modelDump(model));
    deepStrictEqual(await dump(store, true), modelDump(model).reverse());
    equal(await store.count(), model.size);
    for (const [k, v] of model) {
      const got = await store.get(Uint8Array.from(k.match(/../g)!.map((h) => parseInt(h, 16))));
      equal(got && hex(got), hex(v));
    }
  } finally {
    await store.close();
  }
}

Deno.test("btree matches a sorted model over random operation sequences (memory)", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), (ops) => runOps(undefined, ops)),
    {
      numRuns: 100,
    },
  );
});

Deno.test("btree matches a sorted model over random operation sequences with reopen (file)", async () => {
  const path = tempPath();
  try {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
        const p = `${path}.${n++}`;
        await runOps(p, ops);
        await Deno.remove(p).catch(() => {});
      }),
      { numRuns: 50 },
    );
  } finally {
    removeDir(path);
  }
});

Deno.test("btree survives 12k random operations with random reopen and stays consistent", async () => {
  const path = tempPath();
  const rand = rng(42);
  const model = new Map<string, Uint8Array>();
  // Durability has its own (crash) tests; here fsync per commit would only add minutes.
  const config = { cacheSizeBytes: 512 * 1024, syncWrites: false };
  let store = await openBTree(path, config);
  try {
    for (let step = 0; step < 12000; step++) {
      const r = rand();
      const k = Math.floor(rand() * 3000);
      if (r < 0.55) {
        const len = rand() < 0.03 ? 3000 + Math.floor(rand() * 9000) : Math.floor(rand() * 120);
        const v = valueOf(k, len, step);
        await store.put(keyOf(k), v);
        model.set(hex(keyOf(k)), v);
      } else if (r < 0.85) {
        await store.delete(keyOf(k));
        model.delete(hex(keyOf(k)));
      } else if (r < 0.995) {
        const pairs: [Uint8Array, Uint8Array][] = [];
        for (let i = 0; i < 50; i++) {
          const kk = Math.floor(rand() * 3000);
          pairs.push([keyOf(kk), valueOf(kk, Math.floor(rand() * 100), step)]);
        }
        await store.batchWrite(pairs);
        for (const [kk, v] of pairs) model.set(hex(kk), v);
      } else {
        await store.close();
        store = await openBTree(path, config);
        checkInvariants(store);
      }
      if (step % 2000 === 1999) {
        checkInvariants(store);
        deepStrictEqual(await dump(store), modelDump(model));
      }
    }
    const stats = checkInvariants(store);
    ok(stats.height >= 2, `height ${stats.height}`);
    deepStrictEqual(await dump(store), modelDump(model));
  } finally {
    await store.close();
    removeDir(path);
  }
});

Deno.test("btree scans honour bounds, reverse and keys-only across page boundaries", async () => {
  await using store = await openBTree(undefined);
  const pairs: [string, string][] = [];
  for (let i = 0; i < 5000; i++) pairs.push([`key${String(i).padStart(5, "0")}`, `v${i}`]);
  await store.batchWrite(pairs);
  const keys = async (it: AsyncIterable<[Uint8Array, Uint8Array]>) => {
    const out: string[] = [];
    for await (const [k] of it) out.push(new TextDecoder().decode(k));
    return out;
  };
  deepStrictEqual(await keys(store.range("key01000", "key01003")), [
    "key01000",
    "key01001",
    "key01002",
  ]);
  deepStrictEqual(await keys(store.rangeRev("key01000", "key01003")), [
    "key01002",
    "key01001",
    "key01000",
  ]);
  equal((await keys(store.range("key0", undefined, { limit: 7 }))).length, 7);
  equal((await keys(store.prefixScan("key049"))).length, 100);
  const all: string[] = [];
  for await (const k of store.keys()) all.push(new TextDecoder().decode(k));
  equal(all.length, 5000);
  equal(await store.count(), 5000);
});

Deno.test("btree scans keep going while commits free and reuse pages", async () => {
  await using store = await openBTree(undefined);
  const pairs: [string, string][] = [];
  for (let i = 0; i < 3000; i++) pairs.push([`k${String(i).padStart(5, "0")}`, "x".repeat(50)]);
  await store.batchWrite(pairs);
  let n = 0;
  let prev = "";
  for await (const [k] of store.range()) {
    const s = new TextDecoder().decode(k);
    ok(s > prev, `${s} after ${prev}`);
    prev = s;
    n++;
    // Rewrite keys ahead of the cursor: their pages are freed and reused.
    if (n % 100 === 0) {
      await store.batchWrite(pairs.slice(n, n + 200).map(([k]) => [k, "y".repeat(60)]));
    }
  }
  equal(n, 3000);
});
