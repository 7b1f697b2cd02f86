/**
 * The behaviour every BlobStore must show, as Deno.test cases. Each backend's
 * test file calls `runBlobSuite` with a factory that opens a fresh, empty store.
 *
 * Case ids (for `opts.skip`) are the text before the colon in each case name.
 *
 * @module
 */
import assert from "node:assert/strict";
import { StoreError } from "../../core/error.ts";
import { assertRejectsKind as expectKind } from "../_support/assert.ts";
import { randomBytes as pseudoRandom } from "../_support/random.ts";
import { type BlobMeta, type BlobStore, casKey, Digest, sha256 } from "../../blob/mod.ts";

/** What a suite factory returns: a fresh, empty store and how to dispose of it. */
export interface StoreFactoryResult {
  /** The store under test. */
  store: BlobStore;
  /** Removes everything the store left (called after `close()`). */
  cleanup(): Promise<void>;
}

/** Options of {@link runBlobSuite}. */
export interface BlobSuiteOptions {
  /** Case ids to skip, each with the reason (shown as the test's ignore note). */
  skip?: Record<string, string>;
  /** Deno's op/resource sanitizers (default true); HTTP clients may need false. */
  sanitize?: boolean;
}

type Case = [id: string, title: string, fn: (store: BlobStore) => Promise<void>];

const enc = new TextEncoder();
const dec = new TextDecoder();

// The error-kind check and the seeded bytes are the tests' shared ones
// (tests/_support); the names are the ones this suite's cases use.
export { expectKind, pseudoRandom };

/** A stream yielding the given chunks. */
export function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      const next = chunks[i++];
      if (next === undefined) c.close();
      else c.enqueue(next);
    },
  });
}

