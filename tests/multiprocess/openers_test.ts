// Several openers of one store (B-tree file or LSM directory), on the user's path: two isolates of
// one process (a Worker), watch across processes, the CLI on a store a
// running process holds open.
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { openConfig, openWith } from "@cooljapan/oxistore";
import type { KvStore, StoreKind } from "@cooljapan/oxistore";

const dec = new TextDecoder();
const WORKER = new URL("./_opener_worker.ts", import.meta.url).href;
const PUT = new URL("./_put_child.ts", import.meta.url).pathname;
const CLI = new URL("../../cli.ts", import.meta.url).pathname;

for (const kind of ["btree", "lsm"] as StoreKind[]) {
  Deno.test(`${kind}: openers creating a new store at the same moment all open it`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "oxi-mp-" });
    try {
      // Handles of one process, then processes: every round a fresh path.
      for (let round = 0; round < 3; round++) {
        const path = `${dir}/handles${round}`;
        const stores = await Promise.all([0, 1, 2].map(() => openWith(kind, path)));
        await Promise.all(stores.map((s, i) => s.put(`h${i}`, String(i))));
        for (const s of stores) equal(await s.count(), 3);
        for (const s of stores) await s.close();
      }
      for (let round = 0; round < 3; round++) {
        const path = `${dir}/procs${round}`;
        const children = [0, 1].map((i) =>
          new Deno.Command(Deno.execPath(), {
            args: ["run", "-A", "--no-check", PUT, kind, path, `p${i}=${i}`],
            stderr: "piped",
          }).output()
        );
        for (const out of await Promise.all(children)) {
          equal(out.success, true, dec.decode(out.stderr));
        }
        await using store = await openWith(kind, path);
        deepStrictEqual(await store.count(), 2);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`${kind}: two isolates of one process (a Worker) share the store both ways, transactions conflict`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "oxi-mp-" });
    const path = `${dir}/store`;
    const worker = new Worker(WORKER, { type: "module" });
    const ask = (m: unknown) =>
      new Promise<unknown>((resolve, reject) => {
        worker.onmessage = (e) => (e.data.err ? reject(new Error(e.data.err)) : resolve(e.data.ok));
        worker.postMessage(m);
      });
    let store: KvStore | undefined;
    try {
      store = await openWith(kind, path);
      await store.put("main", "1");
      await ask({ op: "open", kind, path });
      equal(await ask({ op: "get", key: "main" }), "1");
      await ask({ op: "put", key: "worker", value: "2" });
      equal(dec.decode(await store.get("worker")), "2");
      // First committer wins, whichever isolate it is in.
      const txn = await store.transaction();
      await txn.get("worker");
      await ask({ op: "put", key: "worker", value: "3" });
      await txn.put("worker", "main's");
      const err = await txn.commit().then(() => undefined, (e) => e);
      equal(err?.kind, "TxnConflict");
      equal(dec.decode(await store.get("worker")), "3");
      // A snapshot taken before the worker's commit keeps its view.
      await using snap = await store.snapshot();
      await ask({ op: "put", key: "late", value: "4" });
      equal(await snap.get("late"), undefined);
      equal(dec.decode(await store.get("late")), "4");
      await ask({ op: "close" });
    } finally {
      worker.terminate();
      await store?.close();
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`${kind}: watch() delivers another process's commits, in order`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "oxi-mp-" });
    const path = `${dir}/store`;
    try {
      await using store = await openWith(kind, path);
      const changes = store.watch("w/");
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-check", PUT, kind, path, "w/1=a", "x/skip=b", "w/2=c", "w/1=d"],
      }).output();
      const got: string[] = [];
      for await (const c of changes) {
        got.push(`${dec.decode(c.key)}=${c.value === undefined ? "-" : dec.decode(c.value)}`);
        if (got.length === 3) break;
      }
      ok((await child).success);
      deepStrictEqual(got, ["w/1=a", "w/2=c", "w/1=d"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`${kind}: the CLI's stat, get, scan and backup work on a store a running process holds open`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "oxi-mp-" });
    const path = `${dir}/store`;
    const cli = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-check", CLI, ...args],
      }).output();
      return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
    };
    try {
      await using store = await openWith(kind, path);
      await store.batchWrite([["a", "1"], ["b", "2"]]);
      const stat = await cli("stat", path);
      equal(stat.code, 0, stat.err);
      ok(stat.out.includes(kind), stat.out);
      const get = await cli("get", path, "b");
      equal(get.code, 0, get.err);
      equal(get.out.trim(), "2");
      await store.put("c", "3"); // committed after the CLI's first look
      const scan = await cli("scan", path);
      equal(scan.code, 0, scan.err);
      deepStrictEqual(scan.out.trim().split("\n"), ["a\t1", "b\t2", "c\t3"]);
      const backup = await cli("backup", path, `${dir}/copy.oxb`);
      equal(backup.code, 0, backup.err);
      // The holder goes on writing after all of it.
      await store.put("d", "4");
      equal(await store.count(), 4);
      const restored = await cli("restore", `${dir}/copy.oxb`, `${dir}/restored`, "--kind", kind);
      equal(restored.code, 0, restored.err);
      await using copy = await openConfig(`${dir}/restored`, { kind, readOnly: true });
      equal(await copy.count(), 3);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
