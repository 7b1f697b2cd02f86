// Blob conformance: ranged and streamed reads.
import assert from "node:assert/strict";
import { type BlobCase, expectKind, pseudoRandom, readAll, streamOf } from "./_helpers.ts";
import { sha256 } from "../../blob/mod.ts";

/** The read cases. */
export const readCases: BlobCase[] = [
  {
    id: "range",
    title: "getStream returns exactly the [start, end) range",
    async run(s) {
      const data = pseudoRandom(300_000, 7);
      await s.put("r", data);
      assert.deepEqual(await readAll(await s.getStream("r")), data);
      assert.deepEqual(
        await readAll(await s.getStream("r", { start: 0, end: 5 })),
        data.slice(0, 5),
      );
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
    },
  },
  {
    id: "range-invalid",
    title: "negative, fractional or reversed ranges are InvalidInput",
    async run(s) {
      await s.put("r", "0123456789");
      await expectKind(s.getStream("r", { start: -1 }), "InvalidInput");
      await expectKind(s.getStream("r", { start: 1.5 }), "InvalidInput");
      await expectKind(s.getStream("r", { start: 5, end: 2 }), "InvalidInput");
    },
  },
  {
    id: "stream-cancel",
    title: "a cancelled read stream releases the blob",
    async run(s) {
      await s.put("c", pseudoRandom(200_000));
      const stream = await s.getStream("c");
      const reader = stream.getReader();
      const first = await reader.read();
      assert.equal(first.done, false);
      await reader.cancel();
      await s.delete("c");
      assert.equal(await s.exists("c"), false);
    },
  },
  {
    id: "large",
    title: "a multi-MiB blob round-trips through streams",
    async run(s) {
      const data = pseudoRandom(6 * 1024 * 1024 + 17, 11);
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < data.length; i += 1 << 20) chunks.push(data.subarray(i, i + (1 << 20)));
      const meta = await s.put("big/blob", streamOf(...chunks));
      assert.equal(meta.digest, sha256(data).hex);
      const back = await readAll(await s.getStream("big/blob"));
      assert.equal(back.length, data.length);
      assert.ok(sha256(back).equals(meta.digest));
    },
  },
];
