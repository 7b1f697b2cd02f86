// Node searches skip the bytes every key of a node shares and compare four
// bytes at a time: checked against a sorted array on keys built to share
// long prefixes, to be prefixes of each other and to be shorter than them.
import { deepStrictEqual, equal } from "node:assert/strict";
import fc from "fast-check";
import { openBTree } from "../../kv/btree/mod.ts";
import { compareBytes } from "../../core/bytes.ts";
import { hex } from "./_helpers.ts";

const part = fc.uint8Array({ minLength: 0, maxLength: 6, max: 3 });

Deno.test("btree point reads and range starts match a sorted array on prefix-heavy keys", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 0, maxLength: 12 }),
      fc.uniqueArray(part, { minLength: 1, maxLength: 300, selector: hex }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), part), { minLength: 1, maxLength: 40 }),
      async (prefix, suffixes, probes) => {
        await using store = await openBTree(undefined);
        const keys = suffixes.map((s) => new Uint8Array([...prefix, ...s]))
          .filter((k) => k.length > 0)
          .sort(compareBytes);
        // Large values: a few keys per leaf, so the tree has branches too.
        const value = new Uint8Array(900);
        await store.batchWrite(keys.map((k) => [k, value] as [Uint8Array, Uint8Array]));
        for (const [cut, tail] of probes) {
          const probe = new Uint8Array([...prefix.subarray(0, cut), ...tail]);
          if (probe.length === 0) continue;
          const present = keys.some((k) => compareBytes(k, probe) === 0);
          equal((await store.get(probe)) !== undefined, present, `get ${hex(probe)}`);
          const want = keys.find((k) => compareBytes(k, probe) >= 0);
          let got: Uint8Array | undefined;
          for await (const [k] of store.range(probe, undefined, { limit: 1 })) got = k;
          deepStrictEqual(got && hex(got), want && hex(want), `first key >= ${hex(probe)}`);
          const before = keys.filter((k) => compareBytes(k, probe) < 0).pop();
          let last: Uint8Array | undefined;
          for await (const [k] of store.range(undefined, probe, { reverse: true, limit: 1 })) {
            last = k;
          }
          deepStrictEqual(last && hex(last), before && hex(before), `last key < ${hex(probe)}`);
        }
      },
    ),
    { numRuns: 60 },
  );
});
