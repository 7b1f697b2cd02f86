// Blob conformance: deleting many: deleteMany, deletePrefix, deleteIfMatches.
import assert from "node:assert/strict";
import { type BlobCase, expectKind, listAll } from "./_helpers.ts";
import { sha256 } from "../../blob/mod.ts";

/** The delete cases. */
export const deleteCases: BlobCase[] = [
  {
    id: "delete-many-input",
    title: "deleteMany refuses anything but an array of valid keys, and deletes nothing then",
    async run(s) {
      await s.put("kept", "x");
      await expectKind(s.deleteMany("kept" as unknown as string[]), "InvalidInput");
      await expectKind(s.deleteMany([42 as unknown as string]), "InvalidInput");
      await expectKind(s.deleteMany(["kept", "../bad"]), "InvalidInput");
      assert.equal(await s.exists("kept"), true);
    },
  },
  {
    id: "delete-many",
    title: "deleteMany removes the existing keys and counts them",
    async run(s) {
      await s.put("m/1", "a");
      await s.put("m/2", "b");
      await s.put("m/3", "c");
      assert.equal(await s.deleteMany(["m/1", "m/3", "m/missing"]), 2);
      assert.deepEqual((await listAll(s, "m/")).keys, ["m/2"]);
      assert.equal(await s.deleteMany([]), 0);
      await expectKind(s.deleteMany(["ok", "../bad"]), "InvalidInput");
      assert.equal(await s.exists("m/2"), true);
    },
  },
  {
    id: "delete-prefix",
    title: "deletePrefix removes every key under the prefix and counts",
    async run(s) {
      for (const k of ["logs/1", "logs/2", "logs/x/3", "logs2", "log", "keep/1"]) await s.put(k, k);
      assert.equal(await s.deletePrefix("logs/"), 3);
      assert.deepEqual((await listAll(s, undefined)).keys, ["keep/1", "log", "logs2"]);
      assert.equal(await s.deletePrefix("log"), 2);
      assert.equal(await s.deletePrefix("none/"), 0);
      assert.deepEqual((await listAll(s, undefined)).keys, ["keep/1"]);
    },
  },
  {
    id: "delete-if-matches",
    title: "deleteIfMatches deletes only on the right digest",
    async run(s) {
      await s.put("dim", "content");
      assert.equal(await s.deleteIfMatches("dim", sha256("other")), false);
      assert.equal(await s.exists("dim"), true);
      assert.equal(await s.deleteIfMatches("dim", sha256("content").hex), true);
      assert.equal(await s.exists("dim"), false);
      assert.equal(await s.deleteIfMatches("dim", sha256("content")), false);
      await expectKind(s.deleteIfMatches("dim", "nothex"), "InvalidInput");
    },
  },
];
