import assert from "node:assert/strict";
import { join } from "node:path";
import { LocalBlobStore } from "../../blob/local_blob_store.ts";
import { sha256 } from "../../blob/digest.ts";

const N = 80; // above the size that earns a directory an index file
const settle = () => new Promise((r) => setTimeout(r, 120)); // let directory mtimes age

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "oxiblob-idx-" });
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const key = (i: number) => `d/${String(i).padStart(3, "0")}`;

async function fill(root: string): Promise<void> {
  // Without a list cache the writer leaves no index behind at close (see the close test).
  const s = await LocalBlobStore.open(root, { listCacheEntries: 0 });
  for (let i = 0; i < N; i++) await s.put(key(i), `v${i}`, { metadata: { v: "old" } });
  // Same file sizes as d/002 and d/079.
  await s.put("x/src", "zz", { metadata: { v: "src" } });
  await s.put("x/src3", "zzz", { metadata: { v: "src" } });
  await s.close();
}

async function listAll(store: LocalBlobStore, prefix = "d/") {
  const items = [];
  let cursor: string | undefined;
  do {
    const page = await store.list(prefix, cursor ? { limit: 25, cursor } : { limit: 25 });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return items;
}

/** What a freshly opened store lists under "d/", as [key, metadata.v, size]. */
async function freshList(root: string): Promise<[string, string | undefined, number][]> {
  const s = await LocalBlobStore.open(root);
  try {
    return (await listAll(s)).map((m) => [m.key, m.metadata.v, m.size]);
  } finally {
    await s.close();
  }
}

async function indexFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(join(root, ".oxistore", "index"))) {
      out.push(join(root, ".oxistore", "index", e.name));
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out;
}

/** Lists once through a store that is then closed, leaving an index file behind. */
async function buildIndex(root: string): Promise<string> {
  await settle();
  const s = await LocalBlobStore.open(root);
  assert.equal((await listAll(s)).length, N);
  await s.close();
  const files = await indexFiles(root);
  assert.equal(files.length, 1, "one index file for the one large directory");
  return files[0]!;
}

/**
 * Rewrites blob d/002's file in place with x/src's bytes (no rename, so the
 * directory's mtime stays): only a trusted index still reports the old header.
 */
async function rewriteInPlace(root: string, name = "002", src = "src"): Promise<void> {
  const bytes = await Deno.readFile(join(root, ".oxistore", "meta", "x", `${src}~blob`));
  const f = await Deno.open(join(root, ".oxistore", "meta", "d", `${name}~blob`), {
    write: true,
    truncate: true,
  });
  await f.write(bytes);
  f.close();
}

Deno.test("local index: a fresh store lists a settled directory from its index file", async () => {
  await withRoot(async (root) => {
    await fill(root);
    await buildIndex(root);
    // Proof that the fresh store read the index, not the files.
    await rewriteInPlace(root);
    const listed = await freshList(root);
    assert.equal(listed.length, N);
    assert.deepEqual(listed[2], ["d/002", "old", 2]);
    const s = await LocalBlobStore.open(root);
    // head reads the sidecar itself, sees it describes another content file (x/src's), and
    // hashes the content again: the blob is "v2" with no metadata, never "v2" with src's.
    const head = await s.head("d/002");
    assert.equal(head.metadata.v, undefined);
    assert.equal(head.digest, sha256("v2").hex);
    assert.deepEqual((await s.list("", { delimiter: "/" })).prefixes, ["d/", "x/"]); // no ~index
    await s.close();
  });
});

Deno.test("local index: a store that wrote most of a large directory indexes it at close", async () => {
  await withRoot(async (root) => {
    const w = await LocalBlobStore.open(root);
    for (let i = 0; i < N; i++) await w.put(key(i), `v${i}`, { metadata: { v: "old" } });
    await w.put("x/src", "zz", { metadata: { v: "src" } });
    await w.close();
    assert.equal((await indexFiles(root)).length, 1);
    await rewriteInPlace(root); // only a trusted index still reports the old header
    const listed = await freshList(root);
    assert.equal(listed.length, N);
    assert.deepEqual(listed[2], ["d/002", "old", 2]);
  });
});

Deno.test("local index: overwrite, delete and add by another store after the index was saved are listed", async () => {
  await withRoot(async (root) => {
    await fill(root);
    await buildIndex(root);
    const other = await LocalBlobStore.open(root);
    await other.put(key(5), "changed!", { metadata: { v: "new" } }); // right away: same tick
    await other.delete(key(10));
    await other.put("d/0995", "added");
    await other.close();
    const listed = await freshList(root);
    assert.equal(listed.length, N);
    assert.deepEqual(listed[5], [key(5), "new", 8]);
    assert.ok(!listed.some(([k]) => k === key(10)));
    assert.deepEqual(listed.find(([k]) => k === "d/0995"), ["d/0995", undefined, 5]);
  });
});

