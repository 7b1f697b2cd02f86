// The one LZ4 block codec (core/lz4.ts) of LSM table blocks and CompressedKv
// values: round trips, compresses what repeats, reads blocks written before it
// replaced the two codecs it unites, and rejects damaged input instead of
// producing wrong bytes. tests/layers/compress_test.ts checks its blocks with
// an independent decoder (hyparquet's).
import fc from "fast-check";
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  lz4CompressBlock as lz4Compress,
  lz4DecompressBlock as lz4Decompress,
} from "../../core/lz4.ts";
import { StoreError } from "../../core/error.ts";

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
    } catch (err) {
      assert(err instanceof StoreError && err.kind === "Corruption", String(err));
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

// A block written by the LSM engine and CompressedKv before their two codecs
// became core/lz4.ts (both wrote these exact bytes): tables and values already
// on disk must still decode.
const OLD_BLOCK =
  "8QB7ImlkIjowLCJ1c2VyIjoHAPIELTAiLCJraW5kIjoiY2xpY2sifScAGjEnABYxJwBEdmlldyYAGjImAB8yJgADGjMmABYzJgAJcwAaNCcAFjQnAAhzABo1JgAfNSYAAxo2JgAWNiYACXMAGjcnAAcNAQhzABo4JgAPDAEEGjkmAAcMAQlzABsxgQEHDgEIdAAbMYEBDw4BBBsxggEHDwEKdgALhAEHEQEJdgALhAEPEQEEGzGFAQcSAQp2AAuHAQcUAQl2AAuHAQ8TAQULiAEHEwEKdgALigEHFAEIdgAbMokBDxMBBBsyiQEHEwEJdgAbMooBBxQBCXYAC4kBDxMBBBsyiQEHEwEKdgALigEHFAEJdgALiQEPEwEFC4kBBxMBCnYAC4oBBxQBCXYAC4kBDxMBBBsziQEHEwEJdgAbM4oBBxQBCHYAGzOJAQ8TAQQbM4kBBxMBCnYAC4oBBxQBCXYAC4kBDxMBBBsziQEHEwEKdgALigEHFAEJdgALiQEPEwEFC4kBBxMBcGNsaWNrIn0=";

Deno.test("lz4: a block written before the codecs were merged decodes to its text", () => {
  let text = "";
  for (let i = 0; i < 40; i++) {
    text += JSON.stringify({ id: i, user: `user-${i % 7}`, kind: i % 3 ? "view" : "click" });
  }
  const block = Uint8Array.from(atob(OLD_BLOCK), (c) => c.charCodeAt(0));
  assertEquals(new TextDecoder().decode(lz4Decompress(block, text.length)), text);
});
