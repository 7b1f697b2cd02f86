// The synchronous read path (API.md "Sync reads"): on targets with sync
// reads, getSync and rangeSync answer exactly as get and range (TTL, order,
// limits, bounds, trees, input checks, metrics, Closed); elsewhere both throw
// Unsupported and say to use the async call.
import type { KvEntry, KvStore, RangeOptions } from "../../core/kv.ts";
import type { ConformanceTarget } from "./target.ts";
import { b, type Case, eq, eqBytes, scan, show, showEntries, sleep, yes } from "./_helpers.ts";
import { assertRejectsKind } from "../_support/assert.ts";

const SHORT = 100;

/** Whether `target` must answer sync reads (the Deno KV engine cannot). */
export function expectsSyncReads(target: ConformanceTarget): boolean {
  return target.syncReads ?? (target.kind !== undefined && target.kind !== "denokv");
}

/** A sync scan drained, each entry checked and copied, as `key=value` strings. */
function drainSync(iter: Iterable<KvEntry>): string[] {
  const out: KvEntry[] = [];
  for (const entry of iter) {
    yes(Array.isArray(entry) && entry.length === 2, "rangeSync yields [key, value] pairs");
    yes(entry[0] instanceof Uint8Array && entry[1] instanceof Uint8Array, "rangeSync yields bytes");
    out.push([entry[0].slice(), entry[1].slice()]);
  }
  return showEntries(out);
}

type Bounds = [lo: Uint8Array | string | undefined, hi: Uint8Array | string | undefined];

const SCANS: [Bounds, RangeOptions | undefined][] = [
  [[undefined, undefined], undefined],
  [[undefined, undefined], { reverse: true }],
  [[undefined, undefined], { limit: 2 }],
  [[undefined, undefined], { reverse: true, limit: 3 }],
  [[undefined, undefined], { limit: 0 }],
  [["a/", "a0"], undefined], // the keys under the prefix "a/"
  [["a/", "a0"], { reverse: true, limit: 1 }],
  [["", "b"], undefined],
  [["a/2", undefined], undefined],
  [[undefined, "a/2"], { reverse: true }],
  [["b", "a"], undefined], // lo > hi: empty
  [["a", "a"], undefined],
  [[b(0xff), undefined], undefined],
];

async function sameAsAsync(store: KvStore, keys: (string | Uint8Array)[], label: string) {
  for (const k of keys) {
    const want = await store.get(k);
    const got = store.getSync(k);
    if (got !== undefined) yes(got instanceof Uint8Array, `${label}: getSync returns bytes`);
    eq(
      show(got),
      show(want),
      `${label}: getSync(${show(typeof k === "string" ? b(...new TextEncoder().encode(k)) : k)})`,
    );
  }
  for (const [[lo, hi], opts] of SCANS) {
    const want = await scan(store.range(lo, hi, opts));
    const what = `${label}: rangeSync(${String(lo)}, ${String(hi)}, ${JSON.stringify(opts)})`;
    eq(drainSync(store.rangeSync(lo, hi, opts)), want, what);
  }
}

async function supported(store: KvStore): Promise<void> {
  await store.batchWrite([["", "root"], ["a", "1"], ["a/1", "x"], ["a/2", "y"], ["a0", "z"]]);
  await store.put(b(0xff, 0), b(0, 1, 2));
  await store.put("empty", "");
  await store.putWithTtl("a/ttl", "soon", SHORT);
  await store.putWithTtl("long", "later", 60_000);
  const keys = ["", "a", "a/1", "a/2", "a0", b(0xff, 0), "empty", "a/ttl", "long", "absent"];
  await sameAsAsync(store, keys, "before expiry");
  eq(store.getSync("a/ttl") !== undefined, true, "a live TTL key reads before its deadline");
  await sleep(SHORT + 30);
  eq(store.getSync("a/ttl"), undefined, "an expired key is absent to getSync");
  await sameAsAsync(store, keys, "after expiry");

  // One view per scan: a commit after the first step is not seen by it.
  const it = store.rangeSync("a", "b");
  eq(drainSync([it.next().value!]), ['"a"="1"'], "first step");
  await store.put("a/15", "late");
  await store.delete("a/2");
  eq(
    drainSync({ [Symbol.iterator]: () => it }),
    ['"a/1"="x"', '"a/2"="y"', '"a0"="z"'],
    "pinned view",
  );
  eqBytes(store.getSync("a/15"), "late", "getSync sees the new commit");
  eq(store.getSync("a/2"), undefined, "getSync sees the delete");

  // A tree is its own keyspace to sync reads too.
  const tree = store.tree("sync-tree");
  await tree.put("a", "tree-a");
  eqBytes(tree.getSync("a"), "tree-a", "tree getSync");
  eq(drainSync(tree.rangeSync()), ['"a"="tree-a"'], "tree rangeSync");
  eqBytes(store.getSync("a"), "1", "the default keyspace is untouched");

  // Reads counted as the async ones count them.
  await store.get("a/1");
  const m0 = store.metrics();
  await store.get("a/1");
  const m1 = store.metrics();
  store.getSync("a/1");
  const m2 = store.metrics();
  eq([m2.reads - m1.reads, m2.bytesRead - m1.bytesRead], [
    m1.reads - m0.reads,
    m1.bytesRead - m0.bytesRead,
  ], "getSync metrics");
  await scan(store.range("a/", "a0"));
  const m3 = store.metrics();
  drainSync(store.rangeSync("a/", "a0"));
  const m4 = store.metrics();
  eq([m4.reads - m3.reads, m4.bytesRead - m3.bytesRead], [
    m3.reads - m2.reads,
    m3.bytesRead - m2.bytesRead,
  ], "rangeSync metrics");

  // Bad arguments fail at the call, naming the operation.
  await assertRejectsKind(() => store.getSync(42 as never), "InvalidInput", /getSync/);
  await assertRejectsKind(
    () => store.rangeSync(undefined, undefined, { limit: -1 }),
    "InvalidInput",
  );
  await assertRejectsKind(() => store.rangeSync(7 as never), "InvalidInput");

  await store.close();
  await assertRejectsKind(() => store.getSync("a"), "Closed", /getSync/);
  await assertRejectsKind(() => store.rangeSync(), "Closed", /rangeSync/);
}

async function unsupported(store: KvStore): Promise<void> {
  await store.put("k", "v");
  await assertRejectsKind(() => store.getSync("k"), "Unsupported", /getSync.*async get/);
  await assertRejectsKind(() => store.getSync("absent"), "Unsupported", /async get/);
  await assertRejectsKind(() => store.rangeSync(), "Unsupported", /rangeSync.*async range/);
  await assertRejectsKind(() => store.rangeSync("a", "z", { reverse: true }), "Unsupported");
  eq(await scan(store.range()), ['"k"="v"'], "the async range still works");
}

export const syncCases: Case[] = [
  {
    id: "syncReads",
    title:
      "sync reads: getSync/rangeSync answer as get/range, or throw Unsupported where reads are async",
    async run({ target, open }) {
      const store = await open();
      if (expectsSyncReads(target)) await supported(store);
      else await unsupported(store);
    },
  },
];
