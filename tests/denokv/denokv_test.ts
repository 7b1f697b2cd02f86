import { compareBytes } from "../../core/bytes.ts";
import { StoreError } from "../../core/error.ts";
import { openConfig, openInMemory, openWith } from "../../mod.ts";

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

function key(head: number, len: number, fill: number): Uint8Array {
  const k = new Uint8Array(len).fill(fill);
  k[0] = head;
  return k;
}

Deno.test("denokv: keys up to 2,048 bytes (even all 0x00) keep byte order mixed with short keys", async () => {
  await using store = await openInMemory("denokv");
  const keys: Uint8Array[] = [];
  for (const len of [1, 999, 1000, 1001, 1500, 2048]) {
    for (const fill of [0x00, 0x01, 0xff]) {
      for (const head of [0x00, 0x61]) keys.push(key(head, len, fill));
    }
  }
  // Long keys sharing a 1,000-byte head differ only in their tails.
  for (let i = 0; i < 20; i++) {
    const k = key(0x61, 1200, 0x01);
    k[1100] = i;
    keys.push(k);
  }
  let i = 0;
  for (const k of keys) await store.put(k, String(i++));
  const want = [...new Map(keys.map((k) => [k.join(","), k])).values()].sort(compareBytes);
  const got: Uint8Array[] = [];
  for await (const [k] of store.range()) got.push(k);
  assert(got.length === want.length, `count ${got.length} != ${want.length}`);
  got.forEach((k, j) => assert(compareBytes(k, want[j]!) === 0, `order differs at ${j}`));
  const rev: Uint8Array[] = [];
  for await (const [k] of store.rangeRev()) rev.push(k);
  rev.reverse().forEach((k, j) =>
    assert(compareBytes(k, want[j]!) === 0, `reverse order differs at ${j}`)
  );
  // Bounds inside a bucket select exactly the keys between them.
  const lo = want[10]!, hi = want[want.length - 10]!;
  let n = 0;
  for await (const [k] of store.range(lo, hi)) {
    assert(compareBytes(k, lo) >= 0 && compareBytes(k, hi) < 0, "key outside bounds");
    n++;
  }
  assert(n === want.length - 20, `range count ${n}`);
  assert(await store.count() === want.length, "count");
  for (const k of keys) await store.delete(k);
  assert(await store.count() === 0, "every long key deleted, buckets gone");
});

Deno.test("denokv: a long key keeps its TTL and a large value", async () => {
  await using store = await openInMemory("denokv");
  const k = key(0x62, 2048, 0);
  const big = new Uint8Array(200_000).map((_, i) => i % 251);
  await store.putWithTtl(k, big, 60_000);
  const v = await store.get(k);
  assert(v !== undefined && v.length === big.length && v.every((b, i) => b === big[i]), "value");
  assert((await store.ttl(k))! > 50_000, "ttl kept");
  await store.putWithTtl(k, "x", 30);
  await new Promise((r) => setTimeout(r, 60));
  assert(!(await store.contains(k)), "expired long key is invisible");
});

Deno.test("denokv: values over 64 KiB are chunked and overwrites leave no chunks behind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/kv.sqlite`;
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) % 256);
    {
      await using store = await openWith("denokv", path);
      await store.put("big", big);
      await store.put("big", big.subarray(0, 100_000));
      await store.delete("big");
      await store.put("big", big);
    }
    const kv = await Deno.openKv(path);
    let chunks = 0;
    for await (const _ of kv.list({ prefix: ["oxc"] })) chunks++;
    kv.close();
    assert(
      chunks === Math.ceil(big.length / 60_000),
      `only the live value's chunks remain: ${chunks}`,
    );
    await using store = await openWith("denokv", path);
    const v = await store.get("big");
    assert(
      v !== undefined && v.length === big.length && v.every((b, i) => b === big[i]),
      "reopened value",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("denokv: batches over Deno KV's atomic limits are refused whole with CapacityExceeded", async () => {
  await using store = await openInMemory("denokv");
  const tooMany = Array.from({ length: 1001 }, (_, i) => [`k${i}`, "v"] as [string, string]);
  const tooBig = Array.from(
    { length: 20 },
    (_, i) => [`b${i}`, new Uint8Array(50_000)] as [string, Uint8Array],
  );
  for (const batch of [tooMany, tooBig]) {
    try {
      await store.batchWrite(batch);
      throw new Error("accepted");
    } catch (err) {
      assert(err instanceof StoreError && err.kind === "CapacityExceeded", String(err));
    }
  }
  assert(await store.count() === 0, "nothing of a refused batch was written");
  await store.batchWrite(tooMany.slice(0, 1000));
  assert(await store.count() === 1000, "1,000 writes fit one commit");
});

Deno.test("denokv: without the kv flag, opening says how to enable it", async () => {
  const code = `import { openInMemory } from "${new URL("../../mod.ts", import.meta.url)}";
try { await openInMemory("denokv"); } catch (e) { console.log(e.kind + ": " + e.message); }`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert(
    text.startsWith("Unsupported:") && text.includes("--unstable-kv"),
    text + new TextDecoder().decode(out.stderr),
  );
});

Deno.test("denokv: a transaction conflicts with a commit from another handle on the same database", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/kv.sqlite`;
    await using a = await openWith("denokv", path);
    await using b = await openWith("denokv", path); // stands in for another process
    await a.put("balance", "10");
    const txn = await a.transaction();
    const seen = await txn.get("balance");
    assert(new TextDecoder().decode(seen) === "10", "txn reads the balance");
    await b.put("balance", "99");
    await txn.put("balance", "11");
    try {
      await txn.commit();
      throw new Error("committed over another handle's write");
    } catch (err) {
      assert(err instanceof StoreError && err.kind === "TxnConflict", String(err));
    }
    assert(new TextDecoder().decode(await a.get("balance")) === "99", "the other write stands");
    // A blind write conflicts too when the key changed after the transaction touched it.
    const blind = await a.transaction();
    await blind.put("other", "x");
    await b.put("other", "y");
    try {
      await blind.commit();
      throw new Error("blind write committed");
    } catch (err) {
      assert(err instanceof StoreError && err.kind === "TxnConflict", String(err));
    }
    const ok = await a.transaction();
    await ok.put("other", "z");
    await ok.commit();
    assert(
      new TextDecoder().decode(await b.get("other")) === "z",
      "an unraced transaction commits",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("denokv: cacheSizeBytes gives a read cache that never serves a value older than this process's writes", async () => {
  await using store = await openConfig(":memory:", { kind: "denokv", cacheSizeBytes: 1 << 20 });
  await store.put("k", "1");
  const before = store.metrics();
  assert(new TextDecoder().decode(await store.get("k")) === "1", "first read");
  assert(new TextDecoder().decode(await store.get("k")) === "1", "second read");
  const after = store.metrics();
  assert(after.cacheHits > before.cacheHits, "a repeated read is a cache hit");
  // A read racing a write must not leave the old value cached.
  const racing = store.get("k");
  await store.put("k", "2");
  await racing;
  assert(new TextDecoder().decode(await store.get("k")) === "2", "the write wins");
  await store.delete("k");
  assert((await store.get("k")) === undefined, "a delete is seen");
  const tiny = await openConfig(":memory:", { kind: "denokv", cacheSizeBytes: 100 });
  await tiny.put("big", new Uint8Array(1000));
  assert((await tiny.get("big"))?.length === 1000, "values larger than the cache bypass it");
  await tiny.close();
});
