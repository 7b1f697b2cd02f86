// Random operation sequences against a sorted in-memory model, with reopen,
// full compaction and snapshot points, on disk and in memory. A tiny memtable
// makes flushes and background compactions happen inside every sequence.
import fc from "fast-check";
import { assertEquals } from "../_support/assert.ts";
import { type LsmOptions, lsmWaitIdle, openLsm } from "../../kv/lsm/mod.ts";
import type { KvStore } from "../../core/kv.ts";
import { compareBytes } from "../../core/bytes.ts";

const TINY = {
  memtableBytes: 2048,
  l0Trigger: 2,
  levelBaseBytes: 8192,
  levelRatio: 3,
  tableBytes: 4096,
  blockSize: 512,
};

const enc = new TextEncoder();
const dec = new TextDecoder();

type Op =
  | { t: "put"; k: string; v: string }
  | { t: "del"; k: string }
  | { t: "batch"; pairs: [string, string][] }
  | { t: "ttl"; k: string; v: string; alive: boolean }
  | {
    t: "range";
    lo?: string | undefined;
    hi?: string | undefined;
    reverse: boolean;
    limit?: number | undefined;
  }
  | { t: "get"; k: string }
  | { t: "reopen" }
  | { t: "compact" }
  | { t: "snapshot" };

const key = fc.string({ unit: fc.constantFrom("a", "b", "c", "\u00ff", "\u0000"), maxLength: 4 });
const val = fc.string({ maxLength: 60 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant("put" as const), k: key, v: val }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("del" as const), k: key }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant("batch" as const),
      pairs: fc.array(fc.tuple(key, val), { maxLength: 30 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant("ttl" as const), k: key, v: val, alive: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("range" as const),
      lo: fc.option(key, { nil: undefined }),
      hi: fc.option(key, { nil: undefined }),
      reverse: fc.boolean(),
      limit: fc.option(fc.nat(10), { nil: undefined }),
    }, { requiredKeys: ["t", "reverse"] }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("get" as const), k: key }) },
  { weight: 1, arbitrary: fc.constant({ t: "reopen" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "compact" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "snapshot" as const }) },
);

function sorted(model: Map<string, string>): [Uint8Array, string][] {
  return [...model].map(([k, v]) => [enc.encode(k), v] as [Uint8Array, string])
    .sort((a, b) => compareBytes(a[0], b[0]));
}

async function collect(it: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const [k, v] of it) out.push([Array.from(k).join(","), dec.decode(v)]);
  return out;
}

function expectRange(
  model: Map<string, string>,
  lo: string | undefined,
  hi: string | undefined,
  reverse: boolean,
  limit: number | undefined,
): [string, string][] {
  const l = lo === undefined ? undefined : enc.encode(lo);
  const h = hi === undefined ? undefined : enc.encode(hi);
  let rows = sorted(model).filter(([k]) =>
    (l === undefined || compareBytes(k, l) >= 0) && (h === undefined || compareBytes(k, h) < 0)
  );
  if (l !== undefined && h !== undefined && compareBytes(l, h) >= 0) rows = [];
  if (reverse) rows.reverse();
  if (limit !== undefined) rows = rows.slice(0, limit);
  return rows.map(([k, v]) => [Array.from(k).join(","), v]);
}

async function runSequence(
  ops: Op[],
  dir: string | undefined,
  tuning: LsmOptions = TINY,
): Promise<void> {
  const open = () => openLsm(dir, { syncWrites: false }, tuning);
  let store: KvStore = await open();
  const model = new Map<string, string>();
  try {
    for (const o of ops) {
      switch (o.t) {
        case "put":
          await store.put(o.k, o.v);
          model.set(o.k, o.v);
          break;
        case "del":
          await store.delete(o.k);
          model.delete(o.k);
          break;
        case "batch":
          await store.batchWrite(o.pairs);
          for (const [k, v] of o.pairs) model.set(k, v);
          break;
        case "ttl":
          await store.putWithTtl(o.k, o.v, o.alive ? 1e9 : 0);
          if (o.alive) model.set(o.k, o.v);
          else model.delete(o.k);
          break;
        case "get": {
          const got = await store.get(o.k);
          assertEquals(
            got === undefined ? undefined : dec.decode(got),
            model.get(o.k),
            `get ${o.k}`,
          );
          break;
        }
        case "range": {
          const opts = o.limit === undefined ? { reverse: o.reverse } : {
            reverse: o.reverse,
            limit: o.limit,
          };
          assertEquals(
            await collect(store.range(o.lo, o.hi, opts)),
            expectRange(model, o.lo, o.hi, o.reverse, o.limit),
            "range",
          );
          break;
        }
        case "reopen":
          await store.close();
          if (dir !== undefined) store = await open();
          else store = await openAndRefill(open, model);
          break;
        case "compact":
          await store.compact();
          break;
        case "snapshot": {
          const snap = await store.snapshot();
          const frozen = new Map(model);
          // Writes after the snapshot must not show through it.
          const extra: [string, string][] = [["a", "after"], ["zz", "after"]];
          await store.batchWrite(extra);
          await store.delete("b");
          for (const [k, v] of extra) model.set(k, v);
          model.delete("b");
          assertEquals(
            await collect(snap.range()),
            expectRange(frozen, undefined, undefined, false, undefined),
            "snapshot",
          );
          await snap.release();
          break;
        }
      }
    }
    assertEquals(
      await collect(store.iter()),
      expectRange(model, undefined, undefined, false, undefined),
    );
    assertEquals(await store.count(), model.size);
  } finally {
    await store.close();
  }
}

/** In memory a reopen starts empty: refill from the model to keep going. */
async function openAndRefill(
  open: () => Promise<KvStore>,
  model: Map<string, string>,
): Promise<KvStore> {
  const s = await open();
  await s.batchWrite([...model]);
  return s;
}

Deno.test("lsm property: on-disk store matches a sorted model through reopen and compaction", async () => {
  const root = await Deno.makeTempDir({ prefix: "lsm-prop-" });
  let n = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
        await runSequence(ops, `${root}/${n++}`);
      }),
      { numRuns: 60 },
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("lsm property: every flush and compaction in worker threads matches the model", async () => {
  const root = await Deno.makeTempDir({ prefix: "lsm-prop-threads-" });
  // Keeps the shared job threads alive between sequences (each start costs a
  // type-check under deno test).
  const keeper = await openLsm(`${root}/keeper`, {}, { workerMinBytes: 0 });
  let n = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
        await runSequence(ops, `${root}/${n++}`, { ...TINY, workerMinBytes: 0 });
      }),
      { numRuns: 30 },
    );
  } finally {
    await lsmWaitIdle(keeper);
    await keeper.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("lsm property: in-memory store matches a sorted model", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 80 }), async (ops) => {
      await runSequence(ops, undefined);
    }),
    { numRuns: 80 },
  );
});
