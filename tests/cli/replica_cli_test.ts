// `oxistore replicate` beside a running writer, stopped by a signal, then
// `oxistore restore-replica` — as a user runs them, in subprocesses.
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { open, openWith, type StoreKind } from "@cooljapan/oxistore";
import { cli, contents, startReplicate } from "../replica/_helpers.ts";

for (const kind of ["btree", "lsm"] as const satisfies StoreKind[]) {
  Deno.test(`cli/${kind}: replicate a store until SIGTERM, then restore-replica rebuilds it`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/app.${kind}`;
      const url = `file://${dir}/blobs`;
      {
        await using store = await openWith(kind, path);
        await store.batchWrite([["a", "1"], ["b", "2"]]);
        await store.tree("t").put("x", "y");
      }
      const rep = await startReplicate([path, url, "--interval", "20"]);
      const stopped = await rep.stop();
      strictEqual(stopped.code, 0, stopped.err);
      match(stopped.err, /SIGTERM: stopped/);

      const restored = await cli(["restore-replica", url, `${dir}/restored.oxi`]);
      strictEqual(restored.code, 0, restored.err);
      await using copy = await open(`${dir}/restored.oxi`);
      await using orig = await open(path);
      deepStrictEqual(await contents(copy, ["t"]), await contents(orig, ["t"]));

      const again = await cli(["restore-replica", url, `${dir}/restored.oxi`]);
      strictEqual(again.code, 1, "an existing destination is refused");
      match(again.err, /AlreadyExists/);
      const badAt = await cli(["restore-replica", url, `${dir}/r2.oxi`, "--at", "yesterday"]);
      strictEqual(badAt.code, 2);
      match(badAt.err, /--at must be an ISO time/);
      const early = await cli([
        "restore-replica",
        url,
        `${dir}/r3.oxi`,
        "--at",
        "2001-01-01T00:00:00Z",
      ]);
      strictEqual(early.code, 1);
      match(early.err, /NotFound/);
      ok(!(await Deno.lstat(`${dir}/r3.oxi`).then(() => true, () => false)), "nothing left");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("cli/btree: replicate follows commits another process makes while it runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/app.oxi`;
    const url = `file://${dir}/blobs`;
    await using store = await openWith("btree", path);
    await store.put("first", "1");
    const rep = await startReplicate([path, url, "--interval", "20"]);
    for (let i = 0; i < 40; i++) await store.put(`k${i}`, `${i}`);
    await store.delete("k7");
    // The replicator learns of commits by following the file every few ms.
    await new Promise((r) => setTimeout(r, 500));
    const stopped = await rep.stop();
    strictEqual(stopped.code, 0, stopped.err);
    const restored = await cli(["restore-replica", url, `${dir}/restored.oxi`, "--kind", "lsm"]);
    strictEqual(restored.code, 0, restored.err);
    await using copy = await openWith("lsm", `${dir}/restored.oxi`);
    deepStrictEqual(await contents(copy), await contents(store));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
