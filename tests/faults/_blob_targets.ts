// The blob store and a dataset on it, as targets of the crash-point and
// fault runs (_blob_harness.ts), each with its workload and its check.
import { LocalBlobStore } from "../../blob/local_blob_store.ts";
import type { BlobMeta } from "../../blob/types.ts";
import { StoreError } from "../../core/error.ts";
import { ColumnarTable } from "../../columnar/columnar_table.ts";
import { PartitionedDataset } from "../../columnar/partitioned_dataset.ts";
import type { StoreStep, StoreTarget } from "./_blob_harness.ts";
import type { SimDisk } from "./sim_disk.ts";
import { mirroredFs, rebootTo } from "./sim_local_fs.ts";

/** A blob as the model knows it. */
export interface ModelBlob {
  text: string;
  contentType: string | undefined;
  metadata: Record<string, string>;
}

/** Key → blob. */
export type BlobModel = Map<string, ModelBlob>;

type BlobStep = StoreStep<LocalBlobStore, BlobModel>;

const dec = new TextDecoder();

/** `n` bytes naming the key and version, so a torn or stale blob cannot pass as another. */
function body(key: string, version: number, n: number): string {
  const head = `${key}@${version}:`;
  let s = head;
  for (let i = 0; s.length < n; i++) s += String.fromCharCode(97 + ((i * 7 + version) % 26));
  return s.slice(0, n);
}

function with_(m: BlobModel, change: (m: BlobModel) => void): BlobModel {
  const next = new Map(m);
  change(next);
  return next;
}

function put(key: string, version: number, n: number, meta: Record<string, string> = {}): BlobStep {
  const text = body(key, version, n);
  const contentType = version % 2 ? "text/plain" : "application/x-test";
  return {
    name: `put ${key} (${n} bytes)`,
    run: async (s) => void await s.put(key, text, { contentType, metadata: meta }),
    apply: (m) => with_(m, (x) => x.set(key, { text, contentType, metadata: meta })),
  };
}

function upload(key: string, version: number, chunks: number, chunk: number): BlobStep {
  const text = body(key, version, chunks * chunk);
  const metadata = { parts: String(chunks) };
  return {
    name: `upload ${key} (${chunks} chunks)`,
    run: async (s) => {
      const up = await s.startUpload(key, { contentType: "application/octet-stream", metadata });
      for (let i = 0; i < chunks; i++) await up.write(text.slice(i * chunk, (i + 1) * chunk));
      await up.complete();
    },
    apply: (m) =>
      with_(m, (x) => x.set(key, { text, contentType: "application/octet-stream", metadata })),
  };
}

const keep = (m: BlobModel) => m;

/** The blob workload: puts small and chunked, overwrites, conditional puts, copy, rename, delete, list, reopen. */
export function blobSteps(): BlobStep[] {
  return [
    put("a/one", 1, 100, { owner: "ann" }),
    put("a/two", 1, 1500),
    put("b/deep/x/leaf", 1, 700, { n: "1" }),
    upload("up/big", 1, 3, 5000),
    put("a/one", 2, 2100, { owner: "bob", rev: "2" }),
    {
      name: "putIfAbsent c/new",
      run: async (s) => void await s.putIfAbsent("c/new", body("c/new", 1, 300)),
      apply: (m) =>
        with_(
          m,
          (x) =>
            x.set("c/new", { text: body("c/new", 1, 300), contentType: undefined, metadata: {} }),
        ),
    },
    {
      name: "putIfAbsent a/two (exists)",
      run: async (s) => {
        const err = await s.putIfAbsent("a/two", "no").then(() => undefined, (e) => e);
        if (!(err instanceof StoreError)) throw new Error("putIfAbsent over a blob resolved");
        if (err.kind !== "AlreadyExists") throw err;
      },
      apply: keep,
    },
    {
      name: "putIfMatch a/two",
      run: async (s) => {
        const { etag } = await s.head("a/two");
        await s.putIfMatch("a/two", body("a/two", 2, 900), etag, { metadata: { m: "y" } });
      },
      apply: (m) =>
        with_(
          m,
          (x) =>
            x.set("a/two", {
              text: body("a/two", 2, 900),
              contentType: undefined,
              metadata: { m: "y" },
            }),
        ),
    },
    {
      name: "copy a/one -> d/copy",
      run: (s) => s.copy("a/one", "d/copy"),
      apply: (m) => with_(m, (x) => x.set("d/copy", { ...x.get("a/one")! })),
    },
    {
      name: "rename a/two -> e/f/moved",
      run: (s) => s.rename("a/two", "e/f/moved"),
      apply: (m) =>
        with_(m, (x) => {
          x.set("e/f/moved", x.get("a/two")!);
          x.delete("a/two");
        }),
    },
    {
      name: "delete b/deep/x/leaf",
      run: (s) => s.delete("b/deep/x/leaf"),
      apply: (m) => with_(m, (x) => x.delete("b/deep/x/leaf")),
    },
    { name: "reopen", run: () => Promise.resolve(), apply: keep, reopen: true },
    upload("up/big", 2, 2, 3000),
    put("c/new", 3, 40),
    {
      name: "delete a/one",
      run: (s) => s.delete("a/one"),
      apply: (m) => with_(m, (x) => x.delete("a/one")),
    },
    put("last", 1, 10),
  ];
}

