// The suite tests itself: each mutant is the reference store with one
// deliberate contract violation, and the behaviour group meant to notice it
// must fail. A group that passes against its mutant asserts too little.
import fc from "fast-check";
import { EngineStore } from "../../core/engine_store.ts";
import { emptyMetrics, type StoreConfig } from "../../core/config.ts";
import { StoreError } from "../../core/error.ts";
import type { KvChange, KvSnapshot, KvStore, KvTxn } from "../../core/kv.ts";
import { SortedArrayEngine } from "../_support/sorted_engine.ts";
import { type Case, runCase } from "./_helpers.ts";
import { opArb, runSequence } from "./_property_ops.ts";
import { CASES } from "./suite.ts";
import type { ConformanceTarget } from "./target.ts";

/** `store` with some methods replaced; everything else forwards to it. */
function patch(store: KvStore, overrides: Partial<Record<keyof KvStore, unknown>>): KvStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop in overrides) return overrides[prop as keyof KvStore];
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

function forward<T extends object>(inner: T, overrides: Partial<Record<keyof T, unknown>>): T {
  return patch(inner as unknown as KvStore, overrides as never) as unknown as T;
}

interface Mutant {
  name: string;
  /** The behaviour group that must notice. */
  caseId: string;
  wrap?: (s: KvStore) => KvStore;
  /** Replaces the target's reopen. */
  reopen?: (last: SortedArrayEngine, config?: StoreConfig) => KvStore;
}

const plain = (engine: SortedArrayEngine, config?: StoreConfig) =>
  new EngineStore(engine, {
    kind: "btree",
    syncWrites: config?.syncWrites,
    readOnly: config?.readOnly,
    mergeOperator: config?.mergeOperator,
  });

const MUTANTS: Mutant[] = [
  {
    name: "a plain put keeps the old TTL",
    caseId: "ttl",
    wrap: (s) =>
      patch(s, {
        async put(k: string, v: string) {
          const left = await s.ttl(k);
          return left ? s.putWithTtl(k, v, left) : s.put(k, v);
        },
      }),
  },
  {
    name: "range ignores limit",
    caseId: "range",
    wrap: (s) =>
      patch(s, {
        range: (lo?: string, hi?: string, o?: { reverse?: boolean }) =>
          s.range(lo, hi, { reverse: o?.reverse === true }),
      }),
  },
  {
    name: "prefixScan stops one key early",
    caseId: "prefixScan",
    wrap: (s) =>
      patch(s, {
        async *prefixScan(p: string) {
          const all = [];
          for await (const e of s.prefixScan(p)) all.push(e);
          yield* all.slice(0, -1);
        },
      }),
  },
  {
    name: "batchWrite writes pairs one by one",
    caseId: "batch",
    wrap: (s) =>
      patch(s, {
        async batchWrite(pairs: [string, string][]) {
          for (const [k, v] of pairs) await s.put(k, v);
        },
      }),
  },
  {
    name: "compareAndSwap never checks",
    caseId: "cas",
    wrap: (s) =>
      patch(s, {
        compareAndSwap: (k: string, _e: unknown, n: string | null) =>
          n === null ? s.delete(k) : s.put(k, n),
      }),
  },
  {
    name: "get hands out a shared array",
    caseId: "bytes",
    wrap: (s) => {
      const cache = new Map<string, Uint8Array | undefined>();
      return patch(s, {
        async get(k: string | Uint8Array) {
          const id = String(k);
          if (!cache.has(id)) cache.set(id, await s.get(k));
          return cache.get(id);
        },
      });
    },
  },
  {
    name: "keys() reads every value",
    caseId: "iter-keys-count",
    wrap: (s) =>
      patch(s, {
        async *keys() {
          for await (const [k] of s.iter()) yield k;
        },
      }),
  },
  {
    name: "commit swallows TxnConflict",
    caseId: "txn-conflict",
    wrap: (s) =>
      patch(s, {
        async transaction() {
          const t = await s.transaction();
          return forward<KvTxn>(t, {
            async commit() {
              try {
                await t.commit();
              } catch (err) {
                if (!(err instanceof StoreError && err.kind === "TxnConflict")) throw err;
              }
            },
          });
        },
      }),
  },
  {
    name: "transactions read live data",
    caseId: "txn-isolation",
    wrap: (s) =>
      patch(s, {
        async transaction() {
          return forward<KvTxn>(await s.transaction(), { get: (k: string) => s.get(k) });
        },
      }),
  },
  {
    name: "snapshots read live data",
    caseId: "snapshot",
    wrap: (s) =>
      patch(s, {
        async snapshot() {
          return forward<KvSnapshot>(await s.snapshot(), { get: (k: string) => s.get(k) });
        },
      }),
  },
  {
    name: "restore merges instead of replacing",
    caseId: "backup-restore",
    wrap: (s) =>
      patch(s, {
        async restore(path: string) {
          const before = [];
          for await (const e of s.iter()) before.push(e);
          await s.restore(path);
          for (const [k, v] of before) if (!(await s.contains(k))) await s.put(k, v);
        },
      }),
  },
  {
    name: "watch drops deletes",
    caseId: "watch",
    wrap: (s) =>
      patch(s, {
        async *watch(p: string) {
          for await (const c of s.watch(p) as AsyncIterable<KvChange>) {
            if (c.value !== undefined) yield c;
          }
        },
      }),
  },
  {
    name: "tree() returns the default tree",
    caseId: "tree",
    wrap: (s) => patch(s, { tree: () => s }),
  },
  {
    name: "merge forgets the old value",
    caseId: "merge",
    wrap: (s) =>
      patch(s, {
        async merge(k: string, v: string) {
          await s.delete(k);
          await s.merge(k, v);
        },
      }),
  },
  {
    name: "metrics are never counted",
    caseId: "metrics",
    wrap: (s) => patch(s, { metrics: () => emptyMetrics() }),
  },
  {
    name: "close is a no-op",
    caseId: "close",
    wrap: (s) => patch(s, { close: () => Promise.resolve() }),
  },
  {
    name: "reopen ignores readOnly",
    caseId: "read-only",
    reopen: (last, config) => plain(last, { ...config, readOnly: false }),
  },
  {
    name: "reopen loses the data",
    caseId: "reopen",
    reopen: (_last, config) => plain(new SortedArrayEngine(), config),
  },
];

