// The operations of the property tests, how to generate them, and how to run
// one sequence against a store and the model side by side.
import fc from "fast-check";
import type { MergeOperator, StoreConfig } from "../../core/config.ts";
import { StoreError } from "../../core/error.ts";
import type { KvReader, KvSnapshot, KvStore } from "../../core/kv.ts";
import { closeQuietly, eq, show, showEntries, yes } from "./_helpers.ts";
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
type Get = { t: "get"; keys: K[] };
/** One step of a generated sequence. */
export type Op =
  | Write
  | Scan
  | Get
  | { t: "batchWrite"; pairs: [K, K][] }
  | { t: "batchDelete"; keys: K[] }
  | { t: "cas"; k: K; expect: "current" | "absent" | K; next: K | null }
  | { t: "txn"; ops: (Write | Scan | Get)[]; commit: boolean }
  | { t: "txnConflict"; mode: "read" | "write"; k: K; v: K; other: K }
  | { t: "snapshot"; writes: Write[]; more: Write[]; scan: Scan }
  | { t: "backupRestore"; writes: Write[]; treeWrites: Write[] }
  | { t: "putTtl"; k: K; v: K }
  | { t: "ttl"; k: K }
  | { t: "persist"; k: K }
  | { t: "expire"; k: K }
  | { t: "merge"; k: K; v: K }
  | { t: "count" }
  | { t: "tree"; name: string; op: Write | Scan }
  | { t: "reopen" };

// Long enough never to pass during a run: TTL ops check bookkeeping, not time.
const TTL = 600_000;

// A small pool of keys so that operations often meet on the same key, with
// the edges that matter: empty, 0x00, 0xff, prefixes of each other.
const POOL: number[][] = [
  [],
  [0x00],
  [0x00, 0x00],
  [0x00, 0xff],
  [0x01],
  [0x61],
  [0x61, 0x00],
  [0x61, 0x61],
  [0x61, 0x62],
  [0x61, 0x62, 0x63],
  [0x61, 0xff],
  [0x61, 0xff, 0xff],
  [0x62],
  [0x7f],
  [0x80],
  [0xfe],
  [0xfe, 0xff],
  [0xff],
  [0xff, 0x00],
  [0xff, 0xff],
  [0xff, 0xff, 0xff],
];
const key: fc.Arbitrary<K> = fc.constantFrom(...POOL).map((a) => new Uint8Array(a));
// Bounds and prefixes also come from outside the pool, so they often match no key.
const bound: fc.Arbitrary<K> = fc.oneof(
  key,
  fc.array(fc.constantFrom(0x00, 0x61, 0x62, 0x80, 0xff), { maxLength: 3 }).map((a) =>
    new Uint8Array(a)
  ),
);
const value: fc.Arbitrary<K> = fc.uint8Array({ maxLength: 6 });
const limit = fc.option(fc.nat({ max: 5 }), { nil: undefined });
const write: fc.Arbitrary<Write> = fc.oneof(
  fc.record({ t: fc.constant("put" as const), k: key, v: value }),
  fc.record({ t: fc.constant("del" as const), k: key }),
);
const scanOp: fc.Arbitrary<Scan> = fc.oneof(
  fc.record({
    t: fc.constant("range" as const),
    lo: fc.option(bound, { nil: undefined }),
    hi: fc.option(bound, { nil: undefined }),
    reverse: fc.boolean(),
    limit,
  }),
  fc.record({ t: fc.constant("prefix" as const), p: bound, reverse: fc.boolean(), limit }),
);
const getOp: fc.Arbitrary<Get> = fc.record({
  t: fc.constant("get" as const),
  keys: fc.array(key, { maxLength: 4 }),
});
const keyOp = <T extends "ttl" | "persist" | "expire">(t: T) =>
  fc.record({ t: fc.constant(t), k: key });

/** Random operations; `reopen` only for targets that can. */
export function opArb(withReopen: boolean): fc.Arbitrary<Op> {
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
    fc.record({
      t: fc.constant("txnConflict" as const),
      mode: fc.constantFrom("read" as const, "write" as const),
      k: key,
      v: value,
      other: key,
    }),
    fc.record({
      t: fc.constant("snapshot" as const),
      writes: fc.array(write, { maxLength: 5 }),
      more: fc.array(write, { maxLength: 5 }),
      scan: scanOp,
    }),
    fc.record({
      t: fc.constant("backupRestore" as const),
      writes: fc.array(write, { maxLength: 5 }),
      treeWrites: fc.array(write, { maxLength: 3 }),
    }),
    fc.record({ t: fc.constant("putTtl" as const), k: key, v: value }),
    keyOp("ttl"),
    keyOp("persist"),
    keyOp("expire"),
    fc.record({ t: fc.constant("merge" as const), k: key, v: value }),
    fc.constant({ t: "count" as const }),
    fc.record({
      t: fc.constant("tree" as const),
      name: fc.constantFrom("t1", "t2"),
      op: fc.oneof(write, write, scanOp),
    }),
  ];
  if (withReopen) ops.push(fc.constant({ t: "reopen" as const }));
  return fc.oneof(...ops);
}

/** Appends the operand; an empty operand deletes. */
const append: MergeOperator = (_key, old, operand) => {
  if (operand.length === 0) return undefined;
  const out = new Uint8Array((old?.length ?? 0) + operand.length);
  out.set(old ?? new Uint8Array(), 0);
  out.set(operand, old?.length ?? 0);
  return out;
};
const CONFIG: StoreConfig = { mergeOperator: append };

const ALL: Scan = { t: "range", lo: undefined, hi: undefined, reverse: false, limit: undefined };

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

