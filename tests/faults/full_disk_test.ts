// A real full disk: each engine bulk-loads into a small tmpfs until the disk
// fills, which must fail with CapacityExceeded; reads go on; once space is
// freed (the mount grows) a reopen holds every acknowledged commit and takes
// writes again. The same for the local blob store (puts) and a dataset in a
// directory (appends). Needs root on Linux to mount; skipped (with the
// reason) otherwise.
import { strictEqual } from "node:assert/strict";
import { openWith, StoreError } from "@cooljapan/oxistore";
import { LocalBlobStore } from "@cooljapan/oxistore/blob";
import { ColumnarTable, PartitionedDataset } from "@cooljapan/oxistore/columnar";

function run(...args: string[]): { ok: boolean; text: string } {
  try {
    const out = new Deno.Command(args[0]!, {
      args: args.slice(1),
      stderr: "piped",
      stdout: "piped",
    })
      .outputSync();
    return { ok: out.success, text: new TextDecoder().decode(out.stderr).trim() };
  } catch (err) {
    return { ok: false, text: String(err) };
  }
}

/** Mounts a tmpfs of `size` at a new directory, or says why it cannot. */
function mountSmall(size: string): { dir?: string; why?: string } {
  if (Deno.build.os !== "linux") return { why: "tmpfs mounts need Linux" };
  const dir = Deno.makeTempDirSync({ prefix: "oxistore-fulldisk-" });
  const r = run("mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir);
  if (r.ok) return { dir };
  Deno.removeSync(dir);
  return { why: `cannot mount a tmpfs (needs root): ${r.text}` };
}

const probe = mountSmall("1m");
if (probe.dir) {
  run("umount", probe.dir);
  Deno.removeSync(probe.dir);
}
if (probe.why) console.log(`full disk tests skipped: ${probe.why}`);

const fills: [string, (dir: string) => Promise<void>][] = [
  ["btree", (dir) => fillAndRecover("btree", dir)],
  ["lsm", (dir) => fillAndRecover("lsm", dir)],
  ["the local blob store", fillBlobs],
  ["a dataset in a directory", fillDataset],
];
for (const [what, fill] of fills) {
  Deno.test({
    name: `faults: ${what} on a real full disk fails with CapacityExceeded and recovers`,
    ignore: probe.why !== undefined,
    async fn() {
      const { dir } = mountSmall("2m");
      if (!dir) throw new Error("mount failed after the probe succeeded");
      try {
        await fill(dir);
      } finally {
        run("umount", dir);
        Deno.removeSync(dir, { recursive: true });
      }
    },
  });
}

/** Checks the error that stopped a fill, and that something was acknowledged before it. */
function filled(failure: unknown, path: string, acked: number): void {
  if (!(failure instanceof StoreError)) throw new Error(`the disk never filled: ${failure}`);
  strictEqual(failure.kind, "CapacityExceeded", failure.message);
  if (!failure.message.includes(path)) throw new Error(`no store path in: ${failure.message}`);
  if (acked === 0) throw new Error("nothing was acknowledged before the disk filled");
}

/** Space freed: the mount grows. */
function grow(dir: string): void {
  const grown = run("mount", "-o", "remount,size=64m", dir);
  if (!grown.ok) throw new Error(`remount failed: ${grown.text}`);
}

async function fillBlobs(dir: string): Promise<void> {
  const root = `${dir}/blobs`;
  const body = (k: string) => new TextEncoder().encode(`${k}:`.padEnd(16_000, "b"));
  const acked: string[] = [];
  const store = await LocalBlobStore.open(root);
  let failure: unknown;
  for (let i = 0; i < 1000 && failure === undefined; i++) {
    const key = `d${i % 7}/blob-${i}`;
    try {
      await store.put(key, body(key), { metadata: { n: String(i) } });
      acked.push(key);
    } catch (err) {
      failure = err;
    }
  }
  filled(failure, root, acked.length);
  const dec = new TextDecoder();
  for (const k of acked.slice(-10)) {
    strictEqual(dec.decode(await store.get(k)), dec.decode(body(k)));
  }
  await store.close().catch(() => {});
  grow(dir);
  const again = await LocalBlobStore.open(root);
  try {
    for (const k of acked) {
      strictEqual(dec.decode(await again.get(k)), dec.decode(body(k)));
      strictEqual((await again.head(k)).metadata.n, k.slice(k.indexOf("-") + 1), k);
    }
    const listed = (await again.list("", { limit: 10_000 })).items.map((m) => m.key);
    strictEqual(listed.length, acked.length, "list names every acknowledged put");
    await again.put("after", new TextEncoder().encode("space freed"));
  } finally {
    await again.close();
  }
}

async function fillDataset(dir: string): Promise<void> {
  const root = `${dir}/events`;
  const rows = (b: number) =>
    Array.from({ length: 400 }, (_, i) => ({ k: `p${i % 3}`, v: b * 1000 + i, s: "x".repeat(40) }));
  const ds = await PartitionedDataset.create(root, ["k"]);
  let acked = 0;
  let failure: unknown;
  for (let b = 0; b < 1000 && failure === undefined; b++) {
    try {
      await ds.append(ColumnarTable.fromRows(rows(b)));
      acked++;
    } catch (err) {
      failure = err;
    }
  }
  filled(failure, root, acked);
  strictEqual((await ds.read()).numRows, acked * 400, "reads go on");
  grow(dir);
  const again = await PartitionedDataset.open(root);
  const table = await again.read();
  strictEqual(table.numRows, acked * 400, "every acknowledged append is there after the reopen");
  await again.append(ColumnarTable.fromRows(rows(9999)));
  strictEqual((await again.read()).numRows, (acked + 1) * 400);
}

async function fillAndRecover(kind: "btree" | "lsm", dir: string): Promise<void> {
  const path = kind === "btree" ? `${dir}/kv.oxi` : `${dir}/lsm`;
  const acked = new Map<string, string>();
  const store = await openWith(kind, path);
  let failure: unknown;
  for (let b = 0; b < 1000 && failure === undefined; b++) {
    const pairs: [string, string][] = [];
    for (let i = 0; i < 50; i++) {
      const k = `key-${String(b).padStart(4, "0")}-${i}`;
      pairs.push([k, `${k}:`.padEnd(1000, "v")]);
    }
    try {
      await store.batchWrite(pairs);
      for (const [k, v] of pairs) acked.set(k, v);
    } catch (err) {
      failure = err;
    }
  }
  filled(failure, path, acked.size);
  // Reads keep working on the full disk.
  const dec = new TextDecoder();
  for (const [k, v] of [...acked].slice(-20)) strictEqual(dec.decode(await store.get(k)), v);
  try {
    await store.close();
  } catch { /* closing may need space too */ }
  grow(dir);
  const again = await openWith(kind, path);
  try {
    let n = 0;
    for await (const [k, v] of again.range()) {
      const key = dec.decode(k);
      if (acked.has(key)) {
        strictEqual(dec.decode(v), acked.get(key));
        n++;
      }
    }
    strictEqual(n, acked.size, "every acknowledged commit is there after the reopen");
    await again.put("after", "space freed");
    strictEqual(dec.decode(await again.get("after")), "space freed");
  } finally {
    await again.close();
  }
}