/** Every key the workload touches (the ones a check reads). */
function keysOf(steps: BlobStep[]): string[] {
  let m: BlobModel = new Map();
  const all = new Set<string>();
  for (const s of steps) {
    m = s.apply(m);
    for (const k of m.keys()) all.add(k);
  }
  return [...all, "a/two"].sort();
}

function sameBlob(got: ModelBlob | undefined, want: ModelBlob | undefined): boolean {
  if (got === undefined || want === undefined) return got === want;
  return got.text === want.text && got.contentType === want.contentType &&
    JSON.stringify(Object.entries(got.metadata).sort()) ===
      JSON.stringify(Object.entries(want.metadata).sort());
}

function show(b: ModelBlob | undefined): string {
  return b === undefined
    ? "NotFound"
    : `${JSON.stringify(b.text.slice(0, 16))}… (${b.text.length} bytes, ${b.contentType}, ${
      JSON.stringify(b.metadata)
    })`;
}

async function readBlob(store: LocalBlobStore, key: string): Promise<ModelBlob | undefined> {
  let bytes: Uint8Array;
  let meta: BlobMeta;
  try {
    bytes = await store.get(key);
    meta = await store.head(key);
  } catch (err) {
    if (err instanceof StoreError && err.kind === "NotFound") return undefined;
    throw err;
  }
  if (meta.size !== bytes.length) {
    throw new Error(`${key}: head says ${meta.size} bytes, get gave ${bytes.length}`);
  }
  return { text: dec.decode(bytes), contentType: meta.contentType, metadata: meta.metadata };
}

/** The keys of the plain files under `root` (not the store's private directory). */
function filesUnder(root: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(rel ? `${root}/${rel}` : root)) {
    if (!rel && e.name === ".oxistore") continue;
    const key = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...filesUnder(root, key));
    else out.push(key);
  }
  return out;
}

/**
 * Each key reads as it is in one of `allowed` (its value before or after the
 * step in flight), whole with its metadata; `list` names exactly the keys
 * that read.
 */
async function verifyBlobs(
  root: string,
  store: LocalBlobStore,
  allowed: BlobModel[],
  keys: string[],
  what: string,
): Promise<void> {
  const found = new Set<string>();
  for (const key of keys) {
    const got = await readBlob(store, key);
    if (!allowed.some((m) => sameBlob(got, m.get(key)))) {
      throw new Error(
        `${what}: ${key} reads ${show(got)}, want ${
          allowed.map((m) => show(m.get(key))).join(" or ")
        }`,
      );
    }
    if (got !== undefined) found.add(key);
  }
  // Blobs are plain files: a file under the root that reads NotFound is a leftover, allowed
  // only for a key the step in flight touched (an acknowledged delete leaves no file).
  for (const key of filesUnder(root)) {
    if (!found.has(key) && !allowed.some((m) => m.has(key))) {
      throw new Error(`${what}: ${key} reads NotFound but its file is on the disk`);
    }
  }
  const listed = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await store.list("", cursor === undefined ? { limit: 5 } : { limit: 5, cursor });
    for (const it of page.items) listed.add(it.key);
    cursor = page.cursor;
  } while (cursor !== undefined);
  const a = [...found].sort().join(","), b = [...listed].sort().join(",");
  if (a !== b) throw new Error(`${what}: list gives [${b}], reads give [${a}]`);
}

