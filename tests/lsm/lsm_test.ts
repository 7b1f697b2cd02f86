// Behaviour of the LSM engine through the KvStore API: persistence, config,
// read-only opens, detection, snapshots across compaction, dead-entry
// clean-up, compression, group commit and the engine counters.
import { assert, assertEquals, assertRejectsKind } from "../_support/assert.ts";
import { isLsmDir, lsmStats, lsmWaitIdle, openLsm } from "../../kv/lsm/mod.ts";
import { withTempDir } from "../_support/temp_dir.ts";

const dec = new TextDecoder();
const SMALL = { memtableBytes: 16 * 1024, tableBytes: 16 * 1024, levelBaseBytes: 64 * 1024 };

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

function pairs(n: number, tag = "v"): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < n; i++) out.push([`key${String(i).padStart(6, "0")}`, `${tag}${i}`]);
  return out;
}

Deno.test("lsm: data survives close and reopen (tables and WAL)", async () => {
  await withTempDir(async (dir) => {
    const s = await openLsm(dir, {}, SMALL);
    await s.batchWrite(pairs(3000));
    await s.delete("key000007");
    await s.put("late", "in the wal only");
    await s.close();
    await using r = await openLsm(dir, {}, SMALL);
    assertEquals(dec.decode(await r.get("key002999")), "v2999");
    assertEquals(await r.get("key000007"), undefined);
    assertEquals(dec.decode(await r.get("late")), "in the wal only");
    assertEquals(await r.count(), 3000);
    assert(names(dir).some((n) => n.endsWith(".sst")), "expected flushed tables");
  });
});

Deno.test("lsm: in-memory store works the same and touches no disk", async () => {
  await using s = await openLsm(undefined, {}, SMALL);
  await s.batchWrite(pairs(3000));
  await s.compact();
  assertEquals(await s.count(), 3000);
  assertEquals(await s.sizeOnDisk(), 0);
  const rev: string[] = [];
  for await (const [k] of s.range("key000010", "key000013", { reverse: true })) {
    rev.push(dec.decode(k));
  }
  assertEquals(rev, ["key000012", "key000011", "key000010"]);
  assert(lsmStats(s)!.tablesPerLevel.some((n) => n > 0), "in-memory tables expected");
});

Deno.test("lsm: read-only open never creates and refuses writes", async () => {
  await withTempDir(async (dir) => {
    await assertRejectsKind(() => openLsm(`${dir}/missing`, { readOnly: true }), "NotFound");
    assertEquals(names(dir), []);
    await assertRejectsKind(() => openLsm(dir, { readOnly: true }), "NotFound");
    const s = await openLsm(dir, {}, SMALL);
    await s.batchWrite(pairs(500));
    await s.put("wal-only", "x");
    await s.close();
    const before = names(dir);
    const r = await openLsm(dir, { readOnly: true });
    assertEquals(dec.decode(await r.get("wal-only")), "x");
    assertEquals(await r.count(), 501);
    await assertRejectsKind(() => r.put("a", "b"), "ReadOnly");
    await assertRejectsKind(() => r.compact(), "ReadOnly");
    await r.close();
    assertEquals(names(dir), before);
  });
});

Deno.test("lsm: isLsmDir is true only for a valid LSM store", async () => {
  await withTempDir(async (dir) => {
    assertEquals(await isLsmDir(dir), false);
    assertEquals(await isLsmDir(`${dir}/missing`), false);
    Deno.writeTextFileSync(`${dir}/MANIFEST`, "some other program's manifest");
    assertEquals(await isLsmDir(dir), false);
    await assertRejectsKind(() => openLsm(dir), "Corruption");
    Deno.removeSync(`${dir}/MANIFEST`);
    Deno.writeTextFileSync(`${dir}/file`, "x");
    assertEquals(await isLsmDir(`${dir}/file`), false);
    await assertRejectsKind(() => openLsm(`${dir}/file`), "Corruption");
    await assertRejectsKind(() => openLsm(dir), "Corruption"); // foreign files, no manifest
    Deno.removeSync(`${dir}/file`);
    await (await openLsm(dir)).close();
    assertEquals(await isLsmDir(dir), true);
  });
});

