import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeCursor, planList } from "../../blob/_list.ts";
import { escapeSegment, unescapeSegment } from "../../blob/local/_paths.ts";
import { sha256 } from "../../blob/digest.ts";
import {
  casKey,
  checkBlobKey,
  checkBlobPrefix,
  checkMetadata,
  compareKeys,
} from "../../blob/keys.ts";

const enc = new TextEncoder();
const kind = (k: string) => (e: Error & { kind?: string }) => e.kind === k;

function byteCompare(a: string, b: string): number {
  const x = enc.encode(a);
  const y = enc.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

Deno.test("keys: compareKeys orders like UTF-8 bytes, surrogate pairs included", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (a, b) => {
      assert.equal(Math.sign(compareKeys(a, b)), Math.sign(byteCompare(a, b)));
    }),
    { numRuns: 500 },
  );
  assert.ok(compareKeys("\uffff", "\u{10000}") < 0); // UTF-16 `<` says the opposite
});

Deno.test("keys: escaped segments round-trip and never contain '/', '~' or a trailing '.'", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", minLength: 1 }), (seg) => {
      const name = escapeSegment(seg);
      assert.ok(!/[/~\\]/.test(name) && !name.includes("\0") && !name.endsWith("."));
      assert.equal(unescapeSegment(name), seg);
    }),
    { numRuns: 500 },
  );
  assert.equal(unescapeSegment("a~blob"), undefined);
  assert.equal(unescapeSegment("%zz"), undefined);
  assert.equal(unescapeSegment("%61"), undefined); // not how "a" is escaped
});

Deno.test("keys: checkBlobKey accepts relative paths and rejects the rest", () => {
  for (const ok of ["a", "a/b", "a b/c.d", ".hidden", "a/...", "x".repeat(1024)]) {
    assert.equal(checkBlobKey(ok), ok);
  }
  for (
    const bad of [
      "",
      "/a",
      "a/",
      "a//b",
      ".",
      "..",
      "a/./b",
      "a/../b",
      "a\\b",
      "a\0",
      "x".repeat(1025),
    ]
  ) {
    assert.throws(() => checkBlobKey(bad), kind("InvalidInput"), JSON.stringify(bad));
  }
  assert.throws(() => checkBlobKey(7 as unknown as string), kind("InvalidInput"));
  assert.equal(checkBlobPrefix(""), "");
  assert.equal(checkBlobPrefix("a/."), "a/.");
  assert.throws(() => checkBlobPrefix("a/../"), kind("InvalidInput"));
});

Deno.test("keys: metadata names follow the portable subset; totals are capped", () => {
  assert.deepEqual(checkMetadata({ a_1: "v", _x: "" }), { a_1: "v", _x: "" });
  assert.deepEqual(checkMetadata(undefined), {});
  for (const bad of [{ A: "v" }, { "a-b": "v" }, { "1a": "v" }, { a: "é" }, { a: "x\ny" }]) {
    assert.throws(() => checkMetadata(bad), kind("InvalidInput"));
  }
  assert.throws(() => checkMetadata({ a: "x".repeat(2048) }), kind("InvalidInput"));
});

Deno.test("keys: casKey shards by the first two hex digits", () => {
  const d = sha256("content");
  assert.equal(casKey(d), `cas/sha256/${d.hex.slice(0, 2)}/${d.hex}`);
  assert.equal(casKey(d.hex.toUpperCase()), casKey(d));
  assert.throws(() => casKey("nope"), kind("InvalidInput"));
});

Deno.test("keys: list cursors round-trip and garbage cursors are InvalidInput", () => {
  const cursor = encodeCursor({ key: "a/ü/😀", group: true });
  assert.deepEqual(planList("a/", { cursor }).after, { key: "a/ü/😀", group: true });
  for (const bad of ["!!!", "e30", encodeCursor({ key: "x", group: false }).slice(0, 5)]) {
    assert.throws(() => planList("", { cursor: bad }), kind("InvalidInput"));
  }
});
