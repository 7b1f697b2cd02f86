// Damaged files give `Corruption`, never a wrong value; a torn WAL tail (a
// crash in the middle of an append) is not corruption and is ignored.
import { assert, assertEquals, assertRejectsKind } from "../_support/assert.ts";
import { openLsm } from "../../kv/lsm/mod.ts";
import { withTempDir } from "../_support/temp_dir.ts";

const dec = new TextDecoder();
const SMALL = { memtableBytes: 16 * 1024, tableBytes: 16 * 1024, levelBaseBytes: 64 * 1024 };

function files(dir: string, ext: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(ext)).sort();
}

function flip(path: string, at: (len: number) => number): void {
  const b = Deno.readFileSync(path);
  b[at(b.length)]! ^= 0x5a;
  Deno.writeFileSync(path, b);
}

const WAL_ONLY = `
import { openLsm } from ${JSON.stringify(new URL("../../kv/lsm/mod.ts", import.meta.url).href)};
const s = await openLsm(Deno.args[0]);
if (Deno.args[2]) await s.put(Deno.args[2], "x");
else for (let i = 0; i < Number(Deno.args[1]); i++) await s.put(\`k\${String(i).padStart(4, "0")}\`, \`value-\${i}\`);
Deno.exit(0); // no close: a clean close would write the memtable as a table
`;

/** Writes `n` durable keys only to the WAL (no flush): a process that ends without closing. */
async function walOnly(dir: string, n: number, key = ""): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--config",
      new URL("../../deno.json", import.meta.url).pathname,
      WAL_ONLY,
      dir,
      String(n),
      key,
    ],
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
}

Deno.test("lsm: a bit flip in the middle of the WAL is Corruption", async () => {
  await withTempDir(async (dir) => {
    await walOnly(dir, 50);
    const [wal] = files(dir, ".wal").slice(-1);
    flip(`${dir}/${wal}`, (len) => Math.floor(len / 2));
    await assertRejectsKind(() => openLsm(dir), "Corruption");
  });
});

Deno.test("lsm: a torn WAL tail is ignored and earlier commits survive", async () => {
  await withTempDir(async (dir) => {
    await walOnly(dir, 50);
    const [wal] = files(dir, ".wal").slice(-1);
    const b = Deno.readFileSync(`${dir}/${wal}`);
    Deno.writeFileSync(`${dir}/${wal}`, b.subarray(0, b.length - 5)); // cut the last record
    await using s = await openLsm(dir);
    assertEquals(dec.decode(await s.get("k0048")), "value-48");
    assertEquals(await s.get("k0049"), undefined);
    assertEquals(await s.count(), 49);
  });
});

Deno.test("lsm: a damaged last WAL record (bad checksum at the end) is a torn tail", async () => {
  await withTempDir(async (dir) => {
    await walOnly(dir, 20);
    const [wal] = files(dir, ".wal").slice(-1);
    flip(`${dir}/${wal}`, (len) => len - 2);
    await using s = await openLsm(dir);
    assertEquals(await s.count(), 19);
  });
});

async function tableStore(dir: string): Promise<void> {
  const s = await openLsm(dir, {}, SMALL);
  const pairs: [string, string][] = [];
  for (let i = 0; i < 2000; i++) pairs.push([`key${String(i).padStart(5, "0")}`, `val-${i}`]);
  await s.batchWrite(pairs);
  await s.compact();
  await s.close();
}

Deno.test("lsm: a bit flip in a table data block is Corruption on read", async () => {
  await withTempDir(async (dir) => {
    await tableStore(dir);
    const ssts = files(dir, ".sst");
    assert(ssts.length > 0, "expected tables after compaction");
    for (const t of ssts) flip(`${dir}/${t}`, () => 20); // inside the first data block
    const s = await openLsm(dir, {}, SMALL);
    try {
      await assertRejectsKind(async () => {
        for await (const _ of s.iter()) { /* scan everything */ }
      }, "Corruption");
      await assertRejectsKind(() => s.get("key00000"), "Corruption");
    } finally {
      await s.close();
    }
  });
});

Deno.test("lsm: a damaged table footer or truncated table is Corruption at open", async () => {
  await withTempDir(async (dir) => {
    await tableStore(dir);
    const [t] = files(dir, ".sst");
    flip(`${dir}/${t}`, (len) => len - 20);
    await assertRejectsKind(() => openLsm(dir), "Corruption");
  });
  await withTempDir(async (dir) => {
    await tableStore(dir);
    const [t] = files(dir, ".sst");
    const b = Deno.readFileSync(`${dir}/${t}`);
    Deno.writeFileSync(`${dir}/${t}`, b.subarray(0, b.length - 100));
    await assertRejectsKind(() => openLsm(dir), "Corruption");
  });
});

