import assert from "node:assert/strict";
import fc from "fast-check";
import { compareBytes, StoreError, toHex } from "../../core/mod.ts";
import {
  BinaryCodec,
  decodeKey,
  encodeKey,
  JsonCodec,
  type KeyPart,
  TypedKvError,
  TypedKvStore,
} from "../../layers/typed/mod.ts";
import { INNERS, memStore } from "./_support.ts";
import { assertRejectsKind } from "../_support/assert.ts";

const part: fc.Arbitrary<KeyPart> = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom("", "\0", "a\0", "a\0b", "\u00ff", "\u{1F600}", "ab", "a"),
  fc.double(),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, Number.MIN_VALUE, -Number.MAX_VALUE, 1, -1),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  fc.constantFrom(0n, -1n, 1n, 255n, -255n, 256n, -256n, 2n ** 64n, -(2n ** 64n), 2n ** 63n),
  fc.boolean(),
  fc.uint8Array({ maxLength: 5 }),
  fc.constantFrom(new Uint8Array(), new Uint8Array([0]), new Uint8Array([0, 0xff])),
);
const tuple = fc.array(part, { minLength: 1, maxLength: 3 });

function same(a: KeyPart, b: KeyPart): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b) === 0;
  return Object.is(a, b);
}

Deno.test("sorting encoded keys equals Deno KV's sort of the tuples", async () => {
  await using kv = await Deno.openKv(":memory:");
  await fc.assert(
    fc.asyncProperty(fc.array(tuple, { minLength: 1, maxLength: 25 }), async (tuples) => {
      const prefix = `run-${crypto.randomUUID()}`;
      for (const t of tuples) await kv.set([prefix, ...t], 1);
      const fromKv: string[] = [];
      for await (const e of kv.list({ prefix: [prefix] })) {
        fromKv.push(toHex(encodeKey(e.key.slice(1) as KeyPart[])));
      }
      const ours = [...new Set(tuples.map((t) => toHex(encodeKey(t))))]
        .map((h) => Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16))))
        .sort(compareBytes)
        .map(toHex);
      assert.deepEqual(ours, fromKv);
    }),
    { numRuns: 150 },
  );
});

Deno.test("the encoding orders types as Deno KV does and keeps the tricky numbers apart", () => {
  const ordered: KeyPart[][] = [
    [new Uint8Array()],
    [new Uint8Array([0])],
    [""],
    ["a"],
    ["a", new Uint8Array()],
    ["a", "b"],
    ["a", 1n],
    ["a", 1],
    ["a\0"],
    [-(2n ** 70n)],
    [-256n],
    [-1n],
    [0n],
    [1n],
    [2n ** 70n],
    [-Infinity],
    [-1],
    [-0],
    [0],
    [Number.MIN_VALUE],
    [Infinity],
    [NaN],
    [false],
    [true],
  ];
  for (let i = 1; i < ordered.length; i++) {
    const a = encodeKey(ordered[i - 1]!);
    const b = encodeKey(ordered[i]!);
    assert.equal(
      compareBytes(a, b),
      -1,
      `${Deno.inspect(ordered[i - 1])} < ${Deno.inspect(ordered[i])}`,
    );
  }
});

Deno.test("decodeKey inverts encodeKey and tuples prefix their extensions", () => {
  fc.assert(
    fc.property(tuple, tuple, (t, more) => {
      const e = encodeKey(t);
      const back = decodeKey(e);
      assert.equal(back.length, t.length);
      t.forEach((p, i) =>
        assert.ok(same(p, back[i]!), `${Deno.inspect(p)} ${Deno.inspect(back[i])}`)
      );
      const longer = encodeKey([...t, ...more]);
      assert.deepEqual(longer.subarray(0, e.length), e);
    }),
    { numRuns: 500 },
  );
  assert.deepEqual(encodeKey([]), new Uint8Array());
});

Deno.test("bad key elements are InvalidInput, bad key bytes Corruption", () => {
  for (const bad of [[null], [undefined], [{}], [Symbol("s")], ["\ud800"], [2n ** 2100n]]) {
    assert.throws(
      () => encodeKey(bad as unknown as KeyPart[]),
      (e: unknown) =>
        e instanceof TypedKvError && e instanceof StoreError && e.kind === "InvalidInput",
    );
  }
  assert.throws(() => encodeKey("abc" as unknown as KeyPart[]), { kind: "InvalidInput" });
  for (
    const bad of [[0x02, 0x61], [0x99], [0x21, 1, 2], [0x15], [0x1d, 5, 1], [0x02, 0xff, 0x00]]
  ) {
    assert.throws(() => decodeKey(new Uint8Array(bad)), { kind: "Corruption" });
  }
});

