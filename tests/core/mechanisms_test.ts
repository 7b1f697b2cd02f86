// The mechanisms written once in core/ and shared by the engines, the layers,
// blob and columnar: each is checked against a plain reference written here
// (the slow, obvious form of the same algorithm) over seeded random inputs.
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { crc32 } from "../../core/crc32.ts";
import { xxhash32 } from "../../core/xxhash32.ts";
import { Lru } from "../../core/_lru.ts";
import { ByteWriter } from "../../core/byte_writer.ts";
import { keyId } from "../../core/_key_id.ts";
import {
  fromBase64,
  fromBase64Url,
  fromHex,
  toBase64,
  toBase64Url,
  toHex,
} from "../../core/encoding.ts";
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

// xxHash32 as its specification reads: 32-bit lanes over little-endian words.
function xxReference(b: Uint8Array): number {
  const P = [0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f, 0x165667b1].map(BigInt);
  const M = 0xffffffffn;
  const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (32n - r))) & M;
  const word = (i: number) =>
    BigInt(new DataView(b.buffer, b.byteOffset + i, 4).getUint32(0, true));
  const [P1, P2, P3, P4, P5] = P as [bigint, bigint, bigint, bigint, bigint];
  let i = 0;
  let h: bigint;
  if (b.length >= 16) {
    const v = [(P1 + P2) & M, P2, 0n, (0n - P1) & M];
    for (; i + 16 <= b.length; i += 16) {
      for (let k = 0; k < 4; k++) v[k] = (rotl((v[k]! + word(i + 4 * k) * P2) & M, 13n) * P1) & M;
    }
    h = (rotl(v[0]!, 1n) + rotl(v[1]!, 7n) + rotl(v[2]!, 12n) + rotl(v[3]!, 18n)) & M;
  } else h = P5;
  h = (h + BigInt(b.length)) & M;
  for (; i + 4 <= b.length; i += 4) h = (rotl((h + word(i) * P3) & M, 17n) * P4) & M;
  for (; i < b.length; i++) h = (rotl((h + BigInt(b[i]!) * P5) & M, 11n) * P1) & M;
  h = ((h ^ (h >> 15n)) * P2) & M;
  h = ((h ^ (h >> 13n)) * P3) & M;
  return Number(h ^ (h >> 16n));
}

Deno.test("xxhash32: known values, and every alignment and length agrees with the reference", () => {
  strictEqual(xxhash32(new Uint8Array(0)), 0x02cc5d05);
  strictEqual(xxhash32(text("abc")), 0x32d153ff);
  const next = seededRandom(2);
  const buf = randomBytes(next, 5000);
  for (let t = 0; t < 300; t++) {
    const from = Math.floor(next() * 16);
    const n = t < 100 ? t : Math.floor(next() * 4900);
    const want = xxReference(buf.subarray(from, from + n));
    strictEqual(xxhash32(buf, from, from + n), want);
    strictEqual(xxhash32(buf.subarray(from, from + n)), want);
  }
});

Deno.test("encoding: hex and base64 round-trip and match the platform's atob/btoa", () => {
  const next = seededRandom(3);
  for (let t = 0; t < 200; t++) {
    const bytes = randomBytes(next, t);
    const bin = String.fromCharCode(...bytes);
    strictEqual(toBase64(bytes), btoa(bin));
    strictEqual(
      toBase64Url(bytes),
      btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, ""),
    );
    strictEqual(toHex(bytes), Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""));
    deepStrictEqual(fromBase64(toBase64(bytes)), new Uint8Array(bytes));
    deepStrictEqual(fromBase64Url(toBase64Url(bytes)), new Uint8Array(bytes));
    deepStrictEqual(fromHex(toHex(bytes).toUpperCase()), new Uint8Array(bytes));
  }
  deepStrictEqual(fromBase64(" YW\nJj "), text("abc"));
  for (const bad of ["a*b=", "-_8"]) throws(() => fromBase64(bad), SyntaxError);
  throws(() => fromBase64Url("+/8"), SyntaxError);
  for (const bad of ["abc", "zz"]) throws(() => fromHex(bad), SyntaxError);
});

Deno.test("lru: random operations agree with a list-based model under byte and entry bounds", () => {
  const next = seededRandom(4);
  for (const [maxBytes, maxEntries] of [[100, Infinity], [1000, 8], [0, Infinity]] as const) {
    const lru = new Lru<number, string>(maxBytes, (v, k) => v.length + k, maxEntries);
    let model: [number, string][] = []; // least recently used first
    let hits = 0;
    let misses = 0;
    const size = (e: [number, string]) => e[1].length + e[0];
    for (let op = 0; op < 3000; op++) {
      const key = Math.floor(next() * 12);
      const at = model.findIndex((e) => e[0] === key);
      const r = next();
      if (r < 0.45) {
        const value = "x".repeat(Math.floor(next() * 40));
        if (at >= 0) model.splice(at, 1);
        if (size([key, value]) <= maxBytes) {
          model.push([key, value]);
          const total = () => model.reduce((n, e) => n + size(e), 0);
          while (total() > maxBytes || model.length > maxEntries) model.shift();
        }
        lru.set(key, value);
      } else if (r < 0.85) {
        const want = at >= 0 ? model[at]![1] : undefined;
        if (at >= 0) hits++;
        else misses++;
        if (at >= 0) model.push(...model.splice(at, 1));
        strictEqual(lru.get(key), want);
      } else if (r < 0.95) {
        strictEqual(lru.peek(key), at >= 0 ? model[at]![1] : undefined);
      } else {
        strictEqual(lru.delete(key), at >= 0);
        if (at >= 0) model.splice(at, 1);
      }
      strictEqual(lru.size, model.length);
      strictEqual(lru.bytes, model.reduce((n, e) => n + size(e), 0));
    }
    strictEqual(lru.hits, hits);
    strictEqual(lru.misses, misses);
    lru.clear();
    model = [];
    strictEqual(lru.size + lru.bytes, 0);
  }
});

Deno.test("keyId: one UTF-16 unit per byte, so the id gives back the key (long keys too)", () => {
  const next = seededRandom(5);
  for (const n of [0, 1, 255, 4096, 4097, 9000]) {
    const key = randomBytes(next, n);
    const id = keyId(key);
    deepStrictEqual(Uint8Array.from(id, (c) => c.charCodeAt(0)), key);
  }
});

Deno.test("ByteWriter: grows from one byte; varints are LEB128 up to 2^53; fixed widths little-endian", () => {
  const w = new ByteWriter(1);
  const want: number[] = [];
  const next = seededRandom(6);
  for (let t = 0; t < 500; t++) {
    const n = Math.floor(next() * 2 ** (1 + Math.floor(next() * 53)));
    w.varint(n);
    for (let x = n;; x = Math.floor(x / 128)) {
      want.push((x % 128) | (x >= 128 ? 0x80 : 0));
      if (x < 128) break;
    }
  }
  w.u32(0xdeadbeef);
  want.push(0xef, 0xbe, 0xad, 0xde);
  w.u64(2 ** 40 + 1);
  want.push(1, 0, 0, 0, 0, 1, 0, 0);
  w.f64(-1.5);
  want.push(...new Uint8Array(new Float64Array([-1.5]).buffer));
  const long = randomBytes(next, 100);
  w.bytes(long);
  want.push(...long);
  deepStrictEqual(w.copy(), Uint8Array.from(want));
  deepStrictEqual(w.view(), Uint8Array.from(want));
  w.reset();
  strictEqual(w.view().length, 0);
});
