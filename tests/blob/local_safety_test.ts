import assert from "node:assert/strict";
import { join } from "node:path";
import { LocalBlobStore } from "../../blob/local_blob_store.ts";
import { sha256 } from "../../blob/digest.ts";
import { expectKind } from "./suite.ts";

const RACE_CHILD = new URL("./_race_child.ts", import.meta.url).pathname;
const dec = new TextDecoder();

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "oxiblob-" });
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function runChildren(root: string, args: string[][]): Promise<string[][]> {
  const children = args.map((a, id) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", RACE_CHILD, root, String(id), ...a],
      stdout: "piped",
      stderr: "piped",
    }).spawn()
  );
  // Let every child open the store, then release them together.
  await new Promise((r) => setTimeout(r, 600));
  await Deno.writeTextFile(join(root, "go"), "");
  const outs = await Promise.all(children.map((c) => c.output()));
  return outs.map((o) => {
    assert.equal(o.code, 0, dec.decode(o.stderr));
    return JSON.parse(dec.decode(o.stdout).trim().split("\n").pop()!);
  });
}

Deno.test("local: putIfAbsent racing across 4 processes: every key won exactly once", async () => {
  await withRoot(async (root) => {
    const wins = await runChildren(root, Array.from({ length: 4 }, () => ["absent", "40"]));
    const store = await LocalBlobStore.open(root);
    for (let k = 0; k < 40; k++) {
      const key = `race/${k}`;
      const winners = wins.flatMap((w, id) => (w.includes(key) ? [id] : []));
      assert.equal(winners.length, 1, `${key} won by ${winners}`);
      assert.equal(dec.decode(await store.get(key)), `writer ${winners[0]}`);
    }
    await store.close();
  });
});

Deno.test("local: putIfMatch increments from 3 processes lose no update", async () => {
  await withRoot(async (root) => {
    const store = await LocalBlobStore.open(root);
    await store.put("counter", "0");
    await runChildren(root, Array.from({ length: 3 }, () => ["count", "25"]));
    assert.equal(dec.decode(await store.get("counter")), "75");
    await store.close();
  });
});

