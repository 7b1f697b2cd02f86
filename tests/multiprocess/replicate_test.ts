// `oxistore replicate` beside a process that holds an LSM store open and
// writes: the replicator learns of every commit the writer makes (the engine
// reports other openers' commits), so a restore equals the writer's store.
import { deepStrictEqual, equal } from "node:assert/strict";
import { open, openWith } from "@cooljapan/oxistore";
import { contents } from "../replica/_helpers.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const dec = new TextDecoder();

Deno.test("lsm: replicate beside a running writer follows the commits it makes; a restore equals its store", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oxi-mp-rep-" });
  try {
    const path = `${dir}/app.lsm`;
    const url = `file://${dir}/blobs`;
    await using store = await openWith("lsm", path);
    await store.put("first", "1");
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", CLI, "replicate", path, url, "--interval", "20"],
      stdout: "null",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let err = "";
    while (!err.includes("generation")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`replicate ended early: ${err}`);
      err += value;
    }
    for (let i = 0; i < 40; i++) await store.put(`k${i}`, `${i}`);
    await store.delete("k7");
    await store.batchWrite([["b1", "x"], ["b2", "y"]]);
    // The replicator follows the tip every few ms and uploads every 20 ms.
    await new Promise((r) => setTimeout(r, 500));
    child.kill("SIGTERM");
    for (let r = await reader.read(); !r.done; r = await reader.read()) err += r.value;
    equal((await child.status).code, 0, err);
    const restored = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", CLI, "restore-replica", url, `${dir}/restored`],
    }).output();
    equal(restored.code, 0, dec.decode(restored.stderr));
    await using copy = await open(`${dir}/restored`);
    deepStrictEqual(await contents(copy), await contents(store));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