Deno.test("BinaryCodec carries what JSON cannot", () => {
  const codec = new BinaryCodec();
  const value = {
    u: undefined,
    n: null,
    nums: [0, -0, NaN, Infinity, -Infinity, 1.5],
    big: [0n, -(10n ** 40n), 2n ** 64n],
    bytes: new Uint8Array([0, 1, 255]),
    when: new Date(1_700_000_000_123),
    map: new Map<unknown, unknown>([["a", 1], [2n, new Set([1, "x"])]]),
    nested: { deep: [[{ s: "\u{1F600}\0" }]] },
    sparse: [1, , 3],
  };
  const back = codec.decode(codec.encode(value)) as typeof value;
  assert.deepEqual(back, { ...value, sparse: [1, undefined, 3] });
  assert.ok(Object.is(back.nums[1], -0));
  assert.ok("u" in back);
  const proto = codec.decode(codec.encode(JSON.parse('{"__proto__": {"x": 1}}'))) as object;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype, "no prototype pollution");
  fc.assert(
    fc.property(
      fc.anything({
        withBigInt: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withNullPrototype: false,
        withTypedArray: false,
      }),
      (v) => {
        assert.deepEqual(codec.decode(codec.encode(v)), v);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("codecs reject what they cannot carry and damaged bytes", () => {
  const bin = new BinaryCodec();
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  for (const bad of [cyclic, () => 1, Symbol("x"), new (class A {})(), new Int16Array(2)]) {
    assert.throws(() => bin.encode(bad), { kind: "InvalidInput" });
  }
  const ok = bin.encode({ a: [1, 2, "three"], m: new Map([[1, 2]]) });
  for (let cut = 0; cut < ok.length; cut++) {
    assert.throws(() => bin.decode(ok.subarray(0, cut)), { kind: "Corruption" });
  }
  assert.throws(() => bin.decode(new Uint8Array([99])), { kind: "Corruption" });
  assert.throws(() => bin.decode(new Uint8Array([9, 0xff, 0xff, 0xff, 0x7f])), {
    kind: "Corruption",
  });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (junk) => {
      try {
        bin.decode(junk);
      } catch (e) {
        assert.equal((e as StoreError).kind, "Corruption");
      }
    }),
    { numRuns: 500 },
  );
  const json = new JsonCodec();
  assert.throws(() => json.encode(undefined), { kind: "InvalidInput" });
  assert.throws(() => json.encode(1n), { kind: "InvalidInput" });
  assert.throws(() => json.decode(new Uint8Array([123])), { kind: "Corruption" });
});

for (const { name, open } of INNERS) {
  Deno.test(`${name}: typed put/get/list over tuple prefixes, bounds, reverse, limit`, async () => {
    await using store = new TypedKvStore<KeyPart[], { n: number }>(await open());
    const keys: KeyPart[][] = [
      ["user", 10],
      ["user", 2],
      ["user", -1],
      ["user", "x"],
      ["user"],
      ["usera", 1],
      ["order", 5n],
      [new Uint8Array([1]), true],
    ];
    for (const [i, k] of keys.entries()) await store.put(k, { n: i });
    assert.deepEqual(await store.get(["user", 2]), { n: 1 });
    assert.equal(await store.get(["user", 3]), undefined);
    assert.equal(await store.contains(["user"]), true);
    const list = async (o: Parameters<typeof store.list>[0]) => {
      const out: unknown[] = [];
      for await (const e of store.list(o)) out.push(e.key);
      return out;
    };
    assert.deepEqual(await list({ prefix: ["user"] }), [["user", "x"], ["user", -1], ["user", 2], [
      "user",
      10,
    ]]);
    assert.deepEqual(await list({ prefix: ["user"], reverse: true, limit: 2 }), [["user", 10], [
      "user",
      2,
    ]]);
    assert.deepEqual(await list({ prefix: ["user"], start: ["user", 0] }), [["user", 2], [
      "user",
      10,
    ]]);
    assert.deepEqual(await list({ prefix: ["user"], end: ["user", 2] }), [["user", "x"], [
      "user",
      -1,
    ]]);
    assert.deepEqual(await list({ start: ["order"], end: ["user"] }), [["order", 5n]]);
    assert.deepEqual((await list({})).length, keys.length);
    assert.deepEqual(await list({ prefix: ["user"], limit: 0 }), []);
    assert.deepEqual(await list({ prefix: ["nothing"] }), []);
    assert.equal(await store.count(["user"]), 4);
    assert.equal(await store.count(), keys.length);
    assert.deepEqual(await store.getMany([["user", 10], ["nope"]]), [{ n: 0 }, undefined]);
    await store.delete(["user", 10]);
    assert.equal(await store.contains(["user", 10]), false);
    const t = store.tree("t");
    await t.put(["a"], { n: 1 });
    assert.equal(await store.get(["a"]), undefined);
    await store.putWithTtl(["tmp"], { n: 0 }, 60_000);
    assert.ok((await store.inner.ttl(encodeKey(["tmp"])))! > 50_000);
    await assertRejectsKind(() => store.put([{} as unknown as KeyPart], { n: 1 }), "InvalidInput");
    await store.inner.put(encodeKey(["bad"]), "{not json");
    await assertRejectsKind(() => store.get(["bad"]), "Corruption");
  });
}

Deno.test("a typed store over the reference engine uses binary values", async () => {
  const store = new TypedKvStore<[string], Map<string, bigint>>(memStore(), {
    codec: new BinaryCodec(),
  });
  await store.put(["m"], new Map([["x", 1n]]));
  assert.deepEqual(await store.get(["m"]), new Map([["x", 1n]]));
  assert.throws(() => new TypedKvStore(memStore(), { codec: {} as never }), {
    kind: "InvalidInput",
  });
  await store.close();
});