async function storeWrite(store: Pick<KvStore, "put" | "delete">, w: Write): Promise<void> {
  if (w.t === "put") await store.put(w.k, w.v);
  else await store.delete(w.k);
}

/** The StoreError kind `fn` fails with, or undefined when it succeeds. */
async function outcome(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    return err.kind;
  }
}

/** Runs `ops` on a fresh store of `target` and on the model; throws at the first difference. */
export async function runSequence(target: ConformanceTarget, ops: Op[]): Promise<void> {
  let store = await target.open(CONFIG);
  const model = new Model();
  // Named trees beside the default one, each with its own model.
  const trees = new Map([["t1", new Model()], ["t2", new Model()]]);
  let dir: string | undefined;
  let backups = 0;
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
          const kind = await outcome(() => store.compareAndSwap(op.k, expected, op.next));
          eq(kind, matches ? undefined : "CasMismatch", `compareAndSwap(${show(op.k)})`);
          if (matches) {
            // API.md leaves open whether a CAS keeps a TTL.
            const ttl = model.ttl(op.k) === undefined || model.ttl(op.k) === "none"
              ? "none"
              : "unknown";
            if (op.next === null) model.delete(op.k);
            else model.put(op.k, op.next, ttl);
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
            model.assign(view);
          } else await txn.rollback();
          break;
        }
        case "txnConflict": {
          // The transaction only reads k, or only writes it; either way k changes under it.
          const txn = await store.transaction();
          if (op.mode === "read") await txn.get(op.k);
          else await txn.put(op.k, new Uint8Array([0xee]));
          await store.put(op.k, op.v);
          model.put(op.k, op.v);
          await txn.put(op.other, new Uint8Array([0xef]));
          eq(await outcome(() => txn.commit()), "TxnConflict", "a transaction whose read changed");
          break;
        }
        case "snapshot": {
          // Two overlapping snapshots, each read after later writes.
          const before = model.clone();
          const snap = await store.snapshot();
          let second: KvSnapshot | undefined;
          try {
            for (const w of op.writes) {
              await storeWrite(store, w);
              applyWrite(model, w);
            }
            const middle = model.clone();
            second = await store.snapshot();
            for (const w of op.more) {
              await storeWrite(store, w);
              applyWrite(model, w);
            }
            await checkScan(snap, before, op.scan, "snapshot");
            await checkScan(snap, before, ALL, "snapshot");
            await checkScan(second, middle, op.scan, "second snapshot");
            await checkScan(second, middle, ALL, "second snapshot");
          } finally {
            await snap.release();
            await second?.release();
          }
          break;
        }
        case "backupRestore": {
          // Restore brings back the whole store, trees included, as of the backup.
          dir ??= await Deno.makeTempDir({ prefix: "oxistore-property-" });
          const path = `${dir}/${backups++}.bak`;
          await store.backup(path);
          const saved = model.clone();
          const savedTree = trees.get("t1")!.clone();
          for (const w of op.writes) {
            await storeWrite(store, w);
            applyWrite(model, w);
          }
          for (const w of op.treeWrites) {
            await storeWrite(store.tree("t1"), w);
            applyWrite(trees.get("t1")!, w);
          }
          await store.restore(path);
          model.assign(saved);
          trees.get("t1")!.assign(savedTree);
          await checkScan(store, model, ALL, "after restore");
          break;
        }
        case "putTtl":
          await store.putWithTtl(op.k, op.v, TTL);
          model.put(op.k, op.v, "set");
          break;
        case "ttl": {
          const state = model.ttl(op.k);
          const left = await store.ttl(op.k);
          if (state === "unknown") break;
          if (state === "set") yes(left !== undefined && left > 0 && left <= TTL, `ttl ${left}`);
          else eq(left, undefined, `ttl(${show(op.k)}) of a key without TTL`);
          break;
        }
        case "persist": {
          const state = model.ttl(op.k);
          const had = await store.persist(op.k);
          if (state !== "unknown") eq(had, state === "set", `persist(${show(op.k)})`);
          model.setTtl(op.k, "none");
          break;
        }
        case "expire":
          eq(await store.expire(op.k, TTL), model.get(op.k) !== undefined, "expire");
          model.setTtl(op.k, "set");
          break;
        case "merge": {
          const next = append(op.k, model.get(op.k), op.v);
          await store.merge(op.k, op.v);
          if (next === undefined) model.delete(op.k);
          else model.put(op.k, next, model.ttl(op.k) === "set" ? "unknown" : "none");
          break;
        }
        case "tree": {
          const m = trees.get(op.name)!;
          const tree = store.tree(op.name);
          if (op.op.t === "put" || op.op.t === "del") {
            await storeWrite(tree, op.op);
            applyWrite(m, op.op);
          } else await checkScan(tree, m, op.op, `tree ${op.name}`);
          break;
        }
        case "count":
          eq(await store.count(), model.size, "count");
          break;
        case "reopen":
          await store.close();
          store = await target.reopen!(CONFIG);
          break;
      }
    }
    await checkScan(store, model, ALL, "final");
    eq(await store.count(), model.size, "final count");
    if (target.reopen) {
      await store.close();
      store = await target.reopen(CONFIG);
      await checkScan(store, model, ALL, "after reopen");
    }
    for (const [name, m] of trees) {
      await checkScan(store.tree(name), m, ALL, `final tree ${name}`);
      eq(await store.tree(name).count(), m.size, `final count of tree ${name}`);
    }
  } finally {
    await closeQuietly(store);
    await target.cleanup?.();
    if (dir) await Deno.remove(dir, { recursive: true });
  }
}
