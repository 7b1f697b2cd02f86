/**
 * Property tests: random operation sequences run against a store and against
 * a plain sorted in-memory model, which must agree after every step.
 *
 * @example
 * ```ts ignore
 * import { runPropertyTests } from "./property.ts";
 * import { openInMemory } from "../../mod.ts";
 * runPropertyTests({ name: "btree/memory", open: () => openInMemory("btree") });
 * ```
 *
 * @module
 */
import fc from "fast-check";
import { StoreError } from "../../core/error.ts";
import type { KvReader, KvStore } from "../../core/kv.ts";
import { closeQuietly, eq, show, showEntries } from "./_helpers.ts";
import { Model } from "./_model.ts";
import type { ConformanceTarget } from "./target.ts";

type K = Uint8Array;
type Scan =
  | {
    t: "range";
    lo: K | undefined;
    hi: K | undefined;
    reverse: boolean;
    limit: number | undefined;
  }
  | { t: "prefix"; p: K; reverse: boolean; limit: number | undefined };
type Write = { t: "put"; k: K; v: K } | { t: "del"; k: K };
type Op =
  | Write
  | Scan
  | { t: "get"; keys: K[] }
  | { t: "batchWrite"; pairs: [K, K][] }
  | { t: "batchDelete"; keys: K[] }
  | { t: "cas"; k: K; expect: "current" | "absent" | K; next: K | null }
  | { t: "txn"; ops: (Write | Scan | { t: "get"; keys: K[] })[]; commit: boolean }
  | { t: "txnConflict"; k: K; v: K }
  | { t: "snapshot"; writes: Write[]; scan: Scan }
  | { t: "count" }
  | { t: "reopen" };

// Few distinct bytes, short keys: collisions, prefixes and 0x00/0xff edges are common.
const key: fc.Arbitrary<K> = fc.array(fc.constantFrom(0x00, 0x01, 0x61, 0x62, 0x80, 0xfe, 0xff), {
  maxLength: 3,
}).map((a) => new Uint8Array(a));
const value: fc.Arbitrary<K> = fc.uint8Array({ maxLength: 6 });
const limit = fc.option(fc.nat({ max: 5 }), { nil: undefined });
const write: fc.Arbitrary<Write> = fc.oneof(
  fc.record({ t: fc.constant("put" as const), k: key, v: value }),
  fc.record({ t: fc.constant("del" as const), k: key }),
);
const scanOp: fc.Arbitrary<Scan> = fc.oneof(
  fc.record({
    t: fc.constant("range" as const),
    lo: fc.option(key, { nil: undefined }),
    hi: fc.option(key, { nil: undefined }),
    reverse: fc.boolean(),
    limit,
  }),
  fc.record({ t: fc.constant("prefix" as const), p: key, reverse: fc.boolean(), limit }),
);
const getOp = fc.record({ t: fc.constant("get" as const), keys: fc.array(key, { maxLength: 4 }) });

function opArb(withReopen: boolean): fc.Arbitrary<Op> {
  const ops: fc.Arbitrary<Op>[] = [
    write,
    write,
    scanOp,
    getOp,
    fc.record({
      t: fc.constant("batchWrite" as const),
      pairs: fc.array(fc.tuple(key, value), { maxLength: 5 }),
    }),
    fc.record({ t: fc.constant("batchDelete" as const), keys: fc.array(key, { maxLength: 5 }) }),
    fc.record({
      t: fc.constant("cas" as const),
      k: key,
      expect: fc.oneof(fc.constant("current" as const), fc.constant("absent" as const), value),
      next: fc.option(value, { nil: null }),
    }),
    fc.record({
      t: fc.constant("txn" as const),
      ops: fc.array(fc.oneof(write, write, scanOp, getOp), { maxLength: 8 }),
      commit: fc.boolean(),
    }),
    fc.record({ t: fc.constant("txnConflict" as const), k: key, v: value }),
    fc.record({
      t: fc.constant("snapshot" as const),
      writes: fc.array(write, { maxLength: 5 }),
      scan: scanOp,
    }),
    fc.constant({ t: "count" as const }),
  ];
  if (withReopen) ops.push(fc.constant({ t: "reopen" as const }));
  return fc.oneof(...ops);
}

async function checkScan(reader: KvReader, model: Model, s: Scan, what: string): Promise<void> {
  const opts = s.limit === undefined
    ? { reverse: s.reverse }
    : { reverse: s.reverse, limit: s.limit };
  const iter = s.t === "range" ? reader.range(s.lo, s.hi, opts) : reader.prefixScan(s.p, opts);
  const got: [Uint8Array, Uint8Array][] = [];
  for await (const [k, v] of iter) got.push([k.slice(), v.slice()]);
  const want = s.t === "range"
    ? model.range(s.lo, s.hi, s.reverse, s.limit)
    : model.prefix(s.p, s.reverse, s.limit);
  const desc = s.t === "range"
    ? `range(${show(s.lo)}, ${show(s.hi)}, ${JSON.stringify(opts)})`
    : `prefixScan(${show(s.p)}, ${JSON.stringify(opts)})`;
  eq(showEntries(got), showEntries(want), `${what} ${desc}`);
}

async function checkGets(reader: KvReader, model: Model, keys: K[], what: string): Promise<void> {
  for (const k of keys) {
    eq(show(await reader.get(k)), show(model.get(k)), `${what} get(${show(k)})`);
  }
}

function applyWrite(model: Model, w: Write): void {
  if (w.t === "put") model.put(w.k, w.v);
  else model.delete(w.k);
}

async function storeWrite(
  store: KvStore | { put: KvStore["put"]; delete: KvStore["delete"] },
  w: Write,
) {
  if (w.t === "put") await store.put(w.k, w.v);
  else await store.delete(w.k);
}

