// PartitionedDataset: Hive layout, escaping, null vs empty, pruning without I/O,
// append-only files, atomic manifest.
import * as A from "apache-arrow";
import { assert, assertEquals, assertRejectsKind } from "../_support/assert.ts";
import { ColumnarTable, PartitionedDataset } from "../../columnar/mod.ts";
import { MemoryBlobStore } from "../../blob/memory_blob_store.ts";
import { withTempDir } from "../_support/temp_dir.ts";

function walk(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const rel = prefix + e.name;
    if (e.isDirectory) out.push(...walk(`${dir}/${e.name}`, rel + "/"));
    else out.push(rel);
  }
  return out.sort();
}

Deno.test("append writes Hive directories and read restores partition columns", async () => {
  await withTempDir(async (root) => {
    const ds = await PartitionedDataset.create(root, ["country", "year"]);
    await ds.append(ColumnarTable.fromRows([
      { country: "no", year: 2023n, v: 1 },
      { country: "it", year: 2024n, v: 2 },
      { country: "no", year: 2023n, v: 3 },
    ]));
    const files = walk(root).filter((f) => f.endsWith(".parquet"));
    assertEquals(files, [
      "country=it/year=2024/part-000001-1.parquet",
      "country=no/year=2023/part-000001-0.parquet",
    ]);
    const all = await ds.read();
    assertEquals(
      all.sortBy("v").toRows(),
      [
        { country: "no", year: 2023n, v: 1 },
        { country: "it", year: 2024n, v: 2 },
        { country: "no", year: 2023n, v: 3 },
      ],
    );
    const again = await PartitionedDataset.open(root);
    assertEquals(again.partitionBy, ["country", "year"]);
    assertEquals((await again.read()).numRows, 3);
  });
});

Deno.test("nulls and empty strings are distinct partitions; odd values are escaped", async () => {
  await withTempDir(async (root) => {
    const ds = await PartitionedDataset.create(root, ["k"]);
    const odd = ["", null, "a/b", "..", "__HIVE_DEFAULT_PARTITION__", "x=y%z", "日本"];
    await ds.append(ColumnarTable.fromRows(odd.map((k, i) => ({ k, i }))));
    const parts = await ds.listPartitions();
    assertEquals(parts.map((p) => p.values.k), odd);
    assert(parts.every((p) => p.numRows === 1 && p.files.length === 1));
    const dirs = new Set(
      walk(root).filter((f) => f.endsWith(".parquet")).map((f) => f.split("/")[0]),
    );
    assertEquals(dirs.size, odd.length, "one directory per distinct value");
    assert(dirs.has("k=__HIVE_DEFAULT_PARTITION__"));
    assert(dirs.has("k=__OXISTORE_EMPTY__"));
    for (const d of dirs) assert(!d!.includes("/") && d !== "k=.." && d !== "k=.");
    const back = (await ds.read()).sortBy("i").toRows().map((r) => r.k);
    assertEquals(back, odd);
    const nulls = await ds.read({ partitions: { k: { column: "k", op: "isNull" } } });
    assertEquals(nulls.toRows(), [{ k: null, i: 1 }]);
    const empty = await ds.read({ partitions: { k: { column: "k", op: "eq", value: "" } } });
    assertEquals(empty.toRows(), [{ k: "", i: 0 }]);
  });
});

Deno.test("partition predicates skip whole partitions without touching their files", async () => {
  await withTempDir(async (root) => {
    const ds = await PartitionedDataset.create(root, ["day"]);
    const rows = Array.from({ length: 40 }, (_, i) => ({ day: BigInt(i % 10), v: i }));
    await ds.append(ColumnarTable.fromRows(rows));
    // Make every partition but day=7 unreadable: a read that opened them would fail.
    for (const p of await ds.listPartitions()) {
      if (p.values.day !== "7") await Deno.writeTextFile(`${root}/${p.files[0]}`, "garbage");
    }
    const t = await ds.read({ partitions: { day: { column: "day", op: "eq", value: 7 } } });
    assertEquals(t.toRows().map((r) => r.v), [7, 17, 27, 37]);
    const viaFilter = await ds.read({ filter: { column: "day", op: "in", values: [7n] } });
    assertEquals(viaFilter.numRows, 4);
    const ranged = await ds.read({
      partitions: {
        day: {
          and: [{ column: "day", op: "gt", value: 6 }, { column: "day", op: "lt", value: 8 }],
        },
      },
      filter: { column: "v", op: "ge", value: 20 },
      columns: ["v"],
    });
    assertEquals(ranged.toRows(), [{ v: 27 }, { v: 37 }]);
    await assertRejectsKind(() => ds.read(), "Corruption");
  });
});