Deno.test("lsm: bad config and use after close are StoreErrors", async () => {
  await assertRejectsKind(() => openLsm(undefined, { cacheSizeBytes: -1 }), "InvalidInput");
  await assertRejectsKind(() => openLsm(undefined, { kind: "btree" }), "InvalidInput");
  await assertRejectsKind(() => openLsm(""), "InvalidInput");
  const s = await openLsm(undefined);
  await s.close();
  await assertRejectsKind(() => s.get("a"), "Closed");
  await assertRejectsKind(() => s.put("a", "b"), "Closed");
});

Deno.test("lsm: a snapshot keeps its tables and values across compaction until released", async () => {
  await withTempDir(async (dir) => {
    await using s = await openLsm(dir, {}, SMALL);
    await s.batchWrite(pairs(2000, "old"));
    await s.compact();
    const oldTables = names(dir).filter((n) => n.endsWith(".sst"));
    const snap = await s.snapshot();
    await s.batchWrite(pairs(2000, "new"));
    await s.batchDelete(["key000001", "key000002"]);
    await s.compact();
    for (const t of oldTables) assert(names(dir).includes(t), `${t} deleted under a snapshot`);
    assertEquals(dec.decode(await snap.get("key000001")), "old1");
    assertEquals(dec.decode(await s.get("key000003")), "new3");
    let n = 0;
    for await (const [, v] of snap.range()) {
      assert(dec.decode(v).startsWith("old"), "snapshot saw a newer value");
      n++;
    }
    assertEquals(n, 2000);
    await snap.release();
    for (const t of oldTables) assert(!names(dir).includes(t), `${t} kept after release`);
    assertEquals(await s.count(), 1998);
  });
});

Deno.test("lsm: compaction drops tombstones and expired values", async () => {
  await withTempDir(async (dir) => {
    await using s = await openLsm(dir, {}, SMALL);
    await s.batchWrite(pairs(2000));
    for (const [k, v] of pairs(200, "ttl")) await s.putWithTtl(`t-${k}`, v, 1);
    await s.compact();
    const full = await s.sizeOnDisk();
    await new Promise((r) => setTimeout(r, 5));
    await s.batchDelete(pairs(2000).map(([k]) => k));
    await s.compact();
    assertEquals(await s.count(), 0);
    assertEquals(lsmStats(s)!.tablesPerLevel.reduce((a, b) => a + b, 0), 0);
    const empty = await s.sizeOnDisk();
    assert(empty < full / 4, `size ${empty} after dropping everything (was ${full})`);
  });
});

function jsonRows(n: number): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    out.push([
      `evt:${String(i).padStart(8, "0")}`,
      JSON.stringify({
        ts: 1700000000000 + i * 1000,
        level: i % 7 === 0 ? "warn" : "info",
        service: "ingest",
        message: `request ${i % 100} handled`,
        status: 200,
      }),
    ]);
  }
  return out;
}

for (const compression of ["lz4", "deflate"] as const) {
  Deno.test(`lsm: JSON-like values take at most half their size on disk (${compression})`, async () => {
    await withTempDir(async (dir) => {
      const s = await openLsm(dir, {}, { ...SMALL, compression });
      const rows = jsonRows(5000);
      await s.batchWrite(rows);
      await s.compact();
      let raw = 0;
      for (const [k, v] of rows) raw += k.length + v.length;
      const tables = names(dir).filter((n) => n.endsWith(".sst"))
        .reduce((a, n) => a + Deno.statSync(`${dir}/${n}`).size, 0);
      assert(tables <= raw / 2, `${compression}: tables ${tables} bytes for ${raw} raw`);
      await s.close();
      await using r = await openLsm(dir);
      assertEquals(dec.decode(await r.get("evt:00004321")), rows[4321]![1]);
    });
  });
}

Deno.test("lsm: concurrent durable commits share fdatasyncs (group commit)", async () => {
  await withTempDir(async (dir) => {
    const s = await openLsm(dir);
    const before = lsmStats(s)!.walSyncs;
    const writers = [];
    for (let w = 0; w < 16; w++) {
      writers.push((async () => {
        for (let i = 0; i < 20; i++) await s.put(`w${w}-${i}`, "x");
      })());
    }
    await Promise.all(writers);
    const syncs = lsmStats(s)!.walSyncs - before;
    assert(syncs < 320 / 2, `${syncs} fdatasyncs for 320 commits`);
    await s.close();
    await using r = await openLsm(dir);
    assertEquals(await r.count(), 320);
  });
});

