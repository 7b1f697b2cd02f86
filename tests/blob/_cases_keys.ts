// Blob conformance: which keys and options are accepted.
import assert from "node:assert/strict";
import {
  BAD_KEYS,
  type BlobCase,
  byteOrder,
  dec,
  expectKind,
  GOOD_KEYS,
  listAll,
} from "./_helpers.ts";

/** The keys cases. */
export const keysCases: BlobCase[] = [
  {
    id: "bad-keys",
    title: "absolute, dot, empty-segment, NUL and backslash keys are InvalidInput",
    async run(s) {
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
  },
  {
    id: "odd-keys",
    title: "keys with spaces, unicode, % and ~ round-trip and list",
    async run(s) {
      for (const [i, key] of GOOD_KEYS.entries()) await s.put(key, `v${i}`);
      for (const [i, key] of GOOD_KEYS.entries()) {
        assert.equal(dec.decode(await s.get(key)), `v${i}`, key);
      }
      const { keys } = await listAll(s, undefined);
      assert.deepEqual(keys, [...GOOD_KEYS].sort(byteOrder));
    },
  },
  {
    id: "file-and-dir",
    title: "a key and keys below it (a, a/b) coexist",
    async run(s) {
      await s.put("a", "file");
      await s.put("a/b", "child");
      await s.put("a/b/c", "grandchild");
      assert.equal(dec.decode(await s.get("a")), "file");
      assert.equal(dec.decode(await s.get("a/b")), "child");
      assert.equal(dec.decode(await s.get("a/b/c")), "grandchild");
      assert.deepEqual((await listAll(s, undefined)).keys, ["a", "a/b", "a/b/c"]);
      await s.delete("a/b");
      assert.deepEqual((await listAll(s, undefined)).keys, ["a", "a/b/c"]);
    },
  },
  {
    id: "bad-options",
    title: "invalid metadata names/values and content types are InvalidInput",
    async run(s) {
      await expectKind(s.put("k", "x", { metadata: { "Has-Dash": "1" } }), "InvalidInput");
      await expectKind(s.put("k", "x", { metadata: { "9lead": "1" } }), "InvalidInput");
      await expectKind(s.put("k", "x", { metadata: { ok: "line\nbreak" } }), "InvalidInput");
      await expectKind(s.put("k", "x", { metadata: { big: "v".repeat(3000) } }), "InvalidInput");
      await expectKind(s.put("k", "x", { contentType: "text/\u0001" }), "InvalidInput");
      await expectKind(s.put("k", 42 as unknown as string), "InvalidInput");
      assert.equal(await s.exists("k"), false);
    },
  },
];
