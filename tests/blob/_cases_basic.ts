// Blob conformance: put, get, head, overwrite and delete of single blobs.
import assert from "node:assert/strict";
import {
  type BlobCase,
  breaker,
  checkMeta,
  dec,
  enc,
  expectKind,
  pseudoRandom,
  streamOf,
} from "./_helpers.ts";
import { StoreError } from "../../core/error.ts";

/** The basic cases. */
export const basicCases: BlobCase[] = [
  {
    id: "put-get",
    title: "put then get returns the same bytes (bytes, string, empty)",
    async run(s) {
      const data = pseudoRandom(1000);
      await s.put("a/bytes.bin", data);
      assert.deepEqual(await s.get("a/bytes.bin"), data);
      await s.put("a/string.txt", "héllo");
      assert.equal(dec.decode(await s.get("a/string.txt")), "héllo");
      await s.put("a/empty", new Uint8Array(0));
      assert.equal((await s.get("a/empty")).length, 0);
      assert.equal(await s.exists("a/empty"), true);
    },
  },
  {
    id: "put-stream",
    title: "put from a ReadableStream stores the concatenated chunks",
    async run(s) {
      const a = pseudoRandom(70_000, 3);
      const b = pseudoRandom(10, 4);
      const meta = await s.put("streamed", streamOf(a, new Uint8Array(0), b));
      const whole = new Uint8Array([...a, ...b]);
      checkMeta(meta, "streamed", whole);
      assert.deepEqual(await s.get("streamed"), whole);
    },
  },
  {
    id: "put-stream-error",
    title: "a failing source stream writes nothing",
    async run(s) {
      await s.put("victim", "old");
      let n = 0;
      const failing = new ReadableStream<Uint8Array>({
        pull(c) {
          if (n++ < 3) c.enqueue(pseudoRandom(1000, n));
          else c.error(new Error("source broke"));
        },
      });
      await assert.rejects(s.put("victim", failing), StoreError);
      assert.equal(dec.decode(await s.get("victim")), "old");
      await assert.rejects(s.put("fresh", streamOf(new Uint8Array(3)).pipeThrough(breaker())));
      assert.equal(await s.exists("fresh"), false);
    },
  },
  {
    id: "meta",
    title: "put returns the metadata head returns",
    async run(s) {
      const data = enc.encode('{"a":1}');
      const put = await s.put("m.json", data, {
        contentType: "application/json",
        metadata: { owner: "ada", _v2: "x y" },
      });
      checkMeta(put, "m.json", data);
      assert.equal(put.contentType, "application/json");
      assert.deepEqual(put.metadata, { owner: "ada", _v2: "x y" });
      const head = await s.head("m.json");
      checkMeta(head, "m.json", data);
      assert.equal(head.etag, put.etag);
      assert.equal(head.contentType, "application/json");
      assert.deepEqual(head.metadata, { owner: "ada", _v2: "x y" });
      assert.ok(Math.abs(head.lastModified.getTime() - Date.now()) < 5 * 60_000);
      const bare = await s.put("bare", "x");
      assert.equal(bare.contentType ?? undefined, undefined);
      assert.deepEqual((await s.head("bare")).metadata, {});
    },
  },
  {
    id: "overwrite",
    title: "overwriting replaces content, metadata and etag",
    async run(s) {
      const first = await s.put("k", "one", { metadata: { v: "1" } });
      const second = await s.put("k", "two!", { contentType: "text/plain" });
      assert.notEqual(first.etag, second.etag);
      assert.equal(dec.decode(await s.get("k")), "two!");
      const head = await s.head("k");
      assert.equal(head.size, 4);
      assert.deepEqual(head.metadata, {});
      assert.equal(head.contentType, "text/plain");
    },
  },
  {
    id: "same-bytes-new-etag",
    title: "rewriting identical bytes still changes the etag",
    async run(s) {
      const a = await s.put("k", "same");
      const b = await s.put("k", "same");
      assert.notEqual(a.etag, b.etag);
      assert.equal(a.digest, b.digest);
    },
  },
  {
    id: "missing",
    title: "missing keys are NotFound for get, head, getStream and delete",
    async run(s) {
      await expectKind(s.get("nope"), "NotFound");
      await expectKind(s.head("nope"), "NotFound");
      await expectKind(s.getStream("nope"), "NotFound");
      await expectKind(s.delete("nope"), "NotFound");
      assert.equal(await s.exists("nope"), false);
    },
  },
  {
    id: "delete",
    title: "delete removes the blob and only it",
    async run(s) {
      await s.put("d/1", "a");
      await s.put("d/2", "b");
      await s.delete("d/1");
      assert.equal(await s.exists("d/1"), false);
      assert.equal(await s.exists("d/2"), true);
      await expectKind(s.delete("d/1"), "NotFound");
    },
  },
];
