import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { BTREE_MAGIC, isBTreeFile, openBTree } from "../../kv/btree/mod.ts";
import { checkInvariants } from "../../kv/btree/_check.ts";
import { engineOf } from "../../kv/btree/_registry.ts";
import { removeDir, rng, tempPath } from "./_helpers.ts";
import { assertRejectsKind } from "../_support/assert.ts";

const dec = new TextDecoder();
const PROBE = new URL("./_lock_probe.ts", import.meta.url).pathname;

async function probe(path: string, mode: "rw" | "ro"): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", PROBE, path, mode],
  }).output();
  return dec.decode(out.stdout).trim();
}

Deno.test("btree file starts with its magic and isBTreeFile tells stores apart", async () => {
  const path = tempPath();
  try {
    await (await openBTree(path)).close();
    const head = Deno.readFileSync(path).subarray(0, BTREE_MAGIC.length);
    equal(dec.decode(head), "OXIBTREE");
    equal(await isBTreeFile(path), true);
    Deno.writeTextFileSync(path + ".txt", "hello world");
    equal(await isBTreeFile(path + ".txt"), false);
    equal(await isBTreeFile(path + ".missing"), false);
  } finally {
    removeDir(path);
  }
});

Deno.test("btree several openers: in this process and from another process, each sees the other's commits", async () => {
  const path = tempPath();
  try {
    const store = await openBTree(path);
    await store.put("mine", "1");
    const second = await openBTree(path);
    const reader = await openBTree(path, { readOnly: true });
    equal(dec.decode(await second.get("mine")), "1");
    await second.put("theirs", "2");
    equal(dec.decode(await store.get("theirs")), "2");
    equal(dec.decode(await reader.get("theirs")), "2");
    equal(await probe(path, "rw"), "opened");
    equal(await probe(path, "ro"), "opened");
    await second.close();
    await reader.close();
    await store.put("after", "3");
    await store.close();
    const again = await openBTree(path, { readOnly: true });
    deepStrictEqual(await again.count(), 3);
    await again.close();
  } finally {
    removeDir(path);
  }
});

Deno.test("btree read-only open never creates, and writes through it are ReadOnly", async () => {
  const path = tempPath();
  try {
    await assertRejectsKind(() => openBTree(path, { readOnly: true }), "NotFound");
    ok(!(await Deno.stat(path).then(() => true, () => false)));
    const w = await openBTree(path);
    await w.put("a", "1");
    await w.close();
    const r = await openBTree(path, { readOnly: true });
    equal(dec.decode(await r.get("a")), "1");
    await assertRejectsKind(() => r.put("b", "2"), "ReadOnly");
    await r.close();
    const mem = await openBTree(undefined, { readOnly: true });
    await assertRejectsKind(() => mem.put("b", "2"), "ReadOnly");
    await mem.close();
  } finally {
    removeDir(path);
  }
});

Deno.test("btree rejects a bad cacheSizeBytes with InvalidInput", async () => {
  await assertRejectsKind(() => openBTree(undefined, { cacheSizeBytes: -1 }), "InvalidInput");
});

Deno.test("btree snapshot keeps its view while commits free and reuse its pages", async () => {
  const path = tempPath();
  try {
    await using store = await openBTree(path, { cacheSizeBytes: 64 * 1024 });
    const pairs: [string, string][] = [];
    for (let i = 0; i < 4000; i++) pairs.push([`k${String(i).padStart(5, "0")}`, `old${i}`]);
    await store.batchWrite(pairs);
    await using snap = await store.snapshot();
    for (let round = 0; round < 5; round++) {
      await store.batchWrite(pairs.map(([k], i) => [k, `new${round}-${i}`]));
      await store.batchDelete(pairs.slice(0, 1000).map(([k]) => k));
    }
    checkInvariants(store);
    equal(dec.decode(await snap.get("k00010")), "old10");
    let n = 0;
    for await (const [k, v] of snap.range()) {
      equal(dec.decode(v), `old${Number(dec.decode(k).slice(1))}`);
      n++;
    }
    equal(n, 4000);
    equal(await store.get("k00010"), undefined);
    equal(dec.decode(await store.get("k03999")), "new4-3999");
  } finally {
    removeDir(path);
  }
});