Deno.test("local: keys cannot leave the root through a symlinked directory", async () => {
  await withRoot(async (root) => {
    const outside = await Deno.makeTempDir({ prefix: "oxiblob-outside-" });
    try {
      const store = await LocalBlobStore.open(join(root, "store"));
      await store.put("inside/ok", "fine");
      await Deno.symlink(outside, join(root, "store", "evil"));
      await expectKind(store.put("evil/x", "escaped?"), "Corruption");
      await expectKind(store.get("evil/x"), "Corruption");
      await expectKind(store.exists("evil/x"), "Corruption");
      const leaked = [];
      for await (const e of Deno.readDir(outside)) leaked.push(e.name);
      assert.deepEqual(leaked, []);
      // Listing never follows the symlink either.
      const page = await store.list();
      assert.deepEqual(page.items.map((m) => m.key), ["inside/ok"]);
      await store.close();
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  });
});

Deno.test("local: a symlink planted as a blob file is refused, not followed", async () => {
  await withRoot(async (root) => {
    const store = await LocalBlobStore.open(root);
    await store.put("real", "secret-looking bytes");
    const secret = join(root, "..", `${crypto.randomUUID()}-outside`);
    await Deno.copyFile(join(root, "real"), secret);
    try {
      await Deno.symlink(secret, join(root, "leak"));
      // With a sidecar planted too, reads refuse the link rather than follow it.
      await Deno.copyFile(
        join(root, ".oxistore", "meta", "real~blob"),
        join(root, ".oxistore", "meta", "leak~blob"),
      );
      await expectKind(store.get("leak"), "Corruption");
      await expectKind(store.head("leak"), "Corruption");
      await Deno.remove(join(root, ".oxistore", "meta", "leak~blob"));
      assert.deepEqual((await store.list()).items.map((m) => m.key), ["real"]);
    } finally {
      await Deno.remove(secret);
    }
    await store.close();
  });
});

Deno.test("local: traversal keys are rejected before touching the disk", async () => {
  await withRoot(async (root) => {
    const store = await LocalBlobStore.open(join(root, "s"));
    for (const key of ["../x", "a/../../x", "/etc/passwd", "a\\..\\x", "./x"]) {
      await expectKind(store.put(key, "x"), "InvalidInput");
    }
    const top = [];
    for await (const e of Deno.readDir(root)) top.push(e.name);
    assert.deepEqual(top, ["s"]);
    await store.close();
  });
});

Deno.test("local: opening cleans temp files of dead writers but not of live stores", async () => {
  await withRoot(async (root) => {
    const live = await LocalBlobStore.open(root);
    const up = await live.startUpload("slow");
    await up.write("in progress");
    // A dead session: a lock file nobody holds, and its temp directory.
    await Deno.writeTextFile(join(root, ".oxistore", "tmp", "dead.lock"), "");
    await Deno.mkdir(join(root, ".oxistore", "tmp", "dead"));
    await Deno.writeTextFile(join(root, ".oxistore", "tmp", "dead", "half-written"), "junk");
    await Deno.mkdir(join(root, ".oxistore", "tmp", "orphan"));
    const other = await LocalBlobStore.open(root);
    const names: string[] = [];
    for await (const e of Deno.readDir(join(root, ".oxistore", "tmp"))) names.push(e.name);
    assert.ok(!names.includes("dead") && !names.includes("dead.lock") && !names.includes("orphan"));
    // The live store's upload survived the other store's cleanup.
    const meta = await up.complete();
    assert.equal(meta.size, 11);
    assert.equal(dec.decode(await other.get("slow")), "in progress");
    await other.close();
    await live.close();
  });
});

Deno.test("local: a content file changed by another program is read as it is now, never with stale metadata", async () => {
  await withRoot(async (root) => {
    const store = await LocalBlobStore.open(root);
    const put = await store.put("t", new Uint8Array(1000).fill(7), { metadata: { v: "1" } });
    // Truncated in place: the sidecar no longer describes the file (size, mtime).
    await Deno.truncate(join(root, "t"), 990);
    const head = await store.head("t");
    assert.equal(head.size, 990);
    assert.equal(head.digest, sha256(new Uint8Array(990).fill(7)).hex);
    assert.deepEqual(head.metadata, {}, "the metadata described other content");
    assert.notEqual(head.etag, put.etag);
    assert.deepEqual(await store.get("t"), new Uint8Array(990).fill(7));
    // Touched only (same bytes): the digest still matches, so the metadata is kept.
    await store.put("u", "same", { metadata: { v: "2" } });
    const later = new Date(Date.now() + 5000);
    await Deno.utime(join(root, "u"), later, later);
    assert.deepEqual((await store.head("u")).metadata, { v: "2" });
    // A corrupt sidecar is Corruption, never a guess.
    const sidecar = join(root, ".oxistore", "meta", "u~blob");
    const bytes = await Deno.readFile(sidecar);
    bytes[20] = bytes[20]! ^ 0xff; // inside the checksummed part
    await Deno.writeFile(sidecar, bytes);
    await expectKind(store.head("u"), "Corruption");
    await store.close();
  });
});

Deno.test("local: blobs persist across reopen with their metadata and etag", async () => {
  await withRoot(async (root) => {
    const a = await LocalBlobStore.open(root);
    const meta = await a.put("p/q", "persist", { contentType: "text/plain", metadata: { x: "1" } });
    await a.close();
    const b = new LocalBlobStore(root);
    const head = await b.head("p/q");
    assert.equal(head.etag, meta.etag);
    assert.equal(head.lastModified.getTime(), meta.lastModified.getTime());
    assert.deepEqual(head.metadata, { x: "1" });
    assert.equal(head.contentType, "text/plain");
    await b.close();
  });
});

Deno.test("local: deleting the last blob of a directory removes the empty directories", async () => {
  await withRoot(async (root) => {
    const store = await LocalBlobStore.open(root);
    await store.put("a/b/c/d", "x");
    await store.put("a/keep", "y");
    await store.delete("a/b/c/d");
    await assert.rejects(Deno.stat(join(root, "a", "b")), Deno.errors.NotFound);
    assert.equal((await Deno.stat(join(root, "a"))).isDirectory, true);
    assert.deepEqual((await store.list(undefined, { delimiter: "/" })).prefixes, ["a/"]);
    await store.close();
  });
});

Deno.test("local: a key segment too long for a file name is InvalidInput", async () => {
  await withRoot(async (root) => {
    const store = await LocalBlobStore.open(root);
    await expectKind(store.put("é".repeat(100), "x"), "InvalidInput");
    await store.put("x".repeat(250), "fits");
    assert.equal(await store.exists("x".repeat(250)), true);
    await store.close();
  });
});

Deno.test("local: upload writes issued without awaiting land in order", async () => {
  await withRoot(async (root) => {
    const store = await LocalBlobStore.open(root);
    const up = await store.startUpload("ordered");
    const parts = Array.from({ length: 50 }, (_, i) => new Uint8Array(10_000).fill(i));
    await Promise.all(parts.map((p) => up.write(p)));
    const meta = await up.complete();
    assert.equal(meta.size, 500_000);
    const back = await store.get("ordered");
    for (let i = 0; i < 50; i++) assert.equal(back[i * 10_000 + 9_999], i);
    await store.close();
  });
});

Deno.test("local: closing the store aborts its open uploads", async () => {
  await withRoot(async (root) => {
    const store = await LocalBlobStore.open(root);
    const up = await store.startUpload("never");
    await up.write("partial");
    await store.close();
    await expectKind(up.complete(), "Closed");
    const again = await LocalBlobStore.open(root);
    assert.equal(await again.exists("never"), false);
    await expectKind(again.list(undefined, { cursor: "garbage!" }), "InvalidInput");
    await again.close();
  });
});

Deno.test("local: a range read reads only its bytes", async () => {
  await withRoot(async (root) => {
    const store = await LocalBlobStore.open(root);
    const data = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
    await store.put("big", data);
    const part = await new Response(await store.getStream("big", { start: 10, end: 5000 }))
      .arrayBuffer();
    assert.deepEqual(new Uint8Array(part), data.subarray(10, 5000));
    // Shortened behind the stream's back: the stream ends early and says so.
    const stream = await store.getStream("big", { start: 2_500_000 });
    await Deno.truncate(join(root, "big"), 2_000_000);
    await expectKind(new Response(stream).arrayBuffer(), "Corruption");
    await store.close();
  });
});

Deno.test("local: an overwritten version is freed in the background and leaves no name behind", async () => {
  await withRoot(async (root) => {
    const store = await LocalBlobStore.open(root);
    const big = new Uint8Array(256 * 1024).fill(7);
    for (let i = 0; i < 5; i++) await store.put("k", big);
    assert.equal((await Deno.stat(join(root, "k"))).size, big.length);
    await store.close();
    assert.equal((await Deno.stat(join(root, "k"))).nlink, 1);
    const left: string[] = [];
    for await (const e of Deno.readDir(join(root, ".oxistore", "tmp"))) left.push(e.name);
    assert.deepEqual(left, []);
    const again = await LocalBlobStore.open(root);
    assert.deepEqual(await again.get("k"), big);
    await again.close();
  });
});
