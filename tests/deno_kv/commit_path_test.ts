// How the Deno KV API commits through core: an expiring set is one commit (the engine's TTL goes
// in the same transaction), this process's concurrent commits share syncs (group commit) and
// stay correct, and over a layer whose transactions cannot carry a TTL the fallback still sets it.
import { assert, assertEquals } from "../_support/assert.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { open, openCached, openInMemory } from "@cooljapan/oxistore";
import { openKv } from "@cooljapan/oxistore/deno-kv";
import { rootState } from "../../core/engine_store.ts";
import { encodeKey } from "../../layers/deno_kv/_key_codec.ts";

/** The B-tree engine's count of fdatasync calls (internal; benches and tests read it). */
function syncCalls(store: unknown): number {
  return (rootState(store)!.engine as unknown as { syncCalls: number }).syncCalls;
}

Deno.test("deno-kv commits: a set with expireIn is one durable commit with the engine's TTL", async () => {
  await using dir = await tempDir("oxi-denokv-commit-");
  await using store = await open(dir.join("s.oxi"));
  await using kv = await openKv(store);
  await kv.set(["warm"], 0);
  const before = syncCalls(store);
  const r = await kv.set(["session", 1], { user: "ada" }, { expireIn: 60_000 });
  assert(r.ok);
  assertEquals(syncCalls(store) - before, 1);
  const ttl = await store.tree("deno-kv").ttl(encodeKey(["session", 1]));
  assert(ttl !== undefined && ttl > 50_000 && ttl <= 60_000, `engine TTL ${ttl}`);
  assertEquals((await kv.get(["session", 1])).value, { user: "ada" });
  // A plain set over the same key drops the TTL, as Deno KV's set does.
  await kv.set(["session", 1], { user: "ada" });
  assertEquals(await store.tree("deno-kv").ttl(encodeKey(["session", 1])), undefined);
});

Deno.test("deno-kv commits: concurrent sets share syncs and keep versionstamp order", async () => {
  await using dir = await tempDir("oxi-denokv-commit-");
  await using store = await open(dir.join("s.oxi"));
  await using kv = await openKv(store);
  await kv.set(["warm"], 0);
  const n = 32;
  const before = syncCalls(store);
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => kv.set(["k", i], i)),
  );
  const syncs = syncCalls(store) - before;
  // They queue behind one another, and only the last one queued syncs (for all of them).
  assert(syncs <= 2, `${n} concurrent sets made ${syncs} syncs`);
  // Commits of one process are applied in call order: versionstamps increase with i.
  const stamps = results.map((r) => r.versionstamp);
  assertEquals([...stamps].sort(), stamps);
  assertEquals(new Set(stamps).size, n);
  for (let i = 0; i < n; i++) {
    const e = await kv.get(["k", i]);
    assertEquals([e.value, e.versionstamp], [i, stamps[i]]);
  }
  // A concurrent check-and-set on one key: exactly one of the racers wins.
  const seen = await kv.get(["k", 0]);
  const racers = await Promise.all(
    Array.from({ length: 8 }, (_, i) => kv.atomic().check(seen).set(["k", 0], -i).commit()),
  );
  assertEquals(racers.filter((r) => r.ok).length, 1);
});

Deno.test("deno-kv commits: over a layered store an expiring set still gets the engine's TTL", async () => {
  await using dir = await tempDir("oxi-denokv-commit-");
  await using store = await openCached("btree", dir.join("s.oxi"), 100);
  await using kv = await openKv(store);
  await kv.set(["session", 1], "x", { expireIn: 60_000 });
  const ttl = await store.tree("deno-kv").ttl(encodeKey(["session", 1]));
  assert(ttl !== undefined && ttl > 50_000 && ttl <= 60_000, `engine TTL ${ttl}`);
  assertEquals((await kv.get(["session", 1])).value, "x");
});

Deno.test("deno-kv commits: the counter carries past 32 bits into the versionstamp", async () => {
  await using store = await openInMemory("btree");
  await using kv = await openKv(store);
  // The counter key (00 01) holds the last commit number, 8 bytes big-endian.
  await store.tree("deno-kv").put(
    Uint8Array.of(0x00, 0x01),
    Uint8Array.of(0, 0, 0, 0, 255, 255, 255, 255),
  );
  assertEquals((await kv.set(["a"], 1)).versionstamp, "00000001000000000000");
  assertEquals((await kv.set(["b"], 1)).versionstamp, "00000001000000010000");
  assertEquals((await kv.get(["a"])).versionstamp, "00000001000000000000");
});