async function run(target: ConformanceTarget, ops: Op[]): Promise<void> {
  let store = await target.open();
  const model = new Model();
  try {
    for (const op of ops) {
      switch (op.t) {
        case "put":
        case "del":
          await storeWrite(store, op);
          applyWrite(model, op);
          break;
        case "get":
          await checkGets(store, model, op.keys, "store");
          eq(
            (await store.getMany(op.keys)).map(show),
            op.keys.map((k) => show(model.get(k))),
            "getMany",
          );
          break;
        case "range":
        case "prefix":
          await checkScan(store, model, op, "store");
          break;
        case "batchWrite":
          await store.batchWrite(op.pairs);
          for (const [k, v] of op.pairs) model.put(k, v);
          break;
        case "batchDelete":
          await store.batchDelete(op.keys);
          for (const k of op.keys) model.delete(k);
          break;
        case "cas": {
          const cur = model.get(op.k);
          const expected = op.expect === "current"
            ? (cur ?? null)
            : op.expect === "absent"
            ? null
            : op.expect;
          const matches = expected === null
            ? cur === undefined
            : cur !== undefined && show(cur) === show(expected);
          let kind: string | undefined;
          try {
            await store.compareAndSwap(op.k, expected, op.next);
          } catch (err) {
            if (!(err instanceof StoreError)) throw err;
            kind = err.kind;
          }
          eq(kind, matches ? undefined : "CasMismatch", `compareAndSwap(${show(op.k)})`);
          if (matches) {
            if (op.next === null) model.delete(op.k);
            else model.put(op.k, op.next);
          }
          break;
        }
        case "txn": {
          const view = model.clone();
          const txn = await store.transaction();
          for (const t of op.ops) {
            if (t.t === "put" || t.t === "del") {
              await storeWrite(txn, t);
              applyWrite(view, t);
            } else if (t.t === "get") await checkGets(txn, view, t.keys, "transaction");
            else await checkScan(txn, view, t, "transaction");
          }
          if (op.commit) {
            await txn.commit();
            for (const [k] of model.range(undefined, undefined)) model.delete(k);
            for (const [k, v] of view.range(undefined, undefined)) model.put(k, v);
          } else await txn.rollback();
          break;
        }
        case "txnConflict": {
          const txn = await store.transaction();
          await txn.get(op.k);
          await store.put(op.k, op.v);
          model.put(op.k, op.v);
          await txn.put(op.k, new Uint8Array([0xee]));
          let kind: string | undefined;
          try {
            await txn.commit();
          } catch (err) {
            if (!(err instanceof StoreError)) throw err;
            kind = err.kind;
          }
          eq(kind, "TxnConflict", "a transaction whose read key changed");
          break;
        }
        case "snapshot": {
          const before = model.clone();
          const snap = await store.snapshot();
          try {
            for (const w of op.writes) {
              await storeWrite(store, w);
              applyWrite(model, w);
            }
            await checkScan(snap, before, op.scan, "snapshot");
            await checkScan(snap, before, {
              t: "prefix",
              p: new Uint8Array(),
              reverse: false,
              limit: undefined,
            }, "snapshot");
          } finally {
            await snap.release();
          }
          break;
        }
        case "count":
          eq(await store.count(), model.size, "count");
          break;
        case "reopen":
          await store.close();
          store = await target.reopen!();
          break;
      }
    }
    await checkScan(store, model, {
      t: "range",
      lo: undefined,
      hi: undefined,
      reverse: false,
      limit: undefined,
    }, "final");
    eq(await store.count(), model.size, "final count");
    if (target.reopen) {
      await store.close();
      store = await target.reopen();
      await checkScan(store, model, {
        t: "range",
        lo: undefined,
        hi: undefined,
        reverse: false,
        limit: undefined,
      }, "after reopen");
    }
  } finally {
    await closeQuietly(store);
    await target.cleanup?.();
  }
}

/** How long and how hard the property tests run. */
export interface PropertyOptions {
  /** Sequences to try (default 100). */
  numRuns?: number;
  /** Longest sequence (default 50). */
  maxOps?: number;
  /** Stop starting new sequences after this many ms (default 12 000). */
  timeLimitMs?: number;
  /** Fix the random seed to replay a failure. */
  seed?: number;
}

/**
 * Registers a `Deno.test` that runs random operation sequences (writes,
 * batches, CAS, scans, transactions, snapshots, reopen for file targets)
 * against `target` and a sorted in-memory model.
 *
 * @param target the engine or layer under test
 * @param options runs, length and time budget
 */
export function runPropertyTests(target: ConformanceTarget, options: PropertyOptions = {}): void {
  const name = `${target.name}: random operation sequences agree with a sorted model`;
  const skip = target.skip?.["property"];
  if (skip !== undefined) {
    Deno.test({ name: `${name} (skipped: ${skip})`, ignore: true, fn() {} });
    return;
  }
  Deno.test(name, async () => {
    const arb = fc.array(opArb(target.reopen !== undefined), {
      minLength: 1,
      maxLength: options.maxOps ?? 50,
    });
    const params: fc.Parameters<[Op[]]> = {
      numRuns: options.numRuns ?? 100,
      interruptAfterTimeLimit: options.timeLimitMs ?? 12_000,
    };
    if (options.seed !== undefined) params.seed = options.seed;
    const out = await fc.check(fc.asyncProperty(arb, (ops) => run(target, ops)), params);
    if (out.failed) throw new Error(fc.defaultReportMessage(out) ?? "property failed");
    if (out.numRuns < 10) throw new Error(`only ${out.numRuns} sequences ran in the time limit`);
  });
}
