// A LocalBlobStore directory is plain files: each blob is <root>/<key>, byte for byte,
// readable by any program; stores of the first format (OXIBLOB1) open and are upgraded.
import assert from "node:assert/strict";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { LocalBlobStore, sha256 } from "@cooljapan/oxistore/blob";
import { ColumnarTable, PartitionedDataset } from "@cooljapan/oxistore/columnar";
import { expectKind, pseudoRandom, streamOf } from "./suite.ts";

const FIXTURE = new URL("./fixtures/format1", import.meta.url).pathname;
const dec = new TextDecoder();

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "oxiblob-files-" });
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Every file under `dir`, relative, skipping the store's private directory. */
async function plainFiles(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, rel))) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (path === ".oxistore") continue;
    if (e.isDirectory) out.push(...await plainFiles(dir, path));
    else out.push(path);
  }
  return out.sort();
}

Deno.test("local files: every write path leaves the blob's exact bytes at <root>/<key>", async () => {
  await withRoot(async (root) => {
    const store = await LocalBlobStore.open(root);
    const big = pseudoRandom(300_000, 7);
    await store.put("plain.txt", "hello\n", { contentType: "text/plain", metadata: { a: "1" } });
    await store.put("dir/sub/bin", new Uint8Array([0, 255, 10, 13]));
    await store.put("spaces and ünïcode/😀 %41~x.json", '{"ok":true}');
    await store.put("empty", new Uint8Array(0));
    await store.put("streamed", streamOf(big.subarray(0, 1000), big.subarray(1000)));
    const up = await store.startUpload("uploaded/part");
    await up.write(big.subarray(0, 100_000));
    await up.write(big.subarray(100_000));
    await up.complete();
    await store.copy("plain.txt", "copied/plain.txt");
    await store.put("moving", "moved bytes");
    await store.rename("moving", "moved/here");
    const digest = await store.putCas("by content");
    const expected: Record<string, Uint8Array> = {
      "plain.txt": new TextEncoder().encode("hello\n"),
      "dir/sub/bin": new Uint8Array([0, 255, 10, 13]),
      "spaces and ünïcode/😀 %41~x.json": new TextEncoder().encode('{"ok":true}'),
      "empty": new Uint8Array(0),
      "streamed": big,
      "uploaded/part": big,
      "copied/plain.txt": new TextEncoder().encode("hello\n"),
      "moved/here": new TextEncoder().encode("moved bytes"),
      [`cas/sha256/${digest.hex.slice(0, 2)}/${digest.hex}`]: new TextEncoder().encode(
        "by content",
      ),
    };
    for (const [key, bytes] of Object.entries(expected)) {
      assert.deepEqual(await Deno.readFile(root + "/" + key), bytes, key);
      assert.equal((await store.head(key)).digest, sha256(bytes).hex, key);
    }
    // Nothing else is in the tree: no headers, no suffixes, no leftovers of the rename.
    assert.deepEqual(await plainFiles(root), Object.keys(expected).sort());
    // The private directory is never listed, and its name is reserved.
    const listed = (await store.list()).items.map((m) => m.key);
    assert.deepEqual(listed, Object.keys(expected).sort());
    await expectKind(store.put(".oxistore/x", "no"), "InvalidInput");
    // Deleting removes the file, and the directories it emptied.
    await store.delete("dir/sub/bin");
    await assert.rejects(Deno.stat(join(root, "dir")), Deno.errors.NotFound);
    await store.close();
  });
});

