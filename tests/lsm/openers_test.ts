// Several handles of one LSM directory in one process (each its own opener,
// as another process would be): commits, transactions, watch, read-only
// handles and file deletion across them. The cross-process runs are in
// tests/multiprocess/.
import { assert, assertEquals, assertRejectsKind } from "../_support/assert.ts";
import { lsmWaitIdle, openLsm } from "../../kv/lsm/mod.ts";
import { withTempDir } from "../_support/temp_dir.ts";

const dec = new TextDecoder();
const tiny = { memtableBytes: 4096, tableBytes: 4096, l0Trigger: 2, levelBaseBytes: 16384 };
const files = (dir: string, ext: string) =>
  [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(ext)).sort();

Deno.test("lsm: two writer handles see each other's commits; transactions conflict across them", async () => {
  await withTempDir(async (dir) => {
    await using a = await openLsm(dir, {}, tiny);
    await using b = await openLsm(dir, {}, tiny);
    await a.put("x", "1");
    assertEquals(dec.decode((await b.get("x"))!), "1");
    const txn = await b.transaction();
    await txn.get("x");
    await a.put("x", "2");
    await txn.put("x", "b's");
    await assertRejectsKind(() => txn.commit(), "TxnConflict");
    // Many commits from both: several log switches and flushes on the way.
    for (let i = 0; i < 400; i++) {
      await (i % 2 ? a : b).put(`k${String(i).padStart(4, "0")}`, "v".repeat(40) + i);
    }
    assertEquals(await a.count(), 401);
    assertEquals(await b.count(), 401);
    assertEquals(dec.decode((await a.get("k0398"))!), "v".repeat(40) + 398);
  });
});

Deno.test("lsm: watch delivers another handle's commits in order", async () => {
  await withTempDir(async (dir) => {
    await using a = await openLsm(dir);
    await using b = await openLsm(dir);
    const changes = a.watch("w/");
    await b.put("w/1", "a");
    await b.put("x", "skip");
    await b.batchWrite([["w/2", "b"], ["w/3", "c"]]);
    const got: string[] = [];
    for await (const c of changes) {
      got.push(`${dec.decode(c.key)}=${dec.decode(c.value!)}`);
      if (got.length === 3) break;
    }
    assertEquals(got, ["w/1=a", "w/2=b", "w/3=c"]);
  });
});

Deno.test("lsm: read-only handles open beside writers and follow them", async () => {
  await withTempDir(async (dir) => {
    await (await openLsm(dir)).close();
    await using r1 = await openLsm(dir, { readOnly: true });
    await using w = await openLsm(dir);
    await using r2 = await openLsm(dir, { readOnly: true });
    await w.put("k", "v");
    assertEquals(dec.decode((await r1.get("k"))!), "v");
    assertEquals(dec.decode((await r2.get("k"))!), "v");
    await assertRejectsKind(() => r1.put("k", "no"), "ReadOnly");
  });
});

Deno.test("lsm: tables another handle compacted away wait for this handle's snapshot", async () => {
  await withTempDir(async (dir) => {
    await using a = await openLsm(dir, {}, { ...tiny, backgroundThreads: false });
    for (let i = 0; i < 200; i++) await a.put(`k${i}`, `old${i}`.padEnd(50));
    await a.compact();
    const old = files(dir, ".sst");
    assert(old.length > 0);
    await using b = await openLsm(dir, {}, { ...tiny, backgroundThreads: false });
    const snap = await a.snapshot();
    for (let i = 0; i < 200; i++) await b.put(`k${i}`, `new${i}`.padEnd(50));
    await b.compact();
    await lsmWaitIdle(b);
    assertEquals(old.filter((t) => files(dir, ".sst").includes(t)), old);
    assertEquals(dec.decode((await snap.get("k5"))!).trim(), "old5");
    assertEquals(dec.decode((await a.get("k5"))!).trim(), "new5");
    await snap.release();
    assertEquals(old.filter((t) => files(dir, ".sst").includes(t)), []);
  });
});

Deno.test("lsm: after every handle closed, a lone reopen has everything and only live files", async () => {
  await withTempDir(async (dir) => {
    const a = await openLsm(dir, {}, tiny);
    const b = await openLsm(dir, {}, tiny);
    for (let i = 0; i < 300; i++) await (i % 3 ? a : b).put(`k${i}`, "x".repeat(30));
    await b.close();
    await a.put("last", "1");
    await a.close();
    await using c = await openLsm(dir, {}, tiny);
    assertEquals(await c.count(), 301);
    assertEquals(files(dir, ".wal").length, 1);
  });
});

Deno.test("lsm: a lone writer's clean close writes its memtable as a table; the next open replays and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const a = await openLsm(dir);
    for (let i = 0; i < 100; i++) await a.put(`k${i}`, `v${i}`);
    await a.close();
    const wals = files(dir, ".wal");
    assertEquals(wals.length, 1);
    assertEquals(Deno.statSync(`${dir}/${wals[0]}`).size, 12); // a header, no records
    const before = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    const manifest = Deno.readFileSync(`${dir}/MANIFEST`);
    await using b = await openLsm(dir);
    assertEquals(await b.count(), 100);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), before);
    assertEquals(Deno.readFileSync(`${dir}/MANIFEST`), manifest);
    await b.put("k100", "v100");
    assertEquals(await b.count(), 101);
  });
});
