// The fast V8-format writer and reader against node:v8 itself: each reads what the other wrote.
import fc from "fast-check";
import { deepStrictEqual } from "node:assert/strict";
import { deserialize, serialize } from "node:v8";
import { deserializeV8, serializeV8 } from "../../layers/deno_kv/_v8_format.ts";

const values = fc.anything({
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withSparseArray: true,
  withTypedArray: true,
  withNullPrototype: false,
  withBoxedValues: false,
  withObjectString: false,
});

Deno.test("v8 format: node:v8 reads what the fast writer wrote, and the fast reader node:v8's bytes", () => {
  fc.assert(
    fc.property(values, (v) => {
      deepStrictEqual(deserialize(serializeV8(v)), v);
      deepStrictEqual(deserializeV8(serialize(v)), v);
      deepStrictEqual(deserializeV8(serializeV8(v)), v);
    }),
    { numRuns: 500 },
  );
});

Deno.test("v8 format: strings keep lone surrogates; shared objects and cycles round-trip", () => {
  const shared = { x: 1 };
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  for (const v of ["é\ud800", "\u{1F600}", [shared, shared], cyclic, { 1: "index key" }]) {
    const back = deserializeV8(serializeV8(v));
    deepStrictEqual(back, v);
  }
  const [a, b] = deserializeV8(serializeV8([shared, shared])) as object[];
  deepStrictEqual(a === b, true);
});

Deno.test("v8 format: property names read back right when many names share the reader's name cache", () => {
  // 2,000 distinct names over 256 cache slots: most collide; some share a length too.
  const names = Array.from({ length: 2000 }, (_, i) => `k${i.toString(36)}`);
  names.push("x".repeat(33), "x".repeat(32), "é", "a\u0000b");
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < names.length; i += 3) {
      const o = { [names[i]!]: i, [names[(i + 7) % names.length]!]: [i], same: true };
      deepStrictEqual(deserializeV8(serializeV8(o)), o);
      deepStrictEqual(deserializeV8(new Uint8Array(serialize(o))), o);
    }
  }
});

Deno.test("v8 format: the reader reads a value in place past a header, and the next call starts clean", () => {
  fc.assert(
    fc.property(values, fc.nat(24), (v, at) => {
      const body = serialize(v);
      const bytes = new Uint8Array(at + body.length).fill(0xee);
      bytes.set(body, at);
      deepStrictEqual(deserializeV8(bytes, at), v);
      // A reader shared across calls: a value that falls back to node:v8 (or throws) must not
      // leave its bytes or position behind for the next one.
      deepStrictEqual(deserializeV8(serializeV8({ after: at })), { after: at });
    }),
    { numRuns: 300, seed: 16 },
  );
});