for (const backgroundThreads of [true, false]) {
  Deno.test(`lsm: background flushes and compactions keep every key readable (threads: ${backgroundThreads})`, async () => {
    await withTempDir(async (dir) => {
      await using s = await openLsm(dir, { syncWrites: false }, {
        ...SMALL,
        l0Trigger: 2,
        levelBaseBytes: 16 * 1024,
        levelRatio: 3,
        backgroundThreads,
      });
      const model = new Map<string, string>();
      for (let b = 0; b < 60; b++) {
        const batch: [string, string][] = [];
        for (let i = 0; i < 200; i++) {
          const k = `k${(b * 7919 + i * 104729) % 6000}`;
          batch.push([k, `${b}-${i}`]);
          model.set(k, `${b}-${i}`);
        }
        await s.batchWrite(batch);
      }
      await lsmWaitIdle(s);
      const st = lsmStats(s)!;
      assert(st.flushes > 3 && st.compactions > 0, JSON.stringify(st));
      assert(st.tablesPerLevel.length > 2, `levels: ${st.tablesPerLevel}`);
      assert(st.writeAmplification > 1, `write amplification ${st.writeAmplification}`);
      for (const [k, v] of model) assertEquals(dec.decode(await s.get(k)), v, k);
      assertEquals(await s.count(), model.size);
    });
  });
}

Deno.test("lsm: cacheSizeBytes bounds the block cache (0 disables it)", async () => {
  for (const cacheSizeBytes of [0, 1 << 20]) {
    await withTempDir(async (dir) => {
      const s = await openLsm(dir, { cacheSizeBytes }, SMALL);
      await s.batchWrite(pairs(2000));
      await s.compact();
      for (let i = 0; i < 3; i++) await s.get("key000100");
      const m = s.metrics();
      if (cacheSizeBytes === 0) assertEquals(m.cacheHits, 0);
      else assert(m.cacheHits >= 2, `hits ${m.cacheHits}`);
      assert(m.cacheMisses >= 1, `misses ${m.cacheMisses}`);
      await s.close();
    });
  }
});

Deno.test("lsm: merge uses the configured operator", async () => {
  const add = (_k: Uint8Array, old: Uint8Array | undefined, operand: Uint8Array) =>
    new TextEncoder().encode(
      String(Number(old ? dec.decode(old) : "0") + Number(dec.decode(operand))),
    );
  await using s = await openLsm(undefined, { mergeOperator: add });
  await s.merge("n", "2");
  await s.merge("n", "5");
  assertEquals(dec.decode(await s.get("n")), "7");
  await using plain = await openLsm(undefined);
  await assertRejectsKind(() => plain.merge("n", "1"), "Unsupported");
});

Deno.test("lsm: a scan is a point-in-time view while writes go on", async () => {
  await using s = await openLsm(undefined, {}, SMALL);
  await s.batchWrite(pairs(1000));
  let n = 0;
  for await (const [k] of s.range()) {
    if (n === 10) {
      await s.put("key000500", "changed");
      await s.put("key0009999", "inserted");
      await s.delete("key000900");
    }
    if (dec.decode(k) === "key0009999") throw new Error("scan saw a later insert");
    n++;
  }
  assertEquals(n, 1000);
  assertEquals(dec.decode(await s.get("key000500")), "changed");
});

Deno.test("lsm: flushes keep the newest of many versions and deletes logged together", async () => {
  await withTempDir(async (dir) => {
    const s = await openLsm(dir, { syncWrites: false }, {
      ...SMALL,
      memtableBytes: 64 * 1024,
      workerMinBytes: 0, // the worker's flush, which sorts the frozen log
    });
    for (let round = 0; round < 40; round++) {
      const batch: [string, string][] = [];
      for (let i = 0; i < 100; i++) batch.push([`k${i}`, `r${round}-${"x".repeat(50)}`]);
      await s.batchWrite(batch);
      await s.delete(`k${round}`); // deleted in round r, rewritten in round r + 1
    }
    // Push those versions out of the memtable so the reads below hit flushed tables.
    for (let f = 0; f < 20; f++) {
      await s.batchWrite(pairs(100).map(([k, v]) => [`filler-${f}-${k}`, v + "y".repeat(60)]));
    }
    await lsmWaitIdle(s);
    assert(lsmStats(s)!.flushes >= 2, "expected background flushes");
    for (let i = 0; i < 100; i++) {
      const got = await s.get(`k${i}`);
      if (i === 39) assertEquals(got, undefined, "k39 was deleted last");
      else assertEquals(dec.decode(got), `r39-${"x".repeat(50)}`, `k${i}`);
    }
    await s.close();
  });
});