Deno.test("lsm: a table listed in the manifest but missing is Corruption", async () => {
  await withTempDir(async (dir) => {
    await tableStore(dir);
    const [t] = files(dir, ".sst");
    Deno.removeSync(`${dir}/${t}`);
    await assertRejectsKind(() => openLsm(dir), "Corruption");
  });
});

Deno.test("lsm: a damaged or truncated manifest is Corruption", async () => {
  await withTempDir(async (dir) => {
    await tableStore(dir);
    flip(`${dir}/MANIFEST`, (len) => len - 3);
    await assertRejectsKind(() => openLsm(dir), "Corruption");
    await assertRejectsKind(() => openLsm(dir, { readOnly: true }), "Corruption");
  });
  await withTempDir(async (dir) => {
    await tableStore(dir);
    const b = Deno.readFileSync(`${dir}/MANIFEST`);
    Deno.writeFileSync(`${dir}/MANIFEST`, b.subarray(0, b.length - 1));
    await assertRejectsKind(() => openLsm(dir), "Corruption");
  });
});

Deno.test("lsm: every single-byte flip of a table never yields a wrong value", async () => {
  await withTempDir(async (dir) => {
    const s0 = await openLsm(dir, {}, { ...SMALL, compression: "none" });
    const pairs: [string, string][] = [];
    for (let i = 0; i < 300; i++) pairs.push([`k${String(i).padStart(3, "0")}`, `v${i}`]);
    await s0.batchWrite(pairs);
    await s0.compact();
    await s0.close();
    const [t] = files(dir, ".sst");
    const path = `${dir}/${t}`;
    const orig = Deno.readFileSync(path);
    const step = Math.max(1, Math.floor(orig.length / 60));
    for (let at = 0; at < orig.length; at += step) {
      const b = orig.slice();
      b[at]! ^= 0x01;
      Deno.writeFileSync(path, b);
      let s;
      try {
        s = await openLsm(dir, {}, SMALL);
      } catch (err) {
        assertEquals((err as { kind?: string }).kind, "Corruption", `flip at ${at}`);
        continue;
      }
      try {
        for (const [k, v] of pairs) {
          try {
            const got = await s.get(k);
            assertEquals(got && dec.decode(got), v, `flip at ${at}, key ${k}`);
          } catch (err) {
            assertEquals((err as { kind?: string }).kind, "Corruption", `flip at ${at}`);
          }
        }
      } finally {
        await s.close();
      }
    }
    Deno.writeFileSync(path, orig);
  });
});

Deno.test("lsm: a torn older log ends the replay; later logs are not applied", async () => {
  await withTempDir(async (dir) => {
    await walOnly(dir, 30);
    const [older] = files(dir, ".wal").slice(-1);
    // A later log holding other commits (made in another store, same format).
    const other = await Deno.makeTempDir({ prefix: "lsm-corrupt-other-" });
    await walOnly(other, 0, "later");
    const [otherWal] = files(other, ".wal").slice(-1);
    const n = Number(older!.slice(0, -4)) + 1;
    Deno.copyFileSync(`${other}/${otherWal}`, `${dir}/${String(n).padStart(6, "0")}.wal`);
    await Deno.remove(other, { recursive: true });
    const b = Deno.readFileSync(`${dir}/${older}`);
    Deno.writeFileSync(`${dir}/${older}`, b.subarray(0, b.length - 3));
    await using r = await openLsm(dir);
    assertEquals(await r.count(), 29);
    assertEquals(await r.get("later"), undefined);
  });
});

Deno.test("lsm: a bit flip in the middle of an older log is Corruption", async () => {
  await withTempDir(async (dir) => {
    await walOnly(dir, 30);
    const [older] = files(dir, ".wal").slice(-1);
    const n = Number(older!.slice(0, -4)) + 1;
    Deno.copyFileSync(`${dir}/${older}`, `${dir}/${String(n).padStart(6, "0")}.wal`);
    flip(`${dir}/${older}`, (len) => Math.floor(len / 2));
    await assertRejectsKind(() => openLsm(dir), "Corruption");
  });
});
