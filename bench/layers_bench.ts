// Layer costs and wins: hot-set reads through the cache, LRU vs ARC, codec
// ratio and speed on JSON-like values, and sealing overhead.
// Run: deno bench -A bench/layers_bench.ts
import { openInMemory } from "../mod.ts";
import type { KvStore } from "../core/kv.ts";
import { ArcCache, CachedKvStore, LruCache } from "../layers/cache/mod.ts";
import { type CodecName, CODECS, CompressedKv } from "../layers/compress/mod.ts";
import { EncryptedKv, randomKey } from "../layers/encrypt/mod.ts";
import { encodeKey } from "../layers/typed/mod.ts";

const KEYS = 10_000;
const HOT = 500;
const enc = new TextEncoder();

function doc(i: number): Uint8Array {
  return enc.encode(JSON.stringify({
    id: i,
    user: { name: `user-${i}`, email: `user${i}@example.com`, active: i % 3 === 0 },
    tags: ["alpha", "beta", "gamma", "delta"].slice(0, 1 + (i % 4)),
    events: Array.from({ length: 24 }, (_, j) => ({
      at: 1_700_000_000 + i * 100 + j,
      kind: j % 2 ? "view" : "click",
      path: `/items/${(i * 31 + j) % 997}`,
    })),
  }));
}

async function filled(kind: "btree" | "denokv"): Promise<KvStore> {
  const s = await openInMemory(kind);
  for (let i = 0; i < KEYS; i += 500) {
    await s.batchWrite(
      Array.from({ length: 500 }, (_, j) => [`key-${i + j}`, `value-${i + j}`] as [string, string]),
    );
  }
  return s;
}

// A skewed read mix: 9 reads in 10 hit the hot set.
let seed = 1;
function nextKey(): string {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  const hot = seed % 10 !== 0;
  return `key-${hot ? seed % HOT : seed % KEYS}`;
}

for (const kind of ["btree", "denokv"] as const) {
  const bare = await filled(kind);
  const lru = new CachedKvStore(await filled(kind), { maxEntries: 1000 });
  const arc = new CachedKvStore(await filled(kind), { maxEntries: 1000, policy: "arc" });
  Deno.bench(`${kind}: 1000 skewed point reads, bare engine`, {
    group: `reads-${kind}`,
    baseline: true,
  }, async () => {
    for (let i = 0; i < 1000; i++) await bare.get(nextKey());
  });
  Deno.bench(
    `${kind}: 1000 skewed point reads, LRU cache`,
    { group: `reads-${kind}` },
    async () => {
      for (let i = 0; i < 1000; i++) await lru.get(nextKey());
    },
  );
  Deno.bench(
    `${kind}: 1000 skewed point reads, ARC cache`,
    { group: `reads-${kind}` },
    async () => {
      for (let i = 0; i < 1000; i++) await arc.get(nextKey());
    },
  );
}

for (const [name, Cache] of [["LruCache", LruCache], ["ArcCache", ArcCache]] as const) {
  const c = new Cache<number, number>({ maxEntries: 1000 });
  let x = 7;
  Deno.bench(`${name}: 10k get-or-set, 2k keys, 1k capacity`, { group: "policies" }, () => {
    for (let i = 0; i < 10_000; i++) {
      x = (x * 48271) % 2147483647;
      const k = x % 10 < 8 ? x % 400 : x % 2000;
      if (c.get(k) === undefined) c.set(k, i);
    }
  });
}

const docs = Array.from({ length: 64 }, (_, i) => doc(i));
const rawBytes = docs.reduce((n, d) => n + d.length, 0);
const ratios: string[] = [];
for (const name of Object.keys(CODECS) as CodecName[]) {
  const codec = CODECS[name];
  const packed = docs.map((d) => codec.compress(d));
  const size = packed.reduce((n, d) => n + d.length, 0);
  ratios.push(`${name} ${(rawBytes / size).toFixed(2)}x`);
  Deno.bench(
    `compress 64 JSON docs (${rawBytes >> 6} B avg) with ${name}`,
    { group: "compress" },
    () => {
      for (const d of docs) codec.compress(d);
    },
  );
  Deno.bench(`decompress 64 JSON docs with ${name}`, { group: "decompress" }, () => {
    for (const p of packed) codec.decompress(p);
  });
}
console.log(`compression ratio on JSON docs: ${ratios.join(", ")}`);

const plain = await openInMemory("btree");
const sealed = await EncryptedKv.create(await openInMemory("btree"), {
  keys: { k: randomKey() },
  activeKeyId: "k",
});
const squeezed = new CompressedKv(await openInMemory("btree"), { codec: "lz4" });
const sample = doc(1);
for (
  const [name, s] of [["bare", plain], ["encrypt", sealed], ["compress(lz4)", squeezed]] as const
) {
  let i = 0;
  Deno.bench(`${name}: put + get of a ${sample.length} B JSON doc`, {
    group: "layer-cost",
    baseline: name === "bare",
  }, async () => {
    const k = encodeKey(["doc", i++ % 1000]);
    await s.put(k, sample);
    await s.get(k);
  });
}