function mutantTarget(m: Mutant): ConformanceTarget {
  let last: SortedArrayEngine | undefined;
  const wrap = m.wrap ?? ((s: KvStore) => s);
  return {
    name: `mutant: ${m.name}`,
    open(config) {
      last = new SortedArrayEngine();
      return Promise.resolve(wrap(plain(last, config)));
    },
    reopen(config) {
      const store = m.reopen ? m.reopen(last!, config) : plain(last!, config);
      return Promise.resolve(wrap(store));
    },
  };
}

for (const m of MUTANTS) {
  Deno.test(`the "${m.caseId}" group catches a mutant: ${m.name}`, async () => {
    const c: Case | undefined = CASES.find((x) => x.id === m.caseId);
    if (!c) throw new Error(`no case ${m.caseId}`);
    let failed = false;
    try {
      await runCase(mutantTarget(m), c);
    } catch {
      failed = true;
    }
    if (!failed) throw new Error(`"${c.title}" passed against the mutant "${m.name}"`);
  });
}

Deno.test("the property test catches a mutant: range ignores limit", async () => {
  const target = mutantTarget(MUTANTS.find((m) => m.caseId === "range")!);
  const out = await fc.check(
    fc.asyncProperty(
      fc.array(opArb(true), { maxLength: 50, size: "max" }),
      (ops) => runSequence(target, ops),
    ),
    { numRuns: 200, interruptAfterTimeLimit: 10_000 },
  );
  if (!out.failed) throw new Error("the property test passed against the mutant");
});

Deno.test("control: the same groups pass through the patching proxy without a mutation", async () => {
  const control: Mutant = { name: "none", caseId: "", wrap: (s) => patch(s, {}) };
  for (const id of new Set(MUTANTS.map((m) => m.caseId))) {
    await runCase(mutantTarget(control), CASES.find((x) => x.id === id)!);
  }
});
