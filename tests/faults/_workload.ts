// The workload every crash point and fault runs: create, single commits,
// batches, deletes, a transaction, large values (the B-tree's checkpoints),
// enough data to flush and compact (the LSM's), a clean reopen, compact() and
// a backup. Each step says what it does to the model once acknowledged.
import type { KvStore } from "../../core/kv.ts";

/** Key → value (strings keep the model and the messages readable). */
export type Model = Map<string, string>;

/** One step: `run` against the store; `apply` to the model once it resolved. */
export interface Step {
  name: string;
  run(store: KvStore): Promise<void>;
  apply(model: Model): void;
  /** Closes and reopens the store (the harness does it). */
  reopen?: true;
  /** `flush()`: with `syncWrites: false`, the commits before it are acknowledged once it resolves. */
  flush?: true;
}

const nothing = (): void => {};

function put(key: string, value: string): Step {
  return {
    name: `put ${key}`,
    run: (s) => s.put(key, value),
    apply: (m) => void m.set(key, value),
  };
}

function del(key: string): Step {
  return { name: `delete ${key}`, run: (s) => s.delete(key), apply: (m) => void m.delete(key) };
}

function batch(name: string, pairs: [string, string][]): Step {
  return {
    name,
    run: (s) => s.batchWrite(pairs),
    apply: (m) => {
      for (const [k, v] of pairs) m.set(k, v);
    },
  };
}

function batchDelete(name: string, keys: string[]): Step {
  return {
    name,
    run: (s) => s.batchDelete(keys),
    apply: (m) => {
      for (const k of keys) m.delete(k);
    },
  };
}

function pad(i: number): string {
  return String(i).padStart(4, "0");
}

/** A value of `n` bytes that names its key and version (a torn one cannot pass). */
function value(key: string, version: number, n: number): string {
  const head = `${key}@${version}:`;
  return head + "x".repeat(Math.max(0, n - head.length));
}

/** Options that size the workload to an engine. */
export interface WorkloadOptions {
  /** Bytes of the "large" values (the B-tree writes values over 64 KiB once, by a checkpoint). */
  largeValue: number;
  /** Keys of the bulk batch (enough to flush a small LSM memtable). */
  bulkKeys: number;
  /** Where the backup step writes (a real temp file: backups leave the store's disk). */
  backupPath: string;
  /** Batches enough to fill the B-tree's first commit log (the LSM flushes plenty without). */
  logFill: boolean;
}

/** The steps, in order. */
export function workload(o: WorkloadOptions): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < 6; i++) steps.push(put(`k${pad(i)}`, value(`k${pad(i)}`, 1, 40)));
  steps.push(
    batch(
      "batch of 24",
      Array.from({ length: 24 }, (_, i) => {
        const k = `b${pad(i)}`;
        return [k, value(k, 1, 100)] as [string, string];
      }),
    ),
  );
  steps.push(del("k0001"), put("k0002", value("k0002", 2, 300)));
  steps.push(batchDelete("batch delete", ["b0003", "b0004", "b0005", "missing"]));
  steps.push(put("large1", value("large1", 1, o.largeValue)));
  for (let i = 0; i < 8; i++) steps.push(put(`k${pad(i % 4)}`, value(`k${pad(i % 4)}`, 3 + i, 60)));
  steps.push({
    name: "transaction",
    run: async (s) => {
      const t = await s.transaction();
      t.put("t1", "txn-1");
      t.put("k0003", "txn-3");
      t.delete("b0010");
      await t.commit();
    },
    apply: (m) => {
      m.set("t1", "txn-1");
      m.set("k0003", "txn-3");
      m.delete("b0010");
    },
  });
  steps.push({ name: "reopen", run: () => Promise.resolve(), apply: nothing, reopen: true });
  steps.push(
    batch(
      "bulk",
      Array.from({ length: o.bulkKeys }, (_, i) => {
        const k = `z${pad(i)}`;
        return [k, value(k, 1, 80)] as [string, string];
      }),
    ),
  );
  steps.push(put("large2", value("large2", 1, o.largeValue)), del("large1"));
  steps.push(
    batchDelete("bulk delete", Array.from({ length: o.bulkKeys / 2 }, (_, i) => `z${pad(2 * i)}`)),
  );
  // Enough logged commits to fill the B-tree's first commit log (64 KiB): a
  // checkpoint merges the write buffer and moves to a new log.
  for (let b = 0; b < (o.logFill ? 6 : 0); b++) {
    steps.push(
      batch(
        `log fill ${b}`,
        Array.from({ length: 20 }, (_, i) => {
          const k = `f${pad((i * 7 + b * 3) % 40)}-${b % 2}`;
          return [k, value(k, b, 600)] as [string, string];
        }),
      ),
    );
  }
  steps.push({ name: "compact", run: (s) => s.compact(), apply: nothing });
  steps.push({ name: "backup", run: (s) => s.backup(o.backupPath), apply: nothing });
  for (let i = 0; i < 6; i++) steps.push(put(`e${pad(i)}`, value(`e${pad(i)}`, 1, 50)));
  steps.push(del("k0000"), put("k0002", value("k0002", 9, 70)));
  steps.push({ name: "reopen", run: () => Promise.resolve(), apply: nothing, reopen: true });
  steps.push(put("last", "the end"));
  return steps;
}

/** The model after `steps`. */
export function modelOf(steps: Step[]): Model {
  const m: Model = new Map();
  for (const s of steps) s.apply(m);
  return m;
}

/** The workload with a `flush()` after every fourth step (for stores opened with `syncWrites: false`). */
export function relaxed(steps: Step[]): Step[] {
  const out: Step[] = [];
  steps.forEach((step, i) => {
    out.push(step);
    if (i % 4 === 3) {
      out.push({
        name: "flush",
        run: (s) => s.flush(),
        apply: nothing,
        flush: true,
      });
    }
  });
  return out;
}
