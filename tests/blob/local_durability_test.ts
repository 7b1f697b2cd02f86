// Directory durability of LocalBlobStore, seen through its file-call seam (`fs` option):
// every directory a write creates has its parent fsynced, and a failed directory fsync fails
// the write with Io instead of reporting it durable.
import assert from "node:assert/strict";
import { join } from "node:path";
import { LocalBlobStore, type LocalFs } from "@cooljapan/oxistore/blob";
import { denoFs } from "../../blob/local/_fs.ts";
import { expectKind } from "./suite.ts";

/** A pass-through disk that records calls and can fail directory fsyncs. */
function recordingFs(real: LocalFs) {
  const calls: string[] = [];
  let failSync: ((dir: string) => boolean) | undefined;
  const fs: LocalFs = {
    ...real,
    async mkdir(path) {
      calls.push(`mkdir ${path}`);
      await real.mkdir(path);
    },
    async rename(from, to) {
      calls.push(`rename ${to}`);
      await real.rename(from, to);
    },
    async syncDir(path) {
      calls.push(`syncDir ${path}`);
      if (failSync?.(path)) {
        throw Object.assign(new Error("EIO: fsync failed"), { code: "EIO" });
      }
      await real.syncDir(path);
    },
  };
  return { fs, calls, failWhen: (f: typeof failSync) => (failSync = f) };
}

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "oxiblob-dur-" }));
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("local durability: each directory a put creates is made durable by fsyncing its parent, in order", async () => {
  await withRoot(async (root) => {
    const rec = recordingFs(denoFs);
    const store = await LocalBlobStore.open(root, { fs: rec.fs });
    rec.calls.length = 0;
    await store.put("a/b/c/key", "x");
    const meta = join(root, ".oxistore", "meta");
    for (
      const [dir, parent] of [
        [join(root, "a"), root],
        [join(root, "a/b"), join(root, "a")],
        [join(root, "a/b/c"), join(root, "a/b")],
        [join(meta, "a"), meta],
        [join(meta, "a/b"), join(meta, "a")],
        [join(meta, "a/b/c"), join(meta, "a/b")],
      ]
    ) {
      const made = rec.calls.indexOf(`mkdir ${dir}`);
      assert.ok(made >= 0, `${dir} was created`);
      const synced = rec.calls.indexOf(`syncDir ${parent}`, made);
      assert.ok(synced > made, `the parent of ${dir} was fsynced after it was made`);
    }
    // The content's rename is made durable before the put resolves.
    const renamed = rec.calls.indexOf(`rename ${join(root, "a/b/c/key")}`);
    assert.ok(rec.calls.indexOf(`syncDir ${join(root, "a/b/c")}`, renamed) > renamed);
    // A second key in the same directory creates nothing.
    rec.calls.length = 0;
    await store.put("a/b/c/other", "y");
    assert.deepEqual(rec.calls.filter((c) => c.startsWith("mkdir")), []);
    await store.close();
  });
});

Deno.test("local durability: a failed directory fsync fails the write with Io, on every write path", async () => {
  await withRoot(async (root) => {
    const rec = recordingFs(denoFs);
    const store = await LocalBlobStore.open(root, { fs: rec.fs });
    await store.put("keep/src", "source");
    // A new directory whose parent cannot be synced.
    rec.failWhen((dir) => dir === root);
    const err = await expectKind(store.put("fresh/key", "x"), "Io");
    assert.match(err.message, /fsync/);
    assert.match(err.message, new RegExp(root));
    // The content directory of an existing key.
    rec.failWhen((dir) => dir === join(root, "keep"));
    await expectKind(store.put("keep/k", "x"), "Io");
    await expectKind(store.copy("keep/src", "keep/copy"), "Io");
    await expectKind(store.rename("keep/src", "keep/moved"), "Io");
    // The rename may have happened (only its fsync failed), but never half: one of the two.
    const there = await store.exists("keep/src") ? "keep/src" : "keep/moved";
    assert.notEqual(await store.exists("keep/src"), await store.exists("keep/moved"));
    await expectKind(store.delete(there), "Io");
    const up = await store.startUpload("keep/up");
    await up.write("chunk");
    await expectKind(up.complete(), "Io");
    // The metadata directory (step 1 of a commit): nothing is published at all.
    rec.failWhen(undefined);
    await store.put("keep/src", "source");
    rec.failWhen((dir) => dir === join(root, ".oxistore", "meta", "keep"));
    await expectKind(store.put("keep/src", "replacement"), "Io");
    rec.failWhen(undefined);
    assert.equal(new TextDecoder().decode(await store.get("keep/src")), "source");
    await store.close();
  });
});