Deno.test("btree file stops growing under a steady overwrite workload", async () => {
  const path = tempPath();
  try {
    await using store = await openBTree(path);
    const sizes: number[] = [];
    for (let round = 0; round < 60; round++) {
      const pairs: [string, string][] = [];
      const v = String(round).padStart(3, "0");
      for (let i = 0; i < 300; i++) pairs.push([`key${(i * 7919) % 300}`, v.repeat(20)]);
      await store.batchWrite(pairs);
      for (let i = 0; i < 10; i++) await store.put(`single${i}`, v.repeat(400));
      sizes.push(await store.sizeOnDisk());
    }
    ok(sizes[59]! <= sizes[19]! * 1.2, `file grew from ${sizes[19]} to ${sizes[59]}`);
    checkInvariants(store);
  } finally {
    removeDir(path);
  }
});

Deno.test("btree without syncWrites still reuses pages (file stays bounded)", async () => {
  const path = tempPath();
  try {
    await using store = await openBTree(path, { syncWrites: false });
    const sizes: number[] = [];
    for (let round = 0; round < 400; round++) {
      const pairs: [string, string][] = [];
      const v = String(round).padStart(3, "0");
      for (let i = 0; i < 200; i++) pairs.push([`key${i}`, v.repeat(30)]);
      await store.batchWrite(pairs);
      sizes.push(await store.sizeOnDisk());
    }
    ok(sizes[399]! <= sizes[99]! * 1.5, `file grew from ${sizes[99]} to ${sizes[399]}`);
  } finally {
    removeDir(path);
  }
});

Deno.test("btree compact shrinks the file after mass deletes and keeps every value", async () => {
  const path = tempPath();
  try {
    const store = await openBTree(path);
    const pairs: [string, string][] = [];
    for (let i = 0; i < 20000; i++) pairs.push([`k${String(i).padStart(6, "0")}`, "v".repeat(80)]);
    for (let i = 0; i < pairs.length; i += 2000) await store.batchWrite(pairs.slice(i, i + 2000));
    await store.put("huge", new Uint8Array(200_000).fill(3));
    const full = await store.sizeOnDisk();
    await store.batchDelete(pairs.filter((_, i) => i % 10 !== 0).map(([k]) => k));
    await store.compact();
    const compacted = await store.sizeOnDisk();
    ok(compacted < full / 3, `compact: ${full} -> ${compacted}`);
    checkInvariants(store);
    equal(await store.count(), 2001);
    equal((await store.get("huge"))!.length, 200_000);
    await store.close();
    const again = await openBTree(path);
    equal(await again.count(), 2001);
    equal(dec.decode(await again.get("k000010")), "v".repeat(80));
    checkInvariants(again);
    await again.close();
  } finally {
    removeDir(path);
  }
});

