// Every StoreError a store throws names the operation and the store's path
// (":memory:" in memory), whatever the engine: one case per class of error
// (oversize key/value, wrong types, closed store, read-only write, CAS
// mismatch, transaction conflict, bad range), run on every engine on disk and
// in memory, through the published facade.
import { ok, strictEqual } from "node:assert/strict";
import {
  type KvStore,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  openConfig,
  openInMemory,
  openReadOnly,
  openWith,
  StoreError,
  type StoreErrorKind,
  type StoreKind,
} from "@cooljapan/oxistore";

/** Where a case's store lives and how to open it (again). */
interface Target {
  name: string;
  /** The path messages must name. */
  path: string;
  open(): Promise<KvStore>;
  /** A read-only handle on the same store (after `open()`'s handle closed). */
  openReadOnly(): Promise<KvStore>;
  cleanup(): Promise<void>;
}

async function diskTarget(kind: StoreKind): Promise<Target> {
  const dir = await Deno.makeTempDir({ prefix: `oxi-errors-${kind}-` });
  const path = `${dir}/store`;
  return {
    name: `${kind}/disk`,
    path,
    open: () => openWith(kind, path),
    openReadOnly: () => openReadOnly(path),
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

function memoryTarget(kind: StoreKind): Target {
  return {
    name: `${kind}/memory`,
    path: ":memory:",
    open: () => openInMemory(kind),
    openReadOnly: () => openInMemory(kind, { readOnly: true }),
    cleanup: () => Promise.resolve(),
  };
}

/** Runs `f`, which must fail with a StoreError of `kind` naming `op` and the path. */
async function expectError(
  t: Target,
  kind: StoreErrorKind,
  op: string,
  f: () => Promise<unknown> | unknown,
): Promise<StoreError> {
  let caught: unknown;
  try {
    const r = await f();
    // A scan fails on its first step, not when it is made.
    if (r !== null && typeof r === "object" && Symbol.asyncIterator in r) {
      for await (const _ of r as AsyncIterable<unknown>) { /* drain */ }
    }
  } catch (err) {
    caught = err;
  }
  ok(caught !== undefined, `${t.name}: ${op} should have failed with ${kind}`);
  ok(caught instanceof StoreError, `${t.name}: ${op} threw a non-StoreError: ${String(caught)}`);
  strictEqual(caught.kind, kind, `${t.name}: ${op}: ${caught.message}`);
  ok(caught.message.includes(t.path), `${t.name}: message lacks the path: ${caught.message}`);
  ok(
    new RegExp(`\\b${op}\\b`).test(caught.message),
    `${t.name}: message lacks the operation "${op}": ${caught.message}`,
  );
  return caught;
}

const bad = (v: unknown) => v as never;

interface Case {
  name: string;
  run(t: Target): Promise<void>;
}

const cases: Case[] = [
  {
    name: "an oversize key or value",
    async run(t) {
      await using store = await t.open();
      const longKey = new Uint8Array(MAX_KEY_BYTES + 1);
      const e = await expectError(t, "InvalidInput", "put", () => store.put(longKey, "v"));
      ok(e.message.includes(`${MAX_KEY_BYTES + 1} bytes`), e.message);
      await expectError(t, "InvalidInput", "get", () => store.get(longKey));
      await expectError(t, "InvalidInput", "delete", () => store.delete(longKey));
      await expectError(t, "InvalidInput", "batchWrite", () => store.batchWrite([[longKey, "v"]]));
      const big = new Uint8Array(MAX_VALUE_BYTES + 1);
      await expectError(t, "InvalidInput", "put", () => store.put("k", big));
      await expectError(t, "InvalidInput", "putWithTtl", () => store.putWithTtl("k", big, 1000));
    },
  },
  {
    name: "arguments of the wrong type",
    async run(t) {
      await using store = await t.open();
      await expectError(t, "InvalidInput", "put", () => store.put(bad(42), "v"));
      await expectError(t, "InvalidInput", "put", () => store.put("k", bad({})));
      await expectError(t, "InvalidInput", "get", () => store.get(bad(null)));
      await expectError(t, "InvalidInput", "getMany", () => store.getMany(bad("k")));
      await expectError(t, "InvalidInput", "batchWrite", () => store.batchWrite(bad("x")));
      await expectError(t, "InvalidInput", "batchWrite", () => store.batchWrite([bad(["k"])]));
      await expectError(t, "InvalidInput", "batchDelete", () => store.batchDelete(bad(7)));
      await expectError(t, "InvalidInput", "putWithTtl", () => store.putWithTtl("k", "v", -1));
      await expectError(t, "InvalidInput", "expire", () => store.expire("k", Number.NaN));
      await expectError(
        t,
        "InvalidInput",
        "compareAndSwap",
        () => store.compareAndSwap("k", bad(5), "v"),
      );
      await expectError(t, "InvalidInput", "watch", () => store.watch(bad(5)));
      await expectError(t, "InvalidInput", "tree", () => store.tree(""));
    },
  },
  {
    name: "a bad range",
    async run(t) {
      await using store = await t.open();
      await store.put("a", "1");
      await expectError(t, "InvalidInput", "range", () => store.range(bad(5), "z"));
      await expectError(t, "InvalidInput", "range", () => store.range("a", "z", { limit: -1 }));
      await expectError(t, "InvalidInput", "rangeRev", () => store.rangeRev("a", bad([])));
      await expectError(t, "InvalidInput", "prefixScan", () => store.prefixScan(bad(1)));
      await expectError(t, "InvalidInput", "keys", () => store.keys(bad(1)));
      await expectError(t, "InvalidInput", "count", () => store.count(bad({})));
      await using txn = await store.transaction();
      await expectError(t, "InvalidInput", "range", () => txn.range(bad(5)));
      await using snap = await store.snapshot();
      await expectError(t, "InvalidInput", "prefixScan", () => snap.prefixScan(bad(5)));
      await expectError(t, "InvalidInput", "get", () => snap.get(bad(5)));
    },
  },
  {
    name: "a closed store",
    async run(t) {
      const store = await t.open();
      const tree = store.tree("t");
      await store.close();
      await expectError(t, "Closed", "get", () => store.get("k"));
      await expectError(t, "Closed", "put", () => store.put("k", "v"));
      await expectError(t, "Closed", "range", () => store.range());
      await expectError(t, "Closed", "get", () => tree.get("k"));
    },
  },
  {
    name: "a write to a read-only store",
    async run(t) {
      await (await t.open()).close();
      await using store = await t.openReadOnly();
      await expectError(t, "ReadOnly", "put", () => store.put("k", "v"));
      await expectError(t, "ReadOnly", "delete", () => store.delete("k"));
      await expectError(t, "ReadOnly", "batchWrite", () => store.batchWrite([["k", "v"]]));
      await using txn = await store.transaction();
      await expectError(t, "ReadOnly", "put", () => txn.put("k", "v"));
    },
  },
  {
    name: "a compare-and-swap mismatch",
    async run(t) {
      await using store = await t.open();
      await store.put("k", "1");
      await expectError(
        t,
        "CasMismatch",
        "compareAndSwap",
        () => store.compareAndSwap("k", "2", "3"),
      );
      await expectError(
        t,
        "CasMismatch",
        "compareAndSwap",
        () => store.compareAndSwap("k", null, "3"),
      );
    },
  },
  {
    name: "a transaction conflict, and use after commit",
    async run(t) {
      await using store = await t.open();
      await store.put("k", "0");
      const a = await store.transaction();
      const b = await store.transaction();
      await a.get("k");
      await b.get("k");
      await a.put("k", "a");
      await b.put("k", "b");
      await a.commit();
      await expectError(t, "TxnConflict", "commit", () => b.commit());
      await expectError(t, "InvalidInput", "get", () => a.get("k"));
    },
  },
  {
    name: "a merge without an operator",
    async run(t) {
      await using store = await t.open();
      await expectError(t, "Unsupported", "merge", () => store.merge("k", "1"));
    },
  },
];

const kinds: StoreKind[] = ["btree", "lsm", "denokv"];
for (const kind of kinds) {
  for (const where of ["disk", "memory"] as const) {
    for (const c of cases) {
      Deno.test(`errors: ${kind}/${where}: ${c.name} names the operation and the path`, async () => {
        const t = where === "disk" ? await diskTarget(kind) : memoryTarget(kind);
        try {
          await c.run(t);
        } finally {
          await t.cleanup();
        }
      });
    }
  }
}

Deno.test("errors: a config-opened store names its path too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oxi-errors-config-" });
  try {
    const path = `${dir}/store`;
    await using store = await openConfig(path, { kind: "lsm", syncWrites: false });
    const t: Target = {
      name: "lsm/config",
      path,
      open: () => Promise.resolve(store),
      openReadOnly: () => Promise.reject(new Error("unused")),
      cleanup: () => Promise.resolve(),
    };
    await expectError(
      t,
      "InvalidInput",
      "put",
      () => store.put(new Uint8Array(MAX_KEY_BYTES + 1), "v"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