Deno.test("append adds files and never rewrites existing ones", async () => {
  await withTempDir(async (root) => {
    const ds = await PartitionedDataset.create(root, ["k"]);
    await ds.append(ColumnarTable.fromRows([{ k: "a", v: 1 }]));
    const before = walk(root).filter((f) => f.endsWith(".parquet"));
    const stamps = before.map((f) => Deno.statSync(`${root}/${f}`).mtime?.getTime());
    const bytes = before.map((f) => Deno.readFileSync(`${root}/${f}`));
    await ds.append(ColumnarTable.fromRows([{ k: "a", v: 2 }, { k: "b", v: 3 }]));
    before.forEach((f, i) => {
      assertEquals(Deno.readFileSync(`${root}/${f}`), bytes[i]);
      assertEquals(Deno.statSync(`${root}/${f}`).mtime?.getTime(), stamps[i]);
    });
    const parts = await ds.listPartitions();
    assertEquals(parts.map((p) => [p.values.k, p.files.length, p.numRows]), [["a", 2, 2], [
      "b",
      1,
      1,
    ]]);
    await assertRejectsKind(
      () => ds.append(ColumnarTable.fromRows([{ k: "a", v: "text" }])),
      "InvalidInput",
      /column v/,
    );
    await assertRejectsKind(
      () => ds.append(ColumnarTable.fromRows([{ v: 1 }])),
      "InvalidInput",
      /k/,
    );
    assertEquals((await PartitionedDataset.open(root)).partitionBy, ["k"]);
  });
});

Deno.test("manifest is replaced atomically and errors have the right kinds", async () => {
  await withTempDir(async (root) => {
    await assertRejectsKind(() => PartitionedDataset.open(root), "NotFound");
    const ds = await PartitionedDataset.create(root, ["d"]);
    await assertRejectsKind(() => PartitionedDataset.create(root, ["d"]), "AlreadyExists");
    const schema = new A.Schema([
      new A.Field("d", new A.DateDay(), true),
      new A.Field("x", new A.Float64(), true),
    ]);
    await ds.append(ColumnarTable.fromRows([{ d: new Date("2024-02-03"), x: 1.5 }], schema));
    assertEquals(walk(root).filter((f) => f.includes(".tmp-")), []);
    assert(walk(root).includes("d=2024-02-03/part-000001-0.parquet"));
    const got = await ds.read({
      partitions: { d: { column: "d", op: "ge", value: new Date("2024-02-01") } },
    });
    assertEquals(got.toRows(), [{ d: new Date("2024-02-03"), x: 1.5 }]);
    await Deno.writeTextFile(`${root}/_oxistore_manifest.json`, "{not json");
    await assertRejectsKind(() => PartitionedDataset.open(root), "Corruption");
    await assertRejectsKind(() => PartitionedDataset.create(root, ["a", "a"]), "InvalidInput");
  });
});

Deno.test("a dataset on a blob store prefix: append, prune, reopen, racing writers", async () => {
  const store = new MemoryBlobStore();
  const root = { store, prefix: "lake/events/" };
  const ds = await PartitionedDataset.create(root, ["kind"]);
  await ds.append(ColumnarTable.fromRows([{ kind: "a", n: 1 }, { kind: null, n: 2 }]));
  const keys = (await store.list("lake/events/")).items.map((i) => i.key).sort();
  assertEquals(keys, [
    "lake/events/_oxistore_manifest.json",
    "lake/events/kind=__HIVE_DEFAULT_PARTITION__/part-000001-1.parquet",
    "lake/events/kind=a/part-000001-0.parquet",
  ]);
  const a = await ds.read({ partitions: { kind: { column: "kind", op: "eq", value: "a" } } });
  assertEquals(a.toRows(), [{ kind: "a", n: 1 }]);
  await assertRejectsKind(() => PartitionedDataset.create(root, ["kind"]), "AlreadyExists");
  const other = await PartitionedDataset.open(root);
  await other.append(ColumnarTable.fromRows([{ kind: "b", n: 3 }]));
  // `ds` still holds the old manifest: its append must not silently drop other's file.
  await assertRejectsKind(
    () => ds.append(ColumnarTable.fromRows([{ kind: "c", n: 4 }])),
    "CasMismatch",
  );
  const fresh = await PartitionedDataset.open(root);
  assertEquals((await fresh.read()).sortBy("n").toRows().map((r) => r.n), [1, 2, 3]);
});
