// Blob conformance: copy and rename.
import assert from "node:assert/strict";
import { type BlobCase, dec, expectKind } from "./_helpers.ts";
import { sha256 } from "../../blob/mod.ts";

/** The move cases. */
export const moveCases: BlobCase[] = [
  {
    id: "copy",
    title: "copy duplicates content, type and metadata and keeps the source",
    async run(s) {
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
    },
  },
  {
    id: "rename",
    title: "rename moves the blob and removes the source",
    async run(s) {
      await s.put("from", "moving", { metadata: { k: "v" } });
      await s.put("to", "old");
      await s.rename("from", "to");
      assert.equal(await s.exists("from"), false);
      assert.equal(dec.decode(await s.get("to")), "moving");
      assert.deepEqual((await s.head("to")).metadata, { k: "v" });
      await expectKind(s.rename("from", "elsewhere"), "NotFound");
      await s.rename("to", "deep/er/key");
      assert.equal(dec.decode(await s.get("deep/er/key")), "moving");
    },
  },
];