/** The local blob store at `base`/blobs. */
export function blobTarget(base: string): StoreTarget<LocalBlobStore, BlobModel> {
  const root = `${base}/blobs`;
  const steps = blobSteps();
  const keys = keysOf(steps);
  return {
    name: "blob (local)",
    base,
    root,
    steps,
    empty: () => new Map(),
    open: (disk: SimDisk) => LocalBlobStore.open(root, { fs: mirroredFs(disk) }),
    restore: (disk: SimDisk) => rebootTo(disk, root),
    close: (s) => s.close(),
    verify: (s, allowed, what) => verifyBlobs(root, s, allowed, keys, what),
  };
}

/** Dataset rows the model expects, as sorted JSON lines. */
export type RowsModel = string[];

interface DatasetHandle {
  blobs: LocalBlobStore;
  ds: PartitionedDataset;
}

const PREFIX = "datasets/events";

/** The rows of append `batch`: `n` of them over three partitions. */
export function rows(batch: number, n: number): { k: string; v: number; s: string }[] {
  return Array.from({ length: n }, (_, i) => ({
    k: ["x", "y", "z"][(i + batch) % 3]!,
    v: batch * 1000 + i,
    s: `row ${batch}.${i}`,
  }));
}

/** One row as the model holds it. */
export function rowKey(r: { k: unknown; v: unknown; s: unknown }): string {
  return JSON.stringify([r.k, Number(r.v), r.s]);
}

/** A partitioned dataset on the local blob store at `base`/blobs (prefix datasets/events). */
export function datasetTarget(base: string): StoreTarget<DatasetHandle, RowsModel> {
  const root = `${base}/blobs`;
  const append = (batch: number, n: number): StoreStep<DatasetHandle, RowsModel> => ({
    name: `append batch ${batch}`,
    run: (h) => h.ds.append(ColumnarTable.fromRows(rows(batch, n))),
    apply: (m) => [...m, ...rows(batch, n).map(rowKey)].sort(),
  });
  const steps: StoreStep<DatasetHandle, RowsModel>[] = [
    append(1, 6),
    append(2, 4),
    { name: "reopen", run: () => Promise.resolve(), apply: (m) => m, reopen: true },
    append(3, 5),
  ];
  return {
    name: "dataset (on local blobs)",
    base,
    root,
    steps,
    empty: () => [],
    restore: (disk) => rebootTo(disk, root),
    async open(disk) {
      const blobs = await LocalBlobStore.open(root, { fs: mirroredFs(disk) });
      try {
        const ds = await PartitionedDataset.open({ store: blobs, prefix: PREFIX }).catch(
          async (err) => {
            if (!(err instanceof StoreError && err.kind === "NotFound")) throw err;
            return await PartitionedDataset.create({ store: blobs, prefix: PREFIX }, ["k"]);
          },
        );
        return { blobs, ds };
      } catch (err) {
        await blobs.close().catch(() => {});
        throw err;
      }
    },
    close: (h) => h.blobs.close(),
    verify: (h, allowed, what) =>
      verifyDataset(h.ds, (f) => h.blobs.head(`${PREFIX}/${f}`).then(() => {}), allowed, what),
  };
}

/**
 * Throws unless the dataset's manifest names only files that are there
 * (`present` rejects otherwise) and read whole, the rows it counts are the
 * rows it reads, and they are exactly one of the `allowed` models.
 */
export async function verifyDataset(
  ds: PartitionedDataset,
  present: (file: string) => Promise<void>,
  allowed: RowsModel[],
  what: string,
): Promise<void> {
  const parts = await ds.listPartitions();
  for (const p of parts) {
    for (const f of p.files) {
      const got = await present(f).catch((e) => e);
      if (got instanceof Error) throw new Error(`${what}: the manifest names ${f}: ${got}`);
    }
  }
  const table = await ds.read();
  const found = table.toRows().map((r) => rowKey(r as { k: unknown; v: unknown; s: unknown }))
    .sort();
  const listed = parts.reduce((n, p) => n + p.numRows, 0);
  if (listed !== found.length) {
    throw new Error(`${what}: manifest counts ${listed} rows, read ${found.length}`);
  }
  const text = found.join("\n");
  if (!allowed.some((m) => m.join("\n") === text)) {
    throw new Error(
      `${what}: dataset holds ${found.length} rows, want ${
        allowed.map((m) => m.length).join(" or ")
      }`,
    );
  }
}
