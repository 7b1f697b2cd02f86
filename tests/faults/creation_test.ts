// A store whose creation a crash or power cut interrupted opens (empty) on the
// real disk, through the published entry points: the states the outside FUSE
// power-loss check found (issue 13), rebuilt by hand.
import { strictEqual } from "node:assert/strict";
import { openWith } from "@cooljapan/oxistore";
import { openBTree } from "@cooljapan/oxistore/kv/btree";
import { initialHeader } from "../../kv/btree/_format.ts";

async function manifestBytes(): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "oxistore-faults-" });
  try {
    await (await openWith("lsm", dir)).close();
    return await Deno.readFile(`${dir}/MANIFEST`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function opensEmptyAndWorks(kind: "lsm" | "btree", path: string): Promise<void> {
  const store = await openWith(kind, path);
  strictEqual(await store.count(), 0);
  await store.put("k", "v");
  await store.close();
  const again = await openWith(kind, path);
  strictEqual(new TextDecoder().decode(await again.get("k")), "v");
  await again.close();
}

for (
  const [name, tmp] of [
    ["a 0-byte MANIFEST.tmp (cut before its fsync)", () => Promise.resolve(new Uint8Array(0))],
    ["a complete MANIFEST.tmp never renamed (cut before the rename)", manifestBytes],
  ] as const
) {
  Deno.test(`faults: an LSM store left with ${name} opens empty`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "oxistore-faults-" });
    try {
      await Deno.writeFile(`${dir}/MANIFEST.tmp`, await tmp());
      await Deno.writeFile(`${dir}/LOCK`, new Uint8Array(0));
      await opensEmptyAndWorks("lsm", dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("faults: an LSM directory with foreign files and no manifest is still refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oxistore-faults-" });
  try {
    await Deno.writeTextFile(`${dir}/notes.txt`, "mine");
    let kind: string | undefined;
    try {
      await openWith("lsm", dir);
    } catch (err) {
      kind = (err as { kind?: string }).kind;
    }
    strictEqual(kind, "Corruption");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("faults: a B-tree file created but cut before its header was written opens empty", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oxistore-faults-" });
  try {
    const path = `${dir}/kv.oxi`;
    await Deno.writeFile(path, new Uint8Array(0));
    await opensEmptyAndWorks("btree", path);
    // And through the engine's own entry point.
    await (await openBTree(path)).close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("faults: a B-tree file whose first header write was torn by a power cut opens empty", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oxistore-faults-" });
  try {
    // The header page's sectors reached the disk each on its own: the first (magic) did not.
    const torn = initialHeader();
    torn.fill(0, 0, 512);
    const path = `${dir}/kv.oxi`;
    await Deno.writeFile(path, torn);
    await opensEmptyAndWorks("btree", path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("faults: a one-page file with other bytes and no magic is still not a B-tree", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oxistore-faults-" });
  try {
    const path = `${dir}/kv.oxi`;
    const bytes = initialHeader();
    bytes.fill(0, 0, 512);
    bytes[2000] = bytes[2000]! ^ 1; // neither zero nor the new header's byte
    await Deno.writeFile(path, bytes);
    let kind: string | undefined;
    try {
      await openWith("btree", path);
    } catch (err) {
      kind = (err as { kind?: string }).kind;
    }
    strictEqual(kind, "Corruption");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
