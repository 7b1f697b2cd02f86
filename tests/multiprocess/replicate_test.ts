// `oxistore replicate` beside a process that holds an LSM store open and
// writes: the replicator learns of every commit the writer makes (the engine
// reports other openers' commits), so a restore equals the writer's store.
import { deepStrictEqual, equal } from "node:assert/strict";
import { open, openWith } from "@cooljapan/oxistore";
import { cli, contents, sleep, startReplicate } from "../replica/_helpers.ts";

Deno.test("lsm: replicate beside a running writer follows the commits it makes; a restore equals its store", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oxi-mp-rep-" });
  try {
    const path = `${dir}/app.lsm`;
    const url = `file://${dir}/blobs`;
    await using store = await openWith("lsm", path);
    await store.put("first", "1");
    const rep = await startReplicate([path, url, "--interval", "20"]);
    for (let i = 0; i < 40; i++) await store.put(`k${i}`, `${i}`);
    await store.delete("k7");
    await store.batchWrite([["b1", "x"], ["b2", "y"]]);
    // The replicator follows the tip every few ms and uploads every 20 ms.
    await sleep(500);
    const stopped = await rep.stop();
    equal(stopped.code, 0, stopped.err);
    const restored = await cli(["restore-replica", url, `${dir}/restored`]);
    equal(restored.code, 0, restored.err);
    await using copy = await open(`${dir}/restored`);
    deepStrictEqual(await contents(copy), await contents(store));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