Deno.test("lsm: stores share the worker threads; closing one leaves the other working", async () => {
  await withTempDir(async (dir) => {
    const tuning = { ...SMALL, l0Trigger: 2, workerMinBytes: 0 };
    const a = await openLsm(`${dir}/a`, { syncWrites: false }, tuning);
    const b = await openLsm(`${dir}/b`, { syncWrites: false }, tuning);
    for (let round = 0; round < 10; round++) {
      if (round <= 4) await a.batchWrite(pairs(300, `a${round}-`));
      await b.batchWrite(pairs(300, `b${round}-`));
      if (round === 4) await a.close(); // b's jobs keep running on the shared threads
    }
    await lsmWaitIdle(b);
    const st = lsmStats(b)!;
    assert(st.flushes > 3 && st.compactions > 0, JSON.stringify(st));
    assertEquals(await b.count(), 300);
    assertEquals(dec.decode(await b.get("key000123")), "b9-123");
    await b.close();
    await using ra = await openLsm(`${dir}/a`);
    assertEquals(dec.decode(await ra.get("key000123")), "a4-123");
  });
});

for (const workerMinBytes of [0, Infinity]) {
  Deno.test(
    `lsm: compactions above older data keep tombstones and expired values dead (workers: ${
      workerMinBytes === 0
    })`,
    async () => {
      await withTempDir(async (dir) => {
        const s = await openLsm(dir, { syncWrites: false }, {
          memtableBytes: 8 * 1024,
          tableBytes: 8 * 1024,
          l0Trigger: 2,
          levelBaseBytes: 8 * 1024,
          levelRatio: 2,
          workerMinBytes,
        });
        await s.batchWrite(pairs(3000, "old"));
        await s.compact(); // everything lands in a deep level
        const deep = lsmStats(s)!.tablesPerLevel;
        assert(deep.length > 2 && deep[1] === 0, `expected data below level 1: ${deep}`);
        await s.batchDelete(pairs(3000).filter((_, i) => i % 3 === 0).map(([k]) => k));
        for (const [k] of pairs(3000).filter((_, i) => i % 3 === 1)) {
          await s.putWithTtl(k, "new", 1);
        }
        await new Promise((r) => setTimeout(r, 5));
        for (let f = 0; f < 30; f++) {
          await s.batchWrite(pairs(200, `filler${f}-`).map(([k, v]) => [`f${f}-${k}`, v]));
        }
        await lsmWaitIdle(s);
        const st = lsmStats(s)!;
        assert(st.compactions > 3, `compactions: ${st.compactions}`);
        for (const [i, [k]] of pairs(3000).entries()) {
          const got = await s.get(k);
          if (i % 3 === 2) assertEquals(dec.decode(got), `old${i}`, k);
          else assertEquals(got, undefined, `${k} came back after a compaction`);
        }
        await s.close();
      });
    },
  );
}

Deno.test("lsm: a keysOnly scan returns at most the 9-byte TTL header of each value", async () => {
  const { LsmEngine } = await import("../../kv/lsm/lsm_engine.ts");
  const { MemFs } = await import("../../kv/lsm/_fs.ts");
  const e = await LsmEngine.open(new MemFs(), false, { memtableBytes: 1024 });
  const big = new Uint8Array(500).fill(7);
  big[0] = 0; // core's "no TTL" tag
  const ops = [];
  for (let i = 0; i < 50; i++) ops.push({ key: new Uint8Array([0x10, i]), value: big });
  await e.apply(ops);
  await e.compact(); // from tables too
  await e.apply([{ key: new Uint8Array([0x10, 200]), value: big }]); // and the memtable
  let n = 0;
  for await (const [, head] of e.scan(undefined, undefined, { keysOnly: true })) {
    assertEquals(head.length, 9);
    assertEquals(head[0], 0);
    n++;
  }
  assertEquals(n, 51);
  for await (const [, v] of e.scan(undefined, undefined)) assertEquals(v.length, 500);
  await e.close();
});
