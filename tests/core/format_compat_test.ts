// Stores written before the checksums, LZ4 and the byte writer moved to core/
// (fixtures made by commit 6a710bc: an LSM directory with lz4 tables, a WAL and
// a manifest, and a B-tree file) open and read unchanged through the facade.
import { openWith, type StoreKind } from "@cooljapan/oxistore";
import { assertEquals } from "../_support/assert.ts";
import { withTempDir } from "../_support/temp_dir.ts";

const FIXTURES = new URL("./fixtures/before_core_mechanisms/", import.meta.url).pathname;
const dec = new TextDecoder();

const value = (i: number) =>
  JSON.stringify({
    id: i,
    user: `user-${i % 37}`,
    kind: i % 3 ? "view" : "click",
    path: `/items/${(i * 31) % 97}`,
  });

async function copy(from: string, to: string): Promise<void> {
  const info = await Deno.stat(from);
  if (info.isFile) return await Deno.copyFile(from, to);
  await Deno.mkdir(to);
  for await (const e of Deno.readDir(from)) await copy(`${from}/${e.name}`, `${to}/${e.name}`);
}

const CASES: [StoreKind, string, number][] = [["lsm", "lsm", 600], ["btree", "btree.db", 150]];

for (const [kind, name, count] of CASES) {
  Deno.test(`a ${kind} store written before the core mechanisms reads every key`, async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/${name}`;
      await copy(`${FIXTURES}${name}`, path);
      {
        await using store = await openWith(kind, path);
        const seen: string[] = [];
        for await (const [k, v] of store.range()) {
          const i = Number(dec.decode(k).slice(1));
          assertEquals(dec.decode(v), value(i), dec.decode(k));
          seen.push(dec.decode(k));
        }
        assertEquals(seen.length, count);
        await store.put("k99999", "new");
      }
      await using again = await openWith(kind, path);
      assertEquals(await again.count(), count + 1);
      assertEquals(dec.decode(await again.get("k00007")), value(7));
    });
  });
}