/** Reads a stream fully. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function listAll(
  store: BlobStore,
  prefix: string | undefined,
  opts: { delimiter?: string; limit?: number } = {},
): Promise<{ keys: string[]; prefixes: string[]; pages: number }> {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.list(prefix, cursor === undefined ? opts : { ...opts, cursor });
    pages++;
    assert.ok(pages < 1000, "list did not terminate");
    keys.push(...page.items.map((m) => m.key));
    prefixes.push(...page.prefixes);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { keys, prefixes, pages };
}

function checkMeta(meta: BlobMeta, key: string, data: Uint8Array): void {
  assert.equal(meta.key, key);
  assert.equal(meta.size, data.length);
  assert.equal(meta.digest, sha256(data).hex);
  assert.equal(typeof meta.etag, "string");
  assert.ok(meta.etag.length > 0, "etag is empty");
  assert.ok(meta.lastModified instanceof Date && !isNaN(meta.lastModified.getTime()));
  assert.equal(typeof meta.metadata, "object");
}

const BAD_KEYS = [
  "",
  "/abs",
  "a//b",
  "a/../b",
  "..",
  ".",
  "a/./b",
  "../escape",
  "a\\b",
  "a\u0000b",
  "tab\there",
  "trailing/",
  "x".repeat(1025),
  "lone\ud800surrogate",
];

const GOOD_KEYS = [
  "plain",
  "dir with space/file name.txt",
  "a%20b",
  "tilde~x",
  "unicode/ü/日本.txt",
  "emoji/😀",
  ".hidden/.file",
  "a/b.c-d_e+f=g@h,i;j",
  "UPPER/lower",
  "...dots",
];

const CASES: Case[] = [
  ["put-get", "put then get returns the same bytes (bytes, string, empty)", async (s) => {
    const data = pseudoRandom(1000);
    await s.put("a/bytes.bin", data);
    assert.deepEqual(await s.get("a/bytes.bin"), data);
    await s.put("a/string.txt", "héllo");
    assert.equal(dec.decode(await s.get("a/string.txt")), "héllo");
    await s.put("a/empty", new Uint8Array(0));
    assert.equal((await s.get("a/empty")).length, 0);
    assert.equal(await s.exists("a/empty"), true);
  }],
  ["put-stream", "put from a ReadableStream stores the concatenated chunks", async (s) => {
    const a = pseudoRandom(70_000, 3);
    const b = pseudoRandom(10, 4);
    const meta = await s.put("streamed", streamOf(a, new Uint8Array(0), b));
    const whole = new Uint8Array([...a, ...b]);
    checkMeta(meta, "streamed", whole);
    assert.deepEqual(await s.get("streamed"), whole);
  }],
  ["put-stream-error", "a failing source stream writes nothing", async (s) => {
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
  }],
  ["meta", "put returns the metadata head returns", async (s) => {
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
  }],
  ["overwrite", "overwriting replaces content, metadata and etag", async (s) => {
    const first = await s.put("k", "one", { metadata: { v: "1" } });
    const second = await s.put("k", "two!", { contentType: "text/plain" });
    assert.notEqual(first.etag, second.etag);
    assert.equal(dec.decode(await s.get("k")), "two!");
    const head = await s.head("k");
    assert.equal(head.size, 4);
    assert.deepEqual(head.metadata, {});
    assert.equal(head.contentType, "text/plain");
  }],
  ["same-bytes-new-etag", "rewriting identical bytes still changes the etag", async (s) => {
    const a = await s.put("k", "same");
    const b = await s.put("k", "same");
    assert.notEqual(a.etag, b.etag);
    assert.equal(a.digest, b.digest);
  }],
  ["missing", "missing keys are NotFound for get, head, getStream and delete", async (s) => {
    await expectKind(s.get("nope"), "NotFound");
    await expectKind(s.head("nope"), "NotFound");
    await expectKind(s.getStream("nope"), "NotFound");
    await expectKind(s.delete("nope"), "NotFound");
    assert.equal(await s.exists("nope"), false);
  }],
  ["delete", "delete removes the blob and only it", async (s) => {
    await s.put("d/1", "a");
    await s.put("d/2", "b");
    await s.delete("d/1");
    assert.equal(await s.exists("d/1"), false);
    assert.equal(await s.exists("d/2"), true);
    await expectKind(s.delete("d/1"), "NotFound");
  }],
  ["range", "getStream returns exactly the [start, end) range", async (s) => {
    const data = pseudoRandom(300_000, 7);
    await s.put("r", data);
    assert.deepEqual(await readAll(await s.getStream("r")), data);
    assert.deepEqual(await readAll(await s.getStream("r", { start: 0, end: 5 })), data.slice(0, 5));
    assert.deepEqual(
      await readAll(await s.getStream("r", { start: 123_457, end: 250_001 })),
      data.slice(123_457, 250_001),
    );
    assert.deepEqual(
      await readAll(await s.getStream("r", { start: 299_990 })),
      data.slice(299_990),
    );
    assert.deepEqual(
      await readAll(await s.getStream("r", { start: 299_999, end: 400_000 })),
      data.slice(299_999),
    );
    assert.equal((await readAll(await s.getStream("r", { start: 10, end: 10 }))).length, 0);
    assert.equal((await readAll(await s.getStream("r", { start: 500_000 }))).length, 0);
  }],
  ["range-invalid", "negative, fractional or reversed ranges are InvalidInput", async (s) => {
    await s.put("r", "0123456789");
    await expectKind(s.getStream("r", { start: -1 }), "InvalidInput");
    await expectKind(s.getStream("r", { start: 1.5 }), "InvalidInput");
    await expectKind(s.getStream("r", { start: 5, end: 2 }), "InvalidInput");
  }],
  ["stream-cancel", "a cancelled read stream releases the blob", async (s) => {
    await s.put("c", pseudoRandom(200_000));
    const stream = await s.getStream("c");
    const reader = stream.getReader();
    const first = await reader.read();
    assert.equal(first.done, false);
    await reader.cancel();
    await s.delete("c");
    assert.equal(await s.exists("c"), false);
  }],
  ["large", "a multi-MiB blob round-trips through streams", async (s) => {
    const data = pseudoRandom(6 * 1024 * 1024 + 17, 11);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < data.length; i += 1 << 20) chunks.push(data.subarray(i, i + (1 << 20)));
    const meta = await s.put("big/blob", streamOf(...chunks));
    assert.equal(meta.digest, sha256(data).hex);
    const back = await readAll(await s.getStream("big/blob"));
    assert.equal(back.length, data.length);
    assert.ok(sha256(back).equals(meta.digest));
  }],
  [
    "bad-keys",
    "absolute, dot, empty-segment, NUL and backslash keys are InvalidInput",
    async (s) => {
      for (const key of BAD_KEYS) {
        await expectKind(s.put(key, "x"), "InvalidInput");
        await expectKind(s.get(key), "InvalidInput");
        await expectKind(s.head(key), "InvalidInput");
        await expectKind(s.exists(key), "InvalidInput");
        await expectKind(s.delete(key), "InvalidInput");
        await expectKind(s.getStream(key), "InvalidInput");
        await expectKind(s.copy("ok", key), "InvalidInput");
        await expectKind(s.startUpload(key), "InvalidInput");
      }
      await expectKind(s.list("/abs"), "InvalidInput");
      await expectKind(s.list("a/../"), "InvalidInput");
      await expectKind(s.deletePrefix("a//"), "InvalidInput");
    },
  ],
  ["odd-keys", "keys with spaces, unicode, % and ~ round-trip and list", async (s) => {
    for (const [i, key] of GOOD_KEYS.entries()) await s.put(key, `v${i}`);
    for (const [i, key] of GOOD_KEYS.entries()) {
      assert.equal(dec.decode(await s.get(key)), `v${i}`, key);
    }
    const { keys } = await listAll(s, undefined);
    assert.deepEqual(keys, [...GOOD_KEYS].sort(byteOrder));
  }],
  ["file-and-dir", "a key and keys below it (a, a/b) coexist", async (s) => {
    await s.put("a", "file");
    await s.put("a/b", "child");
    await s.put("a/b/c", "grandchild");
    assert.equal(dec.decode(await s.get("a")), "file");
    assert.equal(dec.decode(await s.get("a/b")), "child");
    assert.equal(dec.decode(await s.get("a/b/c")), "grandchild");
    assert.deepEqual((await listAll(s, undefined)).keys, ["a", "a/b", "a/b/c"]);
    await s.delete("a/b");
    assert.deepEqual((await listAll(s, undefined)).keys, ["a", "a/b/c"]);
  }],
  ["bad-options", "invalid metadata names/values and content types are InvalidInput", async (s) => {
    await expectKind(s.put("k", "x", { metadata: { "Has-Dash": "1" } }), "InvalidInput");
    await expectKind(s.put("k", "x", { metadata: { "9lead": "1" } }), "InvalidInput");
    await expectKind(s.put("k", "x", { metadata: { ok: "line\nbreak" } }), "InvalidInput");
    await expectKind(s.put("k", "x", { metadata: { big: "v".repeat(3000) } }), "InvalidInput");
    await expectKind(s.put("k", "x", { contentType: "text/\u0001" }), "InvalidInput");
    await expectKind(s.put("k", 42 as unknown as string), "InvalidInput");
    assert.equal(await s.exists("k"), false);
  }],
  ["list-order", "list is ascending by UTF-8 bytes and filtered by prefix", async (s) => {
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
  }],
  ["list-meta", "list items carry size, digest, content type and metadata", async (s) => {
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
  }],
  ["list-delimiter", "list with a delimiter groups deeper keys into prefixes", async (s) => {
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
  }],
  ["list-pages", "list pages with limit and cursor cover every key once", async (s) => {
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
  }],
  [
    "list-pages-delimiter",
    "paging with a delimiter counts prefixes and never repeats",
    async (s) => {
      for (const k of ["d/a", "d/b/1", "d/b/2", "d/b/3", "d/c", "d/e/1", "d/f", "d/g/x/y"]) {
        await s.put(k, k);
      }
      const got = await listAll(s, "d/", { delimiter: "/", limit: 2 });
      assert.deepEqual(got.keys, ["d/a", "d/c", "d/f"]);
      assert.deepEqual(got.prefixes, ["d/b/", "d/e/", "d/g/"]);
      assert.ok(got.pages >= 3);
    },
  ],
  ["list-invalid", "a non-positive or fractional limit is InvalidInput", async (s) => {
    await expectKind(s.list("", { limit: 0 }), "InvalidInput");
    await expectKind(s.list("", { limit: 1.5 }), "InvalidInput");
    await expectKind(s.list("", { delimiter: "" }), "InvalidInput");
  }],
  ["copy", "copy duplicates content, type and metadata and keeps the source", async (s) => {
    await s.put("src", "payload", { contentType: "text/x", metadata: { n: "1" } });
    await s.put("dst", "old");
    await s.copy("src", "dst");
    assert.equal(dec.decode(await s.get("dst")), "payload");
    const head = await s.head("dst");
    assert.equal(head.contentType, "text/x");
    assert.deepEqual(head.metadata, { n: "1" });
    assert.equal(head.digest, sha256("payload").hex);
    assert.equal(dec.decode(await s.get("src")), "payload");
    await s.copy("src", "new/place");
    assert.equal(dec.decode(await s.get("new/place")), "payload");
    await expectKind(s.copy("missing", "x"), "NotFound");
    assert.equal(await s.exists("x"), false);
  }],
  ["rename", "rename moves the blob and removes the source", async (s) => {
    await s.put("from", "moving", { metadata: { k: "v" } });
    await s.put("to", "old");
    await s.rename("from", "to");
    assert.equal(await s.exists("from"), false);
    assert.equal(dec.decode(await s.get("to")), "moving");
    assert.deepEqual((await s.head("to")).metadata, { k: "v" });
    await expectKind(s.rename("from", "elsewhere"), "NotFound");
    await s.rename("to", "deep/er/key");
    assert.equal(dec.decode(await s.get("deep/er/key")), "moving");
  }],
  [
    "put-if-absent",
    "putIfAbsent writes once, then AlreadyExists leaves it unchanged",
    async (s) => {
      const meta = await s.putIfAbsent("once", "first", { metadata: { a: "1" } });
      checkMeta(meta, "once", enc.encode("first"));
      await expectKind(s.putIfAbsent("once", "second"), "AlreadyExists");
      assert.equal(dec.decode(await s.get("once")), "first");
      assert.deepEqual((await s.head("once")).metadata, { a: "1" });
      await s.delete("once");
      await s.putIfAbsent("once", "third");
      assert.equal(dec.decode(await s.get("once")), "third");
    },
  ],
  ["put-if-absent-race", "concurrent putIfAbsent: exactly one wins", async (s) => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => s.putIfAbsent("race", `writer ${i}`)),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    assert.equal(won.length, 1);
    for (const r of results) {
      if (r.status === "rejected") {
        assert.ok(r.reason instanceof StoreError && r.reason.kind === "AlreadyExists");
      }
    }
    const winner = (won[0] as PromiseFulfilledResult<BlobMeta>).value;
    assert.equal((await s.head("race")).etag, winner.etag);
  }],
  ["put-if-match", "putIfMatch writes on the current etag, else CasMismatch", async (s) => {
    const v1 = await s.put("cas", "v1");
    const v2 = await s.putIfMatch("cas", "v2", v1.etag);
    assert.notEqual(v2.etag, v1.etag);
    assert.equal(dec.decode(await s.get("cas")), "v2");
    await expectKind(s.putIfMatch("cas", "stale", v1.etag), "CasMismatch");
    assert.equal(dec.decode(await s.get("cas")), "v2");
    await expectKind(s.putIfMatch("absent", "x", v1.etag), "CasMismatch");
    assert.equal(await s.exists("absent"), false);
  }],
  ["put-if-match-race", "concurrent putIfMatch on one etag: exactly one wins", async (s) => {
    const base = await s.put("cas", "base");
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => s.putIfMatch("cas", `w${i}`, base.etag)),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    assert.equal(won.length, 1);
    for (const r of results) {
      if (r.status === "rejected") {
        assert.ok(r.reason instanceof StoreError && r.reason.kind === "CasMismatch");
      }
    }
  }],
  ["delete-many", "deleteMany removes the existing keys and counts them", async (s) => {
    await s.put("m/1", "a");
    await s.put("m/2", "b");
    await s.put("m/3", "c");
    assert.equal(await s.deleteMany(["m/1", "m/3", "m/missing"]), 2);
    assert.deepEqual((await listAll(s, "m/")).keys, ["m/2"]);
    assert.equal(await s.deleteMany([]), 0);
    await expectKind(s.deleteMany(["ok", "../bad"]), "InvalidInput");
    assert.equal(await s.exists("m/2"), true);
  }],
  ["delete-prefix", "deletePrefix removes every key under the prefix and counts", async (s) => {
    for (const k of ["logs/1", "logs/2", "logs/x/3", "logs2", "log", "keep/1"]) await s.put(k, k);
    assert.equal(await s.deletePrefix("logs/"), 3);
    assert.deepEqual((await listAll(s, undefined)).keys, ["keep/1", "log", "logs2"]);
    assert.equal(await s.deletePrefix("log"), 2);
    assert.equal(await s.deletePrefix("none/"), 0);
    assert.deepEqual((await listAll(s, undefined)).keys, ["keep/1"]);
  }],
  ["delete-if-matches", "deleteIfMatches deletes only on the right digest", async (s) => {
    await s.put("dim", "content");
    assert.equal(await s.deleteIfMatches("dim", sha256("other")), false);
    assert.equal(await s.exists("dim"), true);
    assert.equal(await s.deleteIfMatches("dim", sha256("content").hex), true);
    assert.equal(await s.exists("dim"), false);
    assert.equal(await s.deleteIfMatches("dim", sha256("content")), false);
    await expectKind(s.deleteIfMatches("dim", "nothex"), "InvalidInput");
  }],
  ["cas", "putCas stores by SHA-256, idempotently, readable by getCas", async (s) => {
    const data = pseudoRandom(5000, 5);
    const d = await s.putCas(data);
    assert.ok(d instanceof Digest);
    assert.ok(d.equals(sha256(data)));
    assert.ok((await s.putCas(data)).equals(d));
    assert.deepEqual(await s.getCas(d), data);
    assert.deepEqual(await s.getCas(d.hex), data);
    assert.equal(await s.existsCas(d), true);
    assert.equal(await s.existsCas(sha256("absent")), false);
    await expectKind(s.getCas(sha256("absent")), "NotFound");
    await expectKind(s.getCas("zz"), "InvalidInput");
    assert.deepEqual(await s.get(casKey(d)), data);
    const streamed = await s.putCas(streamOf(data.subarray(0, 10), data.subarray(10)));
    assert.ok(streamed.equals(d));
    assert.ok((await s.putCas("")).equals(sha256("")));
  }],
  ["cas-corruption", "getCas re-verifies content and reports Corruption", async (s) => {
    const d = await s.putCas("genuine");
    await s.put(casKey(d), "tampered");
    await expectKind(s.getCas(d), "Corruption");
  }],
  ["upload", "a chunked upload is invisible until complete, then whole", async (s) => {
    await s.put("up", "previous");
    const up = await s.startUpload("up", { contentType: "application/x", metadata: { u: "1" } });
    assert.equal(up.key, "up");
    const parts = [pseudoRandom(100_000, 1), pseudoRandom(3, 2), pseudoRandom(250_000, 3)];
    for (const p of parts) await up.write(p);
    await up.write("tail");
    assert.equal(dec.decode(await s.get("up")), "previous");
    const meta = await up.complete();
    const whole = new Uint8Array([...parts[0]!, ...parts[1]!, ...parts[2]!, ...enc.encode("tail")]);
    checkMeta(meta, "up", whole);
    assert.equal(meta.contentType, "application/x");
    assert.deepEqual(meta.metadata, { u: "1" });
    assert.deepEqual(await s.get("up"), whole);
    await expectKind(up.write("late"), "Closed");
  }],
  ["upload-abort", "an aborted upload leaves nothing behind", async (s) => {
    const up = await s.startUpload("aborted/key");
    await up.write(pseudoRandom(50_000));
    await up.abort();
    await up.abort();
    assert.equal(await s.exists("aborted/key"), false);
    assert.deepEqual((await s.list()).items, []);
    await expectKind(up.complete(), "Closed");
  }],
  ["upload-empty", "an upload with no chunks stores an empty blob", async (s) => {
    const up = await s.startUpload("empty/upload");
    const meta = await up.complete();
    checkMeta(meta, "empty/upload", new Uint8Array(0));
    assert.equal((await s.get("empty/upload")).length, 0);
  }],
  ["presign", "presign gives a URL or, where unsupported, Unsupported", async (s) => {
    await s.put("ps", "x");
    try {
      const url = await s.presign("ps", { method: "GET", expiresInSeconds: 60 });
      assert.ok(/^https?:\/\//.test(new URL(url).href));
    } catch (err) {
      assert.ok(err instanceof StoreError, String(err));
      assert.equal(err.kind, "Unsupported");
    }
  }],
  ["closed", "every call after close throws Closed", async (s) => {
    await s.put("k", "v");
    await s.close();
    await expectKind(s.get("k"), "Closed");
    await expectKind(s.put("k", "w"), "Closed");
    await expectKind(s.list(), "Closed");
    await expectKind(s.head("k"), "Closed");
    await expectKind(s.startUpload("u"), "Closed");
    await s.close();
  }],
];

function breaker(): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(_chunk, c) {
      c.error(new Error("broken pipe"));
    },
  });
}

function byteOrder(a: string, b: string): number {
  const x = enc.encode(a);
  const y = enc.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** The ids of every case, for building `skip` maps. */
export const BLOB_SUITE_CASE_IDS: readonly string[] = CASES.map(([id]) => id);

/**
 * Registers one Deno.test per behaviour, each on a fresh store from `factory`.
 */
export function runBlobSuite(
  name: string,
  factory: () => Promise<StoreFactoryResult>,
  opts: BlobSuiteOptions = {},
): void {
  for (const id of Object.keys(opts.skip ?? {})) {
    if (!BLOB_SUITE_CASE_IDS.includes(id)) throw new Error(`runBlobSuite: unknown case ${id}`);
  }
  const sanitize = opts.sanitize ?? true;
  for (const [id, title, fn] of CASES) {
    const reason = opts.skip?.[id];
    Deno.test({
      name: `${name}: ${id}: ${title}${reason ? ` (skipped: ${reason})` : ""}`,
      ignore: reason !== undefined,
      sanitizeOps: sanitize,
      sanitizeResources: sanitize,
      async fn() {
        const { store, cleanup } = await factory();
        try {
          await fn(store);
        } finally {
          await store.close().catch(() => {});
          await cleanup();
        }
      },
    });
  }
}
