// The facade's doors to the other families: cached KV, blobs and columnar tables.
import { StoreError } from "../../core/error.ts";
import { openBlob, openCached, openColumnar } from "../../mod.ts";

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "resolved";
  } catch (err) {
    return err instanceof StoreError ? err.kind : `raw ${err}`;
  }
}

const parquet = new URL("../../../shared/parquet-testing/data/", import.meta.url);

Deno.test("facade: openColumnar reads a Parquet file written by another tool", async () => {
  const table = await openColumnar(new URL("alltypes_plain.parquet", parquet).pathname);
  assert(table.numRows === 8, `alltypes_plain has 8 rows, got ${table.numRows}`);
  assert(table.schema.fields.some((f) => f.name === "bool_col"), "bool_col column");
});

Deno.test("facade: openColumnar on a non-Parquet file or a missing path is a clear StoreError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/x.parquet`, "definitely not parquet");
    assert(await kindOf(openColumnar(`${dir}/x.parquet`)) === "Corruption", "junk is Corruption");
    assert(
      await kindOf(openColumnar(`${dir}/missing.parquet`)) === "NotFound",
      "missing is NotFound",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("facade: openBlob stores and verifies blobs under a root", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const blobs = await openBlob(dir);
    await blobs.put("a/b.txt", new TextEncoder().encode("hello"));
    assert(new TextDecoder().decode(await blobs.get("a/b.txt")) === "hello", "round trip");
    assert(await kindOf(blobs.get("../escape")) === "InvalidInput", "keys cannot leave the root");
    await blobs.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("facade: openCached serves repeated reads from its cache and never a stale value", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using store = await openCached("btree", `${dir}/c.oxi`, 100);
    await store.put("k", "1");
    await store.get("k");
    await store.get("k");
    assert(store.metrics().cacheHits >= 1, "a repeated read hits the cache");
    await store.put("k", "2");
    assert(
      new TextDecoder().decode(await store.get("k")) === "2",
      "a write replaces the cached value",
    );
    assert(await kindOf(openCached("btree", `${dir}/d.oxi`, 0)) === "InvalidInput", "capacity 0");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
