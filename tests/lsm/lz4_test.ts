// The private LZ4 block codec: round trips, compresses what repeats, and
// rejects damaged input instead of producing wrong bytes.
import fc from "fast-check";
import { assert, assertEquals } from "./_assert.ts";
import { lz4Compress, lz4Decompress } from "../../kv/lsm/_lz4.ts";

Deno.test("lz4: any bytes round-trip", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), (src) => {
      assertEquals(lz4Decompress(lz4Compress(src), src.length), src);
    }),
    { numRuns: 300 },
  );
});

Deno.test("lz4: repetitive bytes round-trip and shrink", () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom('{"id":', '"name":"x"', ",", "}", "0", "1", "abc"), {
        minLength: 50,
        maxLength: 800,
      }),
      (parts) => {
        const src = new TextEncoder().encode(parts.join(""));
        const packed = lz4Compress(src);
        assertEquals(lz4Decompress(packed, src.length), src);
        assert(packed.length < src.length, `${packed.length} >= ${src.length}`);
      },
    ),
    { numRuns: 200 },
  );
  const long = new Uint8Array(100_000).fill(7);
  const packed = lz4Compress(long);
  assert(packed.length < 1000, `run of 100k bytes packed to ${packed.length}`);
  assertEquals(lz4Decompress(packed, long.length), long);
});

Deno.test("lz4: damaged input throws or fails the size check, never silently", () => {
  const src = new TextEncoder().encode("hello hello hello hello hello world ".repeat(40));
  const packed = lz4Compress(src);
  let threw = 0;
  for (let i = 0; i < packed.length; i++) {
    const bad = packed.slice();
    bad[i]! ^= 0xff;
    try {
      const out = lz4Decompress(bad, src.length);
      // A flipped literal byte decodes to different bytes of the right size:
      // the block checksum around every LZ4 payload catches those.
      assertEquals(out.length, src.length);
    } catch {
      threw++;
    }
  }
  assert(threw > 0, "no damaged input was rejected");
  let truncated = 0;
  for (let n = 0; n < packed.length; n += 7) {
    try {
      lz4Decompress(packed.subarray(0, n), src.length);
    } catch {
      truncated++;
    }
  }
  assertEquals(truncated, Math.ceil(packed.length / 7));
});