Deno.test("btree stores 2 KiB keys in named trees and multi-MiB values", async () => {
  const path = tempPath();
  try {
    const store = await openBTree(path);
    const tree = store.tree("t".repeat(255));
    const keys: string[] = [];
    for (let i = 0; i < 60; i++) keys.push(String(i).padStart(4, "0") + "k".repeat(2044));
    for (const k of keys) await tree.put(k, k.slice(0, 100));
    await tree.put(keys[0]!, new Uint8Array(3000).fill(1)); // long key + overflow value
    const big = new Uint8Array(5 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
    await store.put("big", big);
    checkInvariants(store);
    await store.close();
    const again = await openBTree(path);
    const t2 = again.tree("t".repeat(255));
    equal((await t2.get(keys[0]!))!.length, 3000);
    equal(dec.decode(await t2.get(keys[59]!)), keys[59]!.slice(0, 100));
    let n = 0;
    for await (const _ of t2.keys()) n++;
    equal(n, 60);
    const got = (await again.get("big"))!;
    equal(got.length, big.length);
    ok(got.every((b, i) => b === big[i]));
    checkInvariants(again);
    await again.close();
  } finally {
    removeDir(path);
  }
});

Deno.test("btree keys-only scans return value headers without loading overflow values", async () => {
  await using store = await openBTree(undefined);
  await store.putWithTtl("gone", new Uint8Array(100_000), 1);
  await store.put("stay", new Uint8Array(100_000));
  await store.put("small", "abc");
  const heads = [...engineOf(store)!.scan(undefined, undefined, { keysOnly: true })];
  deepStrictEqual(heads.map(([, v]) => v.length), [9, 4, 9]);
  await new Promise((r) => setTimeout(r, 5));
  equal(await store.purgeExpired(), 1);
  equal(await store.count(), 2);
});

Deno.test("btree counts page-cache hits and misses in metrics", async () => {
  const path = tempPath();
  try {
    const w = await openBTree(path);
    const pairs: [string, string][] = [];
    for (let i = 0; i < 3000; i++) pairs.push([`k${i}`, "x".repeat(50)]);
    await w.batchWrite(pairs);
    await w.close();
    await using r = await openBTree(path, { cacheSizeBytes: 1 << 20 });
    for (let i = 0; i < 3000; i += 10) await r.get(`k${i}`);
    const m = r.metrics();
    ok(m.cacheMisses > 0 && m.cacheHits > 0, JSON.stringify(m));
  } finally {
    removeDir(path);
  }
});

Deno.test("btree concurrent durable commits share fsyncs and all land", async () => {
  const path = tempPath();
  try {
    const store = await openBTree(path);
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.put(`c${i}`, `${i}`)));
    const syncs = engineOf(store)!.syncCalls;
    ok(syncs > 0 && syncs < 100, `${syncs} fdatasyncs for 200 concurrent commits`);
    await store.close();
    const again = await openBTree(path, { readOnly: true });
    equal(await again.count(), 200);
    await again.close();
  } finally {
    removeDir(path);
  }
});

Deno.test("btree compact keeps a pinned snapshot's view intact", async () => {
  const path = tempPath();
  try {
    await using store = await openBTree(path);
    const pairs: [string, string][] = [];
    for (let i = 0; i < 5000; i++) {
      pairs.push([`k${String(i).padStart(5, "0")}`, `v${i}`.repeat(5)]);
    }
    await store.batchWrite(pairs);
    await store.put("big", new Uint8Array(50_000).fill(9));
    await using snap = await store.snapshot();
    await store.batchDelete(pairs.filter((_, i) => i % 3 !== 0).map(([k]) => k));
    await store.put("big", new Uint8Array(10));
    await store.compact();
    checkInvariants(store);
    let n = 0;
    for await (const [k, v] of snap.range("k", "l")) {
      equal(dec.decode(v), `v${Number(dec.decode(k).slice(1))}`.repeat(5));
      n++;
    }
    equal(n, 5000);
    equal((await snap.get("big"))!.length, 50_000);
    equal(await store.count(), 1668);
    equal((await store.get("big"))!.length, 10);
    await snap.release();
    await store.compact();
    checkInvariants(store);
    equal(await store.count(), 1668);
  } finally {
    removeDir(path);
  }
});

Deno.test("btree values belong to the caller: mutating or transferring one breaks nothing", async () => {
  await using store = await openBTree(undefined);
  await store.put("a", "x".repeat(200));
  await store.put("b", "y".repeat(200));
  const a = (await store.get("a"))!;
  a.fill(0);
  equal(dec.decode(await store.get("a")), "x".repeat(200));
  const buffer = a.buffer as ArrayBuffer;
  structuredClone(buffer, { transfer: [buffer] });
  equal(a.length, 0);
  equal(dec.decode(await store.get("b")), "y".repeat(200));
  equal(dec.decode(await store.get("a")), "x".repeat(200));
});

Deno.test("btree file stays under 2x the raw bytes after 200k random inserts", async () => {
  const path = tempPath();
  try {
    await using store = await openBTree(path, { syncWrites: false });
    const rand = rng(5);
    const value = new Uint8Array(100);
    for (let b = 0; b < 200; b++) {
      const pairs: [Uint8Array, Uint8Array][] = [];
      for (let i = 0; i < 1000; i++) {
        pairs.push([Uint8Array.from({ length: 16 }, () => Math.floor(rand() * 256)), value]);
      }
      await store.batchWrite(pairs);
    }
    await store.flush();
    const ratio = (await store.sizeOnDisk()) / (200_000 * 116);
    ok(ratio <= 2, `file is ${ratio.toFixed(2)}x the raw bytes`);
  } finally {
    removeDir(path);
  }
});
