// Blob conformance: conditional writes: putIfAbsent and putIfMatch, alone and racing.
import assert from "node:assert/strict";
import type { BlobMeta } from "../../blob/mod.ts";
import { type BlobCase, checkMeta, dec, enc, expectKind } from "./_helpers.ts";
import { StoreError } from "../../core/error.ts";

/** The conditional cases. */
export const conditionalCases: BlobCase[] = [
  {
    id: "put-if-absent",
    title: "putIfAbsent writes once, then AlreadyExists leaves it unchanged",
    async run(s) {
      const meta = await s.putIfAbsent("once", "first", { metadata: { a: "1" } });
      checkMeta(meta, "once", enc.encode("first"));
      await expectKind(s.putIfAbsent("once", "second"), "AlreadyExists");
      assert.equal(dec.decode(await s.get("once")), "first");
      assert.deepEqual((await s.head("once")).metadata, { a: "1" });
      await s.delete("once");
      await s.putIfAbsent("once", "third");
      assert.equal(dec.decode(await s.get("once")), "third");
    },
  },
  {
    id: "put-if-absent-race",
    title: "concurrent putIfAbsent: exactly one wins",
    async run(s) {
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
    },
  },
  {
    id: "put-if-match",
    title: "putIfMatch writes on the current etag, else CasMismatch",
    async run(s) {
      const v1 = await s.put("cas", "v1");
      const v2 = await s.putIfMatch("cas", "v2", v1.etag);
      assert.notEqual(v2.etag, v1.etag);
      assert.equal(dec.decode(await s.get("cas")), "v2");
      await expectKind(s.putIfMatch("cas", "stale", v1.etag), "CasMismatch");
      assert.equal(dec.decode(await s.get("cas")), "v2");
      await expectKind(s.putIfMatch("absent", "x", v1.etag), "CasMismatch");
      assert.equal(await s.exists("absent"), false);
    },
  },
  {
    id: "put-if-match-race",
    title: "concurrent putIfMatch on one etag: exactly one wins",
    async run(s) {
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
    },
  },
];
