import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { openBTree } from "../../kv/btree/mod.ts";
import { decodeSlot, PAGE_SIZE, SLOT_OFFSETS, SLOT_SIZE } from "../../kv/btree/_format.ts";
import { Page } from "../../kv/btree/_page.ts";
import { StoreError } from "../../core/error.ts";
import type { KvStore } from "../../core/kv.ts";
import { removeDir, rng, tempPath } from "./_helpers.ts";
import { assertRejectsKind } from "../_support/assert.ts";

const dec = new TextDecoder();

function valueFor(i: number): string {
  return i % 97 === 0 ? `big${i}-`.repeat(1500) : `value-${i}`;
}

/** A cleanly closed store: 3000 keys (a branch root), some overflow values, a free list. */
async function build(path: string): Promise<void> {
  const store = await openBTree(path, { syncWrites: false });
  const pairs: [string, string][] = [];
  for (let i = 0; i < 3000; i++) pairs.push([`key${String(i).padStart(5, "0")}`, valueFor(i)]);
  for (let i = 0; i < pairs.length; i += 500) await store.batchWrite(pairs.slice(i, i + 500));
  for (let i = 0; i < 3000; i += 7) await store.put(pairs[i]![0], valueFor(i));
  await store.batchDelete(pairs.filter((_, i) => i % 5 === 4 && i % 97 !== 0).map(([k]) => k));
  await store.close();
}

function expected(i: number): string | undefined {
  return i % 5 === 4 && i % 97 !== 0 ? undefined : valueFor(i);
}

interface Layout {
  slot: NonNullable<ReturnType<typeof decodeSlot>>;
  leaf: number;
  overflow: number;
}

function layout(path: string): Layout {
  const bytes = Deno.readFileSync(path);
  const slot = decodeSlot(bytes.subarray(SLOT_OFFSETS[0], SLOT_OFFSETS[0] + SLOT_SIZE))!;
  const pageAt = (no: number, crc: number) =>
    new Page(no, bytes.slice(no * PAGE_SIZE, (no + 1) * PAGE_SIZE), crc, path, true);
  let p = pageAt(slot.rootPage, slot.rootCrc);
  equal(p.type, 2, "root should be a branch");
  while (p.type === 2) p = pageAt(p.childPage(0), p.childCrc(0));
  let overflow = 0;
  for (let i = 0; i < p.count && overflow === 0; i++) {
    const v = p.valueRef(i);
    if (!(v instanceof Uint8Array)) overflow = v.page;
  }
  ok(overflow > 0, "first leaf should hold an overflow value (key00000)");
  return { slot, leaf: p.no, overflow };
}

function flip(path: string, offset: number, mask = 0x5a): void {
  const f = Deno.openSync(path, { read: true, write: true });
  const b = new Uint8Array(1);
  f.seekSync(offset, Deno.SeekMode.Start);
  f.readSync(b);
  b[0]! ^= mask;
  f.seekSync(offset, Deno.SeekMode.Start);
  f.writeSync(b);
  f.close();
}

/**
 * Opens and reads everything: every answer must be right, and the damage must
 * surface as Corruption (at open or on a read). Returns how many reads failed.
 */
async function readAllOrCorruption(path: string): Promise<{ failed: number; openFailed: boolean }> {
  let store: KvStore;
  try {
    // Read-only, so the close does not rewrite the (damaged) header.
    store = await openBTree(path, { readOnly: true });
  } catch (err) {
    ok(err instanceof StoreError, String(err));
    equal(err.kind, "Corruption", err.message);
    if (Deno.env.get("CORRUPT_DEBUG")) console.log(err.message);
    return { failed: 0, openFailed: true };
  }
  let failed = 0;
  try {
    for (let i = 0; i < 3000; i++) {
      const key = `key${String(i).padStart(5, "0")}`;
      try {
        const v = await store.get(key);
        equal(v === undefined ? undefined : dec.decode(v), expected(i), key);
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
        equal(err.kind, "Corruption", err.message);
        failed++;
      }
    }
    try {
      for await (const [k, v] of store.range()) {
        const i = Number(dec.decode(k).slice(3));
        equal(dec.decode(v), expected(i));
      }
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      equal(err.kind, "Corruption", err.message);
      failed++;
    }
  } finally {
    await store.close().catch(() => {});
  }
  return { failed, openFailed: false };
}

async function withStore(fn: (path: string, l: Layout) => Promise<void>): Promise<void> {
  const path = tempPath("corrupt");
  try {
    await build(path);
    await fn(path, layout(path));
  } finally {
    removeDir(path);
  }
}

Deno.test("btree refuses a file that is not a B-tree store with Corruption naming the path", async () => {
  const path = tempPath("notbtree");
  try {
    Deno.writeTextFileSync(path, "SQLite format 3\0" + "x".repeat(5000));
    const err = await openBTree(path).catch((e) => e);
    ok(err instanceof StoreError);
    equal(err.kind, "Corruption");
    match(err.message, /not an oxistore B-tree \(bad magic bytes\)/);
    ok(err.message.includes(path));
    await assertRejectsKind(() => openBTree(path, { readOnly: true }), "Corruption");
  } finally {
    removeDir(path);
  }
});

