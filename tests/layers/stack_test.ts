// Every layer stacked, in two orders (stackLayers' and one built by hand),
// over every engine: random operations give the same answers as the bare
// reference store, and no plaintext is left in the engine.
import assert from "node:assert/strict";
import fc from "fast-check";
import type { MergeOperator } from "../../core/config.ts";
import type { KvStore } from "../../core/kv.ts";
import { CachedKvStore } from "../../layers/cache/mod.ts";
import { CompressedKv } from "../../layers/compress/mod.ts";
import { EncryptedKv, randomKey } from "../../layers/encrypt/mod.ts";
import { BinaryCodec, TypedKvStore } from "../../layers/typed/mod.ts";
import { stackLayers } from "../../layers/mod.ts";
import { entries, INNERS, memStore, text } from "./_support.ts";

const KEY = randomKey();
const concat: MergeOperator = (_k, old, x) => new Uint8Array([...(old ?? []), ...x]);

type Stack = (inner: KvStore) => Promise<KvStore>;
const STACKS: [string, Stack][] = [
  ["stackLayers(cache, compress, encrypt)", (inner) =>
    stackLayers(inner, {
      cache: { maxEntries: 4, policy: "arc" },
      compress: { codec: "lz4", minSize: 0 },
      encrypt: { keys: { k: KEY }, activeKeyId: "k" },
      mergeOperator: concat,
    })],
  ["compress(cache(encrypt))", async (inner) =>
    new CompressedKv(
      new CachedKvStore(
        await EncryptedKv.create(inner, { keys: { k: KEY }, activeKeyId: "k" }),
        { maxEntries: 4 },
      ),
      { codec: "deflate", minSize: 0, mergeOperator: concat },
    )],
];

const keyArb = fc.constantFrom("a", "b", "c", "long-key", "");
const valArb = fc.oneof(fc.string({ maxLength: 6 }), fc.constant("repeat ".repeat(30)));
const opArb = fc.oneof(
  fc.tuple(fc.constant("put"), keyArb, valArb),
  fc.tuple(fc.constant("get"), keyArb, fc.constant("")),
  fc.tuple(fc.constant("delete"), keyArb, fc.constant("")),
  fc.tuple(fc.constant("batch"), keyArb, valArb),
  fc.tuple(fc.constant("cas"), keyArb, valArb),
  fc.tuple(fc.constant("merge"), keyArb, fc.string({ maxLength: 3 })),
  fc.tuple(fc.constant("txn"), keyArb, valArb),
  fc.tuple(fc.constant("tree"), keyArb, valArb),
);

async function apply(s: KvStore, [kind, k, v]: [string, string, string]): Promise<unknown> {
  try {
    switch (kind) {
      case "put":
        return await s.put(k, v);
      case "get":
        return text(await s.get(k));
      case "delete":
        return await s.delete(k);
      case "batch":
        return await s.batchWrite([[k, v], ["zz", v]]);
      case "cas": {
        const cur = await s.get(k);
        return await s.compareAndSwap(k, cur ?? null, v === "" ? null : v);
      }
      case "merge":
        return await s.merge(k, v);
      case "txn": {
        await using t = await s.transaction();
        await t.put(k, v);
        const seen = text(await t.get("zz"));
        await t.delete("zz");
        await t.commit();
        return seen;
      }
      default: {
        const t = s.tree("t");
        await t.put(k, v);
        return text(await t.get(k));
      }
    }
  } catch (err) {
    return `error:${(err as { kind?: string }).kind}`;
  }
}

for (const { name, open } of INNERS) {
  for (const [stackName, stack] of STACKS) {
    Deno.test(`${stackName} over ${name} answers like the bare store`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { maxLength: 30 }), async (ops) => {
          const inner = await open();
          const bare = memStore(concat);
          const layered = await stack(inner);
          try {
            for (const op of ops) {
              assert.deepEqual(await apply(layered, op), await apply(bare, op), op.join(" "));
            }
            assert.deepEqual(await entries(layered.iter()), await entries(bare.iter()));
            assert.deepEqual(
              await entries(layered.tree("t").iter()),
              await entries(bare.tree("t").iter()),
            );
            for await (const [, v] of inner.iter()) {
              assert.ok(
                !new TextDecoder("latin1").decode(v).includes("repeat"),
                "plaintext at rest",
              );
            }
          } finally {
            await layered.close();
          }
        }),
        { numRuns: 12 },
      );
    });
  }

  Deno.test(`typed over stackLayers(cache, compress, encrypt) over ${name}`, async () => {
    const inner = await open();
    await using store = new TypedKvStore<[string, number], { at: Date; n: bigint }>(
      await STACKS[0]![1](inner),
      { codec: new BinaryCodec() },
    );
    for (let i = 0; i < 20; i++) {
      await store.put(["ev", i - 10], { at: new Date(i), n: BigInt(i) ** 9n });
    }
    const got: number[] = [];
    for await (const e of store.list({ prefix: ["ev"], reverse: true, limit: 5 })) {
      got.push(e.key[1]);
      assert.equal(e.value.n, BigInt(e.key[1] + 10) ** 9n);
    }
    assert.deepEqual(got, [9, 8, 7, 6, 5]);
    assert.deepEqual((await store.get(["ev", -10]))?.at, new Date(0));
  });
}
