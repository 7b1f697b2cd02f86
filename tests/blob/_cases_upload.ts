// Blob conformance: chunked uploads, presign and close.
import assert from "node:assert/strict";
import { type BlobCase, checkMeta, dec, enc, expectKind, pseudoRandom } from "./_helpers.ts";
import { StoreError } from "../../core/error.ts";

/** The upload cases. */
export const uploadCases: BlobCase[] = [
  {
    id: "upload",
    title: "a chunked upload is invisible until complete, then whole",
    async run(s) {
      await s.put("up", "previous");
      const up = await s.startUpload("up", { contentType: "application/x", metadata: { u: "1" } });
      assert.equal(up.key, "up");
      const parts = [pseudoRandom(100_000, 1), pseudoRandom(3, 2), pseudoRandom(250_000, 3)];
      for (const p of parts) await up.write(p);
      await up.write("tail");
      assert.equal(dec.decode(await s.get("up")), "previous");
      const meta = await up.complete();
      const whole = new Uint8Array([
        ...parts[0]!,
        ...parts[1]!,
        ...parts[2]!,
        ...enc.encode("tail"),
      ]);
      checkMeta(meta, "up", whole);
      assert.equal(meta.contentType, "application/x");
      assert.deepEqual(meta.metadata, { u: "1" });
      assert.deepEqual(await s.get("up"), whole);
      await expectKind(up.write("late"), "Closed");
    },
  },
  {
    id: "upload-abort",
    title: "an aborted upload leaves nothing behind",
    async run(s) {
      const up = await s.startUpload("aborted/key");
      await up.write(pseudoRandom(50_000));
      await up.abort();
      await up.abort();
      assert.equal(await s.exists("aborted/key"), false);
      assert.deepEqual((await s.list()).items, []);
      await expectKind(up.complete(), "Closed");
    },
  },
  {
    id: "upload-empty",
    title: "an upload with no chunks stores an empty blob",
    async run(s) {
      const up = await s.startUpload("empty/upload");
      const meta = await up.complete();
      checkMeta(meta, "empty/upload", new Uint8Array(0));
      assert.equal((await s.get("empty/upload")).length, 0);
    },
  },
  {
    id: "presign",
    title: "presign gives a URL or, where unsupported, Unsupported",
    async run(s) {
      await s.put("ps", "x");
      try {
        const url = await s.presign("ps", { method: "GET", expiresInSeconds: 60 });
        assert.ok(/^https?:\/\//.test(new URL(url).href));
      } catch (err) {
        assert.ok(err instanceof StoreError, String(err));
        assert.equal(err.kind, "Unsupported");
      }
    },
  },
  {
    id: "closed",
    title: "every call after close throws Closed",
    async run(s) {
      await s.put("k", "v");
      await s.close();
      await expectKind(s.get("k"), "Closed");
      await expectKind(s.put("k", "w"), "Closed");
      await expectKind(s.list(), "Closed");
      await expectKind(s.head("k"), "Closed");
      await expectKind(s.startUpload("u"), "Closed");
      await s.close();
    },
  },
];
