// Blob conformance: content addressing: putCas, getCas, existsCas.
import assert from "node:assert/strict";
import { type BlobCase, expectKind, pseudoRandom, streamOf } from "./_helpers.ts";
import { casKey, Digest, sha256 } from "../../blob/mod.ts";

/** The cas cases. */
export const casCases: BlobCase[] = [
  {
    id: "cas",
    title: "putCas stores by SHA-256, idempotently, readable by getCas",
    async run(s) {
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
    },
  },
  {
    id: "cas-corruption",
    title: "getCas re-verifies content and reports Corruption",
    async run(s) {
      const d = await s.putCas("genuine");
      await s.put(casKey(d), "tampered");
      const err = await expectKind(s.getCas(d), "Corruption");
      assert.match(err.message, new RegExp(`content-addressed blob ${d.hex} in \\S`));
    },
  },
];