Deno.test("btree reports a truncated file as Corruption", async () => {
  await withStore(async (path) => {
    const size = Deno.statSync(path).size;
    Deno.truncateSync(path, Math.floor(size / 2));
    const r = await readAllOrCorruption(path);
    ok(r.openFailed || r.failed > 0);
    Deno.truncateSync(path, 100);
    await assertRejectsKind(() => openBTree(path), "Corruption");
  });
});

Deno.test("btree survives one damaged header slot (redundant copy) but not two", async () => {
  await withStore(async (path) => {
    flip(path, SLOT_OFFSETS[0] + 20);
    const r = await readAllOrCorruption(path);
    deepStrictEqual(r, { failed: 0, openFailed: false });
    flip(path, SLOT_OFFSETS[0] + 20);
    flip(path, SLOT_OFFSETS[1] + 8);
    deepStrictEqual(await readAllOrCorruption(path), { failed: 0, openFailed: false });
    flip(path, SLOT_OFFSETS[0] + 30);
    await assertRejectsKind(() => openBTree(path), "Corruption");
  });
});

Deno.test("btree detects a flipped byte in the magic, a branch, a leaf and an overflow page", async () => {
  await withStore(async (path, l) => {
    flip(path, 3);
    await assertRejectsKind(() => openBTree(path), "Corruption");
    flip(path, 3);
    flip(path, l.slot.rootPage * PAGE_SIZE + 40);
    let r = await readAllOrCorruption(path);
    ok(r.openFailed || r.failed >= 3000, `branch damage: ${JSON.stringify(r)}`);
    flip(path, l.slot.rootPage * PAGE_SIZE + 40);
    flip(path, l.leaf * PAGE_SIZE + 200);
    r = await readAllOrCorruption(path);
    ok(r.failed > 0 && r.failed < 3000, `leaf damage: ${JSON.stringify(r)}`);
    flip(path, l.leaf * PAGE_SIZE + 200);
    flip(path, l.overflow * PAGE_SIZE + 1000);
    r = await readAllOrCorruption(path);
    ok(r.failed >= 1 && r.failed <= 2, `overflow damage: ${JSON.stringify(r)}`);
  });
});

Deno.test("btree detects a flipped byte in the saved free list at open", async () => {
  await withStore(async (path, l) => {
    ok(l.slot.clean && l.slot.freePage > 0, "the store should have a saved free list");
    flip(path, l.slot.freePage * PAGE_SIZE + 20);
    await assertRejectsKind(() => openBTree(path), "Corruption");
  });
});

Deno.test("btree never returns a wrong value when random bytes are flipped", async () => {
  const rand = rng(99);
  await withStore(async (path) => {
    const size = Deno.statSync(path).size;
    const pristine = Deno.readFileSync(path);
    for (let trial = 0; trial < 60; trial++) {
      const offsets = Array.from(
        { length: 1 + Math.floor(rand() * 3) },
        () => Math.floor(rand() * size),
      );
      for (const o of offsets) flip(path, o, 1 + Math.floor(rand() * 255));
      await readAllOrCorruption(path);
      Deno.writeFileSync(path, pristine);
    }
  });
});

Deno.test("btree falls back to the older header slot and its log when a checkpoint is torn", async () => {
  const path = tempPath("torn");
  try {
    const store = await openBTree(path);
    const pairs: [string, string][] = [];
    for (let i = 0; i < 2000; i++) pairs.push([`k${i}`, `v${i}`]);
    await store.batchWrite(pairs); // the first commit checkpoints and opens a log
    await store.put("x", "1"); // a log record
    const before = Deno.readFileSync(path);
    // A record larger than the whole log: this commit is a checkpoint.
    await store.put("big", "b".repeat(200_000));
    // The file as a crash right after the checkpoint would leave it.
    const image = Deno.readFileSync(path);
    await store.close();
    const slotsOf = (f: Uint8Array) =>
      SLOT_OFFSETS.map((o) => decodeSlot(f.subarray(o, o + SLOT_SIZE))!);
    const newestOf = (f: Uint8Array) => {
      const [a, b] = slotsOf(f);
      return a!.txn > b!.txn ? a! : b!;
    };
    const newest = newestOf(image);
    ok(!newest.clean);
    ok(newest.txn > newestOf(before).txn, "the big put should have written a new slot");
    image[newest.rootPage * PAGE_SIZE + 30]! ^= 0xff; // the checkpoint's root never hit the disk
    Deno.writeFileSync(path, image);
    const again = await openBTree(path);
    try {
      equal(dec.decode(await again.get("x")), "1", "the older slot's log is replayed");
      equal(await again.get("big"), undefined);
      equal(await again.count(), 2001);
      await again.put("x", "3");
    } finally {
      await again.close();
    }
    const third = await openBTree(path, { readOnly: true });
    equal(dec.decode(await third.get("x")), "3");
    await third.close();
  } finally {
    removeDir(path);
  }
});
