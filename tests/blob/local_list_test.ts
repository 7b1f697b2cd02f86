import assert from "node:assert/strict";
import { join } from "node:path";
import { LocalBlobStore } from "../../blob/local_blob_store.ts";

async function pageThrough(
  store: LocalBlobStore,
  prefix: string,
  between: (page: number) => Promise<void>,
): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  let page = 0;
  do {
    const res = await store.list(prefix, cursor ? { limit: 3, cursor } : { limit: 3 });
    keys.push(...res.items.map((m) => m.key));
    cursor = res.cursor;
    if (cursor) await between(++page);
  } while (cursor);
  return keys;
}

Deno.test("local list: pages of a settled directory see keys another store adds meanwhile", async () => {
  const root = await Deno.makeTempDir({ prefix: "oxiblob-" });
  try {
    const a = await LocalBlobStore.open(root);
    const b = await LocalBlobStore.open(root);
    for (const k of ["d/01", "d/02", "d/03", "d/04", "d/05", "d/06", "d/07"]) await a.put(k, k);
    await new Promise((r) => setTimeout(r, 120)); // let the directory's mtime settle
    const keys = await pageThrough(a, "d/", async (page) => {
      if (page === 1) {
        await b.put("d/055", "new, after the cursor");
        await b.delete("d/06");
        await b.put("d/00", "new, before the cursor");
      }
    });
    assert.deepEqual(keys, ["d/01", "d/02", "d/03", "d/04", "d/05", "d/055", "d/07"]);
    await a.close();
    await b.close();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("local list: paging a nested tree with no changes returns every key once", async () => {
  const root = await Deno.makeTempDir({ prefix: "oxiblob-" });
  try {
    const s = await LocalBlobStore.open(root);
    const want: string[] = [];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) want.push(`t/${i}/${j}`, `t/${i}-${j}`);
    }
    for (const k of want) await s.put(k, k);
    await new Promise((r) => setTimeout(r, 120));
    const keys = await pageThrough(s, "t/", () => Promise.resolve());
    assert.deepEqual(keys, [...want].sort());
    // Files that are not blobs (foreign or half-named) never show up.
    await Deno.writeTextFile(join(root, "t", "stray.txt"), "not a blob");
    await Deno.writeTextFile(join(root, ".oxistore", "meta", "t", "bad%zz~blob"), "not ours");
    assert.deepEqual(await pageThrough(s, "t/", () => Promise.resolve()), [...want].sort());
    await s.close();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("local list: relisting a settled directory shows another store's overwrite and delete", async () => {
  const root = await Deno.makeTempDir({ prefix: "oxiblob-" });
  try {
    const a = await LocalBlobStore.open(root);
    const b = await LocalBlobStore.open(root);
    for (const k of ["s/1", "s/2", "s/3"]) await a.put(k, k, { metadata: { v: "old" } });
    await new Promise((r) => setTimeout(r, 120));
    const first = await a.list("s/");
    assert.deepEqual(first.items.map((m) => m.metadata.v), ["old", "old", "old"]);
    const again = await a.list("s/"); // served from the cache: same answer
    assert.deepEqual(again.items.map((m) => m.etag), first.items.map((m) => m.etag));
    const fresh = await b.put("s/2", "changed", { metadata: { v: "new" } });
    await b.delete("s/3");
    const after = await a.list("s/");
    assert.deepEqual(after.items.map((m) => [m.key, m.metadata.v]), [["s/1", "old"], [
      "s/2",
      "new",
    ]]);
    assert.equal(after.items[1]!.etag, fresh.etag);
    await a.close();
    await b.close();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