Deno.test("local index: a change made by another process after the index was saved is listed", async () => {
  await withRoot(async (root) => {
    await fill(root);
    await buildIndex(root);
    const mod = new URL("../../blob/local_blob_store.ts", import.meta.url).href;
    const code = `import { LocalBlobStore } from ${JSON.stringify(mod)};
      const s = await LocalBlobStore.open(${JSON.stringify(root)});
      await s.put("d/007", "from the child", { metadata: { v: "child" } });
      await s.delete("d/008");
      await s.close();`;
    const out = await new Deno.Command(Deno.execPath(), { args: ["eval", code], stderr: "piped" })
      .output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const listed = await freshList(root);
    assert.deepEqual(listed[7], ["d/007", "child", 14]);
    assert.equal(listed[8]![0], "d/009");
    assert.equal(listed.length, N - 1);
  });
});

Deno.test("local index: an index read within the clock slack of the directory's mtime is not trusted whole", async () => {
  await withRoot(async (root) => {
    await fill(root);
    const dir = join(root, ".oxistore", "meta", "d");
    // A coarse clock: the directory's mtime stays on one tick, just before the listing.
    const tick = new Date(Date.now() - 5);
    await Deno.utime(dir, tick, tick);
    const a = await LocalBlobStore.open(root);
    assert.equal((await a.list("d/", { limit: 1000 })).items.length, N); // one listing, whole
    await a.close();
    // A change landing on the same tick leaves the directory's mtime as it was.
    const b = await LocalBlobStore.open(root);
    await b.put(key(3), "same tick", { metadata: { v: "new" } });
    await b.close();
    await Deno.utime(dir, tick, tick);
    assert.deepEqual((await freshList(root))[3], [key(3), "new", 9]);
  });
});

Deno.test("local index: once the directory changed, a file rewritten since is read again", async () => {
  await withRoot(async (root) => {
    await fill(root);
    await buildIndex(root);
    const other = await LocalBlobStore.open(root);
    await other.put("d/0995", "added"); // the directory changes: entries are checked one by one
    await other.close();
    await rewriteInPlace(root); // same inode, new ctime
    const listed = await freshList(root);
    assert.equal(listed.length, N + 1);
    assert.deepEqual(listed[2], ["d/002", "src", 2]);
    assert.deepEqual(listed[3], ["d/003", "old", 2]);
  });
});

Deno.test("local index: an entry whose file changed within the clock slack of its read is read again", async () => {
  await withRoot(async (root) => {
    await fill(root);
    // The last blob's sidecar is read within the slack of its mtime: pinned ahead of the
    // listing's read, so the test does not depend on how fast this machine lists.
    const file = join(root, ".oxistore", "meta", "d", "079~blob");
    const ahead = new Date(Date.now() + 60_000);
    await Deno.utime(file, ahead, ahead);
    const a = await LocalBlobStore.open(root);
    assert.equal((await a.list("d/", { limit: 1000 })).items.length, N);
    await a.close();
    // Rewrite it as if on the same clock tick: same inode, size and mtime as recorded.
    const before = await Deno.stat(file);
    await rewriteInPlace(root, "079", "src3");
    await Deno.utime(file, before.atime!, before.mtime!);
    const other = await LocalBlobStore.open(root);
    await other.put("d/0995", "added");
    await other.close();
    assert.deepEqual((await freshList(root))[79], ["d/079", "src", 3]);
  });
});

Deno.test("local index: a corrupt, torn, foreign or old-version index file is ignored", async () => {
  await withRoot(async (root) => {
    await fill(root);
    const file = await buildIndex(root);
    const good = await Deno.readFile(file);
    // The files change in place, so a trusted index would now be visibly wrong.
    await rewriteInPlace(root);
    const flipped = good.slice();
    flipped[good.length - 3]! ^= 0x40;
    const oldVersion = good.slice();
    oldVersion[7] = "0".charCodeAt(0);
    const variants: [string, Uint8Array][] = [
      ["flipped byte", flipped],
      ["torn", good.subarray(0, Math.floor(good.length / 2))],
      ["garbage", crypto.getRandomValues(new Uint8Array(good.length))],
      ["empty", new Uint8Array(0)],
      ["other version", oldVersion],
    ];
    for (const [what, bytes] of variants) {
      await Deno.writeFile(file, bytes);
      const listed = await freshList(root);
      assert.equal(listed.length, N, what);
      assert.deepEqual(listed[2], ["d/002", "src", 2], what);
    }
  });
});

Deno.test("local index: puts and deletes do not rewrite the index file", async () => {
  await withRoot(async (root) => {
    await fill(root);
    const file = await buildIndex(root);
    const before = await Deno.stat(file);
    const s = await LocalBlobStore.open(root);
    await s.list("d/", { limit: 10 }); // loads the index
    for (let i = 0; i < 20; i++) await s.put(key(i), "new");
    await s.delete(key(30));
    const after = await Deno.stat(file);
    assert.equal(after.ino, before.ino);
    assert.equal(after.mtime?.getTime(), before.mtime?.getTime());
    await s.close();
  });
});

Deno.test("local index: with listCacheEntries 0 no index is written or read", async () => {
  await withRoot(async (root) => {
    await fill(root);
    await settle();
    const s = await LocalBlobStore.open(root, { listCacheEntries: 0 });
    assert.equal((await listAll(s)).length, N);
    await s.close();
    assert.deepEqual(await indexFiles(root), []);
    await buildIndex(root);
    await rewriteInPlace(root);
    const t = await LocalBlobStore.open(root, { listCacheEntries: 0 });
    assert.deepEqual((await listAll(t))[2]!.metadata.v, "src");
    await t.close();
  });
});
