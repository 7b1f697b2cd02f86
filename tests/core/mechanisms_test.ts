// The mechanisms written once in core/ and shared by the engines, the layers,
// blob and columnar: each is checked against a plain reference written here
// (the slow, obvious form of the same algorithm) over seeded random inputs.
import { strictEqual } from "node:assert/strict";
import { crc32 } from "../../core/crc32.ts";
import { randomBytes as randomBytesOf, seededRandom } from "../_support/random.ts";

const text = (s: string) => new TextEncoder().encode(s);

function randomBytes(next: () => number, n: number): Uint8Array {
  return randomBytesOf(n, (next() * 2 ** 32) >>> 0);
}

// The bit-at-a-time CRC-32 of the IEEE polynomial.
function crcReference(bytes: Uint8Array, start = 0): number {
  let c = ~start >>> 0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

Deno.test("crc32: the check value, continuation, and views into larger buffers", () => {
  strictEqual(crc32(text("123456789")), 0xcbf43926);
  strictEqual(crc32(new Uint8Array(0)), 0);
  const next = seededRandom(1);
  for (let t = 0; t < 200; t++) {
    const buf = randomBytes(next, 1 + Math.floor(next() * 3000));
    const from = Math.floor(next() * buf.length);
    const view = buf.subarray(from);
    strictEqual(crc32(view), crcReference(view));
    const cut = Math.floor(next() * view.length);
    strictEqual(crc32(view.subarray(cut), crc32(view.subarray(0, cut))), crcReference(view));
  }
});
