// Core's commit under the store's lock (`core/_locked_commit.ts`, used by the Deno KV API):
// offered only where it is safe, a read-modify-write through it loses nothing across openers,
// and its writes carry TTLs and reach watchers like any commit.
import { assert, assertEquals } from "../_support/assert.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { open, openCached, openInMemory, openWith } from "@cooljapan/oxistore";
import type { KvStore } from "@cooljapan/oxistore";
import { lockedCommitOf } from "../../core/_locked_commit.ts";

const text = (s: string) => new TextEncoder().encode(s);
const counterKey = text("n");

/** Adds one to the 4-byte counter at "n", under the lock. */
async function increment(store: KvStore): Promise<void> {
  const commit = lockedCommitOf(store)!;
  const { durable } = await commit(async (read) => {
    const cur = read(counterKey);
    const n = cur === undefined ? 0 : new DataView(cur.buffer, cur.byteOffset).getUint32(0);
    const next = new Uint8Array(4);
    new DataView(next.buffer).setUint32(0, n + 1);
    return await Promise.resolve({ writes: [{ key: counterKey, value: next }], result: n + 1 });
  });
  await durable();
}

Deno.test("locked commit: offered over the B-tree and LSM engines only", async () => {
  await using dir = await tempDir("oxi-locked-");
  await using btree = await openInMemory("btree");
  await using lsm = await openInMemory("lsm");
  await using denokv = await openInMemory("denokv");
  await using cached = await openCached("btree", dir.join("c.oxi"), 10);
  assert(lockedCommitOf(btree) !== undefined);
  assert(lockedCommitOf(btree.tree("t")) !== undefined);
  assert(lockedCommitOf(lsm) !== undefined);
  // The Deno KV engine checks versions across processes: transactions only.
  assertEquals(lockedCommitOf(denokv), undefined);
  // A layer is not core's store.
  assertEquals(lockedCommitOf(cached), undefined);
});

for (const kind of ["btree", "lsm"] as const) {
  Deno.test(`locked commit (${kind}): increments from two openers lose nothing`, async () => {
    await using dir = await tempDir("oxi-locked-");
    const path = dir.join("s.oxi");
    await using a = await openWith(kind, path);
    await using b = await openWith(kind, path);
    await Promise.all(Array.from({ length: 60 }, (_, i) => increment(i % 2 ? a : b)));
    const got = await a.get(counterKey);
    assertEquals(new DataView(got!.buffer, got!.byteOffset).getUint32(0), 60);
  });
}

Deno.test("locked commit: writes keep their TTL, reach watchers, and a tree's keys stay in it", async () => {
  await using dir = await tempDir("oxi-locked-");
  await using store = await open(dir.join("s.oxi"));
  const tree = store.tree("t");
  const watch = tree.watch(text("k"));
  const commit = lockedCommitOf(tree)!;
  const { result, durable } = await commit((read) =>
    Promise.resolve({
      writes: [
        { key: text("k1"), value: text("v"), expiresAt: Date.now() + 60_000 },
        { key: text("k2"), value: undefined },
      ],
      result: read(text("k1")),
    })
  );
  await durable();
  assertEquals(result, undefined);
  const ttl = await tree.ttl(text("k1"));
  assert(ttl !== undefined && ttl > 50_000, `ttl ${ttl}`);
  assertEquals(await store.get(text("k1")), undefined); // the default tree does not see it
  const change = await watch.next();
  assertEquals(new TextDecoder().decode(change.value!.key), "k1");
  await watch.return?.();
});
