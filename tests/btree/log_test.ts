// The commit log: commits between checkpoints live only in log records, so
// these tests take the file as a crash would leave it (a copy made while the
// store is open) and check what reopening it recovers.
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { openBTree } from "../../kv/btree/mod.ts";
import { checkInvariants } from "../../kv/btree/_check.ts";
import {
  decodeSlot,
  PAGE_SIZE,
  type Slot,
  SLOT_OFFSETS,
  SLOT_SIZE,
} from "../../kv/btree/_format.ts";
import { SECTOR } from "../../kv/btree/_log.ts";
import { engineOf } from "../../kv/btree/_registry.ts";
import { removeDir, tempPath } from "./_helpers.ts";
import { assertRejectsKind } from "../_support/assert.ts";

const dec = new TextDecoder();

function newestSlot(image: Uint8Array): Slot {
  const [a, b] = SLOT_OFFSETS.map((o) => decodeSlot(image.subarray(o, o + SLOT_SIZE)));
  if (a === undefined) return b!;
  if (b === undefined) return a;
  return a.txn > b.txn ? a : b;
}

/**
 * A store with 500 checkpointed keys and then three small commits that only
 * the log holds; returns the crash image and the byte offset of the log.
 */
async function crashImage(path: string): Promise<{ image: Uint8Array; log: number }> {
  const store = await openBTree(path);
  const pairs: [string, string][] = [];
  for (let i = 0; i < 500; i++) pairs.push([`k${i}`, `v${i}`]);
  await store.batchWrite(pairs);
  await store.put("a", "1");
  await store.put("b", "2");
  await store.put("c", "3");
  const image = Deno.readFileSync(path);
  await store.close();
  const slot = newestSlot(image);
  ok(slot.logPage > 0, "the newest slot should name a log");
  return { image, log: slot.logPage * PAGE_SIZE };
}

Deno.test("btree recovers commits that only the log holds after a crash", async () => {
  const path = tempPath();
  try {
    const { image } = await crashImage(path);
    Deno.writeFileSync(path, image);
    const store = await openBTree(path);
    try {
      equal(dec.decode((await store.get("a"))!), "1");
      equal(dec.decode((await store.get("c"))!), "3");
      equal(await store.count(), 503);
      checkInvariants(store);
      await store.put("d", "4");
    } finally {
      await store.close();
    }
    const again = await openBTree(path, { readOnly: true });
    equal(await again.count(), 504);
    await again.close();
  } finally {
    removeDir(path);
  }
});

Deno.test("btree drops a torn last log record (a commit never acknowledged)", async () => {
  const path = tempPath();
  try {
    const { image, log } = await crashImage(path);
    image[log + 2 * SECTOR + 40]! ^= 0xff; // record 3 ("c") is torn
    Deno.writeFileSync(path, image);
    const store = await openBTree(path);
    try {
      equal(dec.decode((await store.get("b"))!), "2");
      equal(await store.get("c"), undefined);
      equal(await store.count(), 502);
      checkInvariants(store);
    } finally {
      await store.close();
    }
  } finally {
    removeDir(path);
  }
});

Deno.test("btree reports Corruption for a damaged log record that a later one says was durable", async () => {
  const path = tempPath();
  try {
    const { image, log } = await crashImage(path);
    image[log + SECTOR + 40]! ^= 0xff; // record 2 ("b") was synced before record 3 was written
    Deno.writeFileSync(path, image);
    await assertRejectsKind(() => openBTree(path), "Corruption");
    await assertRejectsKind(() => openBTree(path, { readOnly: true }), "Corruption");
  } finally {
    removeDir(path);
  }
});

Deno.test("btree read-only open replays the log in memory and leaves the file alone", async () => {
  const path = tempPath();
  try {
    const { image } = await crashImage(path);
    Deno.writeFileSync(path, image);
    const store = await openBTree(path, { readOnly: true });
    equal(dec.decode((await store.get("c"))!), "3");
    equal(await store.count(), 503);
    await store.close();
    deepStrictEqual(Deno.readFileSync(path), image);
  } finally {
    removeDir(path);
  }
});

Deno.test("btree durable single commits cost one sync each and rarely a checkpoint", async () => {
  const path = tempPath();
  try {
    await using store = await openBTree(path);
    const engine = engineOf(store)!;
    const base = { checkpoints: engine.checkpoints, syncs: engine.syncCalls };
    for (let i = 0; i < 200; i++) await store.put(`key${i % 50}`, `value${i}`);
    const checkpoints = engine.checkpoints - base.checkpoints;
    const syncs = engine.syncCalls - base.syncs;
    ok(checkpoints <= 4, `${checkpoints} checkpoints`);
    // One fdatasync per commit, none for a commit that was itself a checkpoint.
    ok(syncs <= 200 && syncs >= 200 - checkpoints, `${syncs} syncs for 200 commits`);
    checkInvariants(store);
  } finally {
    removeDir(path);
  }
});

Deno.test("btree hands out its own copy of a value that waits for a checkpoint", async () => {
  const path = tempPath();
  try {
    const value = new Uint8Array(10_000).fill(7); // an overflow value, small enough to be logged and buffered
    {
      await using store = await openBTree(path);
      await store.put("first", "commit"); // the first commit is a checkpoint; later ones are logged
      await store.put("k", value);
      const got = (await store.get("k"))!;
      got.fill(0);
      deepStrictEqual(await store.get("k"), value);
      for await (const [, v] of store.range()) v.fill(1);
      deepStrictEqual(await store.get("k"), value);
    }
    await using again = await openBTree(path);
    deepStrictEqual(await again.get("k"), value);
  } finally {
    removeDir(path);
  }
});

Deno.test("btree leaves no trace of a commit whose log record could not be written", async () => {
  const path = tempPath();
  try {
    const store = await openBTree(path);
    await store.put("a", "1"); // a checkpoint
    await store.put("a", "2"); // a log record
    const engine = engineOf(store)!;
    // Simulate a failing disk: the file handle goes away under the store.
    (engine.pager as unknown as { file: { file: Deno.FsFile } }).file.file.close();
    await assertRejectsKind(() => store.put("a", "3"), "Io");
    equal(dec.decode((await store.get("a"))!), "2");
    await store.close().catch(() => {});
    const again = await openBTree(path);
    equal(dec.decode((await again.get("a"))!), "2");
    await again.close();
  } finally {
    removeDir(path);
  }
});
