// Errors through the layers name the operation and the store path too.
import { ok } from "node:assert/strict";
import { openWith, StoreError } from "@cooljapan/oxistore";
import { randomKey } from "@cooljapan/oxistore/encrypt";
import { stackLayers } from "@cooljapan/oxistore/layers";
import { withTempDir } from "../_support/temp_dir.ts";

async function message(p: Promise<unknown> | (() => unknown)): Promise<StoreError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    ok(err instanceof StoreError, String(err));
    return err;
  }
  throw new Error("expected a StoreError");
}

Deno.test("layers: input, decode and closed errors name the operation and the store path", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/s.oxi`;
    const engine = await openWith("btree", path);
    const store = await stackLayers(engine, {
      cache: { maxEntries: 100 },
      compress: { codec: "lz4" },
      encrypt: { keys: { k1: randomKey() }, activeKeyId: "k1" },
    });
    ok(store.path === path, `the stack reports the engine's path (${store.path})`);
    const big = await message(store.put(new Uint8Array(3000), "v"));
    ok(big.kind === "InvalidInput" && big.message.includes(`put in store at ${path}`), big.message);
    await engine.put("raw", "not sealed");
    const bad = await message(store.get("raw"));
    ok(bad.kind === "Corruption" && bad.message.includes(path), bad.message);
    const sync = await message(() => store.getSync("raw"));
    ok(sync.kind === "Unsupported" && sync.message.includes(path), sync.message);
    await store.close();
    const closed = await message(store.get("x"));
    ok(
      closed.kind === "Closed" && closed.message.includes(`get in store at ${path}`),
      closed.message,
    );
  });
});