Deno.test("local files: a key and keys below it cannot both exist (Unsupported), nothing half-written", async () => {
  await withRoot(async (root) => {
    const store = await LocalBlobStore.open(root);
    await store.put("a", "file");
    const below = await expectKind(store.put("a/b", "child"), "Unsupported");
    assert.match(below.message, /"a\/b"/);
    await store.put("x/y", "child");
    await expectKind(store.put("x", "file"), "Unsupported");
    await expectKind(store.rename("a", "x"), "Unsupported");
    assert.equal(dec.decode(await store.get("a")), "file");
    assert.equal(dec.decode(await store.get("x/y")), "child");
    assert.deepEqual((await store.list()).items.map((m) => m.key), ["a", "x/y"]);
    // Once the keys below are gone, the name is free again.
    await store.delete("x/y");
    await store.put("x", "file now");
    assert.equal(dec.decode(await Deno.readFile(join(root, "x"))), "file now");
    await store.close();
  });
});

Deno.test("local files: a store in the first format (OXIBLOB1) opens, reads, and is upgraded in place", async () => {
  await withRoot(async (root) => {
    await Deno.mkdir(root, { recursive: true });
    for (const rel of await plainFiles(FIXTURE)) {
      await Deno.mkdir(join(root, rel, ".."), { recursive: true });
      await Deno.copyFile(join(FIXTURE, rel), join(root, rel));
    }
    const store = await LocalBlobStore.open(root);
    const hello = await store.head("hello.txt");
    assert.equal(hello.contentType, "text/plain");
    assert.deepEqual(hello.metadata, { owner: "ada" });
    assert.equal(dec.decode(await store.get("hello.txt")), "hello, old format\n");
    assert.deepEqual(await store.get("data/part 1.bin"), new Uint8Array([0, 1, 2, 255]));
    assert.equal((await store.head("data/nested/deep.json")).contentType, "application/json");
    assert.equal((await store.get("empty")).length, 0);
    assert.equal(dec.decode(await store.get("unicode/é~x")), "tilde and accent");
    const cas = sha256("content-addressed");
    assert.equal(dec.decode(await store.getCas(cas)), "content-addressed");
    const keys = (await store.list()).items.map((m) => m.key);
    assert.deepEqual(keys, [
      `cas/sha256/${cas.hex.slice(0, 2)}/${cas.hex}`,
      "data/nested/deep.json",
      "data/part 1.bin",
      "empty",
      "hello.txt",
      "unicode/é~x",
    ]);
    // Upgraded: plain files only, the old names and private files gone.
    assert.deepEqual(await plainFiles(root), keys);
    assert.equal(dec.decode(await Deno.readFile(join(root, "hello.txt"))), "hello, old format\n");
    // The etag and last-modified survive the upgrade and a reopen.
    await store.close();
    const again = await LocalBlobStore.open(root);
    const after = await again.head("hello.txt");
    assert.equal(after.etag, hello.etag);
    assert.equal(after.lastModified.getTime(), hello.lastModified.getTime());
    await again.put("hello.txt", "new");
    assert.equal(dec.decode(await Deno.readFile(join(root, "hello.txt"))), "new");
    await again.close();
  });
});

Deno.test("local files: DuckDB reads a partitioned dataset straight from a LocalBlobStore directory", async () => {
  await withRoot(async (root) => {
    const store = await LocalBlobStore.open(root);
    const ds = await PartitionedDataset.create({ store, prefix: "lake/events/" }, ["country"]);
    const rows = [
      { country: "jp", id: 1, amount: 10.5 },
      { country: "jp", id: 2, amount: 20 },
      { country: "fr", id: 3, amount: 7.25 },
    ];
    await ds.append(ColumnarTable.fromRows(rows));
    await ds.append(ColumnarTable.fromRows([{ country: "us", id: 4, amount: 1 }]));
    await store.close();
    const inst = await DuckDBInstance.create(":memory:");
    const con = await inst.connect();
    try {
      const sql = `SELECT country, CAST(id AS INTEGER) AS id, amount FROM read_parquet(` +
        `'${root}/lake/events/**/*.parquet', hive_partitioning = true) ORDER BY id`;
      const got = (await con.runAndReadAll(sql)).getRowObjectsJS();
      assert.deepEqual(got, [...rows, { country: "us", id: 4, amount: 1 }]);
    } finally {
      con.closeSync();
      inst.closeSync();
    }
  });
});
