// The hot shared mechanisms of core/ on their own: checksums (CRC-32,
// xxHash32), LZ4, hex/base64, the byte-bounded LRU under the three caches and
// the growable byte writer. Run it before and after changing one of them.
// Run: deno bench -A bench/mechanisms_bench.ts
import { crc32 as zlibCrc32 } from "node:zlib";
import { crc32 } from "../core/crc32.ts";
import { xxhash32 } from "../core/xxhash32.ts";
import { lz4CompressBlock, lz4DecompressBlock } from "../core/lz4.ts";
import { fromBase64, toBase64, toHex } from "../core/encoding.ts";
import { ByteWriter } from "../core/byte_writer.ts";
import { BlockCache } from "../kv/lsm/_block_cache.ts";
import { ValueCache } from "../kv/denokv/_value_cache.ts";
import { LruCache } from "../layers/cache/mod.ts";
import { BinaryCodec } from "../layers/typed/mod.ts";

const enc = new TextEncoder();

// JSON-like rows: what table blocks and compressed values mostly hold.
function jsonish(bytes: number): Uint8Array {
  let s = "";
  for (let i = 0; s.length < bytes; i++) {
    s += JSON.stringify({ id: i, user: `user-${i % 97}`, kind: i % 3 ? "view" : "click" });
  }
  return enc.encode(s).slice(0, bytes);
}

let seed = 7;
function random(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) | 0;
    out[i] = seed >>> 24;
  }
  return out;
}

const block4k = jsonish(4096);
const big64k = random(65536);
const lz4Block = lz4CompressBlock(block4k);
const lz4Big = lz4CompressBlock(jsonish(65536));

Deno.bench("crc32 64 KiB (core/crc32.ts)", { group: "crc" }, () => {
  crc32(big64k);
});
Deno.bench("crc32 64 KiB (node:zlib)", { group: "crc" }, () => {
  zlibCrc32(big64k);
});

Deno.bench("xxhash32 4 KiB block", { group: "xxhash" }, () => {
  xxhash32(block4k);
});
Deno.bench("xxhash32 64 KiB", { group: "xxhash" }, () => {
  xxhash32(big64k);
});
Deno.bench("xxhash32 100 B range", { group: "xxhash" }, () => {
  xxhash32(block4k, 13, 113);
});

Deno.bench("lz4 compress 4 KiB json", { group: "lz4" }, () => {
  lz4CompressBlock(block4k);
});
Deno.bench("lz4 compress 64 KiB random", { group: "lz4" }, () => {
  lz4CompressBlock(big64k);
});
Deno.bench("lz4 decompress 4 KiB json", { group: "lz4" }, () => {
  lz4DecompressBlock(lz4Block, 4096);
});
Deno.bench("lz4 decompress 64 KiB json", { group: "lz4" }, () => {
  lz4DecompressBlock(lz4Big, 65536);
});

const digest = big64k.subarray(0, 32);
const kilo = big64k.subarray(0, 1024);
const kiloText = toBase64(kilo);
Deno.bench("hex 32 B", { group: "encoding" }, () => {
  toHex(digest);
});
Deno.bench("base64 encode 1 KiB", { group: "encoding" }, () => {
  toBase64(kilo);
});
Deno.bench("base64 decode 1 KiB", { group: "encoding" }, () => {
  fromBase64(kiloText);
});

const keys = Array.from({ length: 4096 }, (_, i) => enc.encode(`user/${i}`));
const value = enc.encode("v".repeat(100));
const lru = new LruCache<number, Uint8Array>({ maxEntries: 2048, maxBytes: 1 << 20 });
const blocks = new BlockCache(1 << 20);
const values = new ValueCache(1 << 20);
let n = 0;
Deno.bench("LruCache set+get (half misses)", { group: "cache" }, () => {
  const i = n++ & 4095;
  lru.set(i, value);
  lru.get((i * 7) & 4095);
});
Deno.bench("lsm BlockCache set+get (half misses)", { group: "cache" }, () => {
  const i = n++ & 4095;
  blocks.set(i, block4k.subarray(0, 512));
  blocks.get((i * 7) & 4095);
});
Deno.bench("denokv ValueCache set+get (half misses)", { group: "cache" }, () => {
  const i = n++ & 4095;
  values.set(keys[i]!, value);
  values.get(keys[(i * 7) & 4095]!);
});

const writer = new ByteWriter(64);
const codec = new BinaryCodec();
const record = { id: 12345, name: "someone", tags: ["a", "b"], at: new Date(0), n: 1.5 };
Deno.bench("ByteWriter 1000 varints + bytes", { group: "writer" }, () => {
  writer.reset();
  for (let i = 0; i < 1000; i++) {
    writer.varint(i * 977);
    writer.bytes(digest);
  }
});
Deno.bench("BinaryCodec encode record", { group: "writer" }, () => {
  codec.encode(record);
});
