// Blob conformance: listing: order, prefixes, delimiters, pages.
import assert from "node:assert/strict";
import { type BlobCase, byteOrder, checkMeta, enc, expectKind, listAll } from "./_helpers.ts";

/** The list cases. */
export const listCases: BlobCase[] = [
  {
    id: "list-order",
    title: "list is ascending by UTF-8 bytes and filtered by prefix",
    async run(s) {
      // No bare "a" beside "a/…": that pair is its own case (file-and-dir), which a store of
      // plain files cannot hold.
      const keys = ["a0", "a/b", "a-c", "b", "a/a", "ab", "\u00e9", "\ud83d\ude00", "\uff61"];
      for (const k of keys) await s.put(k, k);
      const all = await s.list();
      assert.deepEqual(all.items.map((m) => m.key), [...keys].sort(byteOrder));
      assert.equal(all.cursor, undefined);
      assert.deepEqual(all.prefixes, []);
      const a = await s.list("a");
      assert.deepEqual(a.items.map((m) => m.key), ["a-c", "a/a", "a/b", "a0", "ab"]);
      const slash = await s.list("a/");
      assert.deepEqual(slash.items.map((m) => m.key), ["a/a", "a/b"]);
      const meta = slash.items[0]!;
      checkMeta(meta, "a/a", enc.encode("a/a"));
      assert.deepEqual((await s.list("zzz")).items, []);
    },
  },
  {
    id: "list-meta",
    title: "list items carry size, digest, content type and metadata",
    async run(s) {
      const put = await s.put("x/1", "hello", {
        contentType: "text/plain",
        metadata: { tag: "t" },
      });
      const [item] = (await s.list("x/")).items;
      assert.ok(item);
      checkMeta(item, "x/1", enc.encode("hello"));
      assert.equal(item.etag, put.etag);
      assert.equal(item.contentType, "text/plain");
      assert.deepEqual(item.metadata, { tag: "t" });
    },
  },
  {
    id: "list-delimiter",
    title: "list with a delimiter groups deeper keys into prefixes",
    async run(s) {
      for (const k of ["p/a", "p/b/1", "p/b/2", "p/c/d/e", "p/z", "p-x", "q/1"]) await s.put(k, k);
      const top = await s.list(undefined, { delimiter: "/" });
      assert.deepEqual(top.items.map((m) => m.key), ["p-x"]);
      assert.deepEqual(top.prefixes, ["p/", "q/"]);
      const p = await s.list("p/", { delimiter: "/" });
      assert.deepEqual(p.items.map((m) => m.key), ["p/a", "p/z"]);
      assert.deepEqual(p.prefixes, ["p/b/", "p/c/"]);
      const partial = await s.list("p/c", { delimiter: "/" });
      assert.deepEqual(partial.items, []);
      assert.deepEqual(partial.prefixes, ["p/c/"]);
      const dash = await s.list("p", { delimiter: "-" });
      assert.deepEqual(dash.prefixes, ["p-"]);
      assert.deepEqual(dash.items.map((m) => m.key), ["p/a", "p/b/1", "p/b/2", "p/c/d/e", "p/z"]);
    },
  },
  {
    id: "list-pages",
    title: "list pages with limit and cursor cover every key once",
    async run(s) {
      const keys = Array.from({ length: 23 }, (_, i) => `pg/${String(i).padStart(3, "0")}`);
      for (const k of keys) await s.put(k, k);
      await s.put("other", "x");
      const first = await s.list("pg/", { limit: 5 });
      assert.equal(first.items.length, 5);
      assert.equal(typeof first.cursor, "string");
      const { keys: got, pages } = await listAll(s, "pg/", { limit: 5 });
      assert.deepEqual(got, keys);
      assert.equal(pages, 5);
      const exact = await listAll(s, "pg/", { limit: 23 });
      assert.deepEqual(exact.keys, keys);
      assert.ok(exact.pages <= 2);
    },
  },
  {
    id: "list-pages-delimiter",
    title: "paging with a delimiter counts prefixes and never repeats",
    async run(s) {
      for (const k of ["d/a", "d/b/1", "d/b/2", "d/b/3", "d/c", "d/e/1", "d/f", "d/g/x/y"]) {
        await s.put(k, k);
      }
      const got = await listAll(s, "d/", { delimiter: "/", limit: 2 });
      assert.deepEqual(got.keys, ["d/a", "d/c", "d/f"]);
      assert.deepEqual(got.prefixes, ["d/b/", "d/e/", "d/g/"]);
      assert.ok(got.pages >= 3);
    },
  },
  {
    id: "list-invalid",
    title: "a non-positive or fractional limit is InvalidInput",
    async run(s) {
      await expectKind(s.list("", { limit: 0 }), "InvalidInput");
      await expectKind(s.list("", { limit: 1.5 }), "InvalidInput");
      await expectKind(s.list("", { delimiter: "" }), "InvalidInput");
    },
  },
];
