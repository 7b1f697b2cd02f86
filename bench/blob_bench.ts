/**
 * LocalBlobStore against raw file I/O in the same run, and listing speed.
 *
 * - put/get of 1 MiB and 64 MiB blobs vs a raw durable write (open, write,
 *   fsync, close — the baseline), a raw atomic write (the same to a temp
 *   name, then rename) and a raw `Deno.readFile` of the same size (target
 *   ≥ 50% of raw throughput). `put` also hashes (SHA-256), takes the key lock
 *   and fsyncs the directory after the rename;
 * - listing 100,000 keys under one prefix (target < 1 s), in pages of 1,000
 *   (the default): the first list of a freshly opened store with default
 *   options while the directory's index file (written by an earlier listing)
 *   is on disk; the same with no index file (one sidecar read per blob, and
 *   the index is written at the end); after another store overwrote one blob
 *   (the index is outdated: one `lstat` per blob, one header read); with
 *   `listCacheEntries: 0` (no cache, no index: the directory is re-read for
 *   every page); and warm, in pages and in one page (listings and headers
 *   come from the list cache). The keys are made by copying one content file
 *   and its sidecar (neither names its key), so setup stays short.
 *
 * ```sh
 * deno bench -A bench/blob_bench.ts
 * OXI_BLOB_LIST_KEYS=20000 deno bench -A bench/blob_bench.ts   # smaller listing
 * ```
 *
 * @module
 */
import { LocalBlobStore } from "../blob/local_blob_store.ts";

const MiB = 1 << 20;
const LIST_KEYS = Number(Deno.env.get("OXI_BLOB_LIST_KEYS") ?? 100_000);

const root = await Deno.makeTempDir({ prefix: "oxiblob-bench-" });
const rawDir = `${root}/raw`;
await Deno.mkdir(rawDir);
// A list cache big enough for the listing corpus (2 entries per blob), so the
// repeated listings below are warm; the first, cold listing is timed apart.
const store = await LocalBlobStore.open(`${root}/store`, {
  listCacheEntries: 2 * LIST_KEYS + 1000,
});
globalThis.addEventListener("unload", () => {
  Deno.removeSync(root, { recursive: true });
});

function payload(size: number): Uint8Array {
  const out = new Uint8Array(size);
  const block = crypto.getRandomValues(new Uint8Array(65536));
  for (let at = 0; at < size; at += block.length) out.set(block.subarray(0, size - at), at);
  return out;
}

async function rawWrite(path: string, data: Uint8Array): Promise<void> {
  const f = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    let at = 0;
    while (at < data.length) at += await f.write(data.subarray(at));
    await f.sync();
  } finally {
    f.close();
  }
}

for (const [label, size, n] of [["1 MiB", MiB, undefined], ["64 MiB", 64 * MiB, 10]] as const) {
  const data = payload(size);
  await rawWrite(`${rawDir}/${label}`, data);
  await store.put(`read/${label}`, data);
  const opts = n === undefined ? {} : { n, warmup: 2 };
  Deno.bench({
    name: `raw write+fsync ${label}`,
    group: `write ${label}`,
    baseline: true,
    ...opts,
    async fn() {
      await rawWrite(`${rawDir}/w-${label}`, data);
    },
  });
  Deno.bench({
    name: `raw atomic write ${label} (temp, fsync, rename)`,
    group: `write ${label}`,
    ...opts,
    async fn() {
      await rawWrite(`${rawDir}/t-${label}`, data);
      await Deno.rename(`${rawDir}/t-${label}`, `${rawDir}/a-${label}`);
    },
  });
  Deno.bench({
    name: `raw atomic durable ${label} (+ fsync dir)`,
    group: `write ${label}`,
    ...opts,
    async fn() {
      await rawWrite(`${rawDir}/t-${label}`, data);
      await Deno.rename(`${rawDir}/t-${label}`, `${rawDir}/a-${label}`);
      const dir = await Deno.open(rawDir, { read: true });
      await dir.sync();
      dir.close();
    },
  });
  Deno.bench({
    name: `LocalBlobStore.put ${label}`,
    group: `write ${label}`,
    ...opts,
    async fn() {
      await store.put(`write/${label}`, data);
    },
  });
  Deno.bench({
    name: `raw Deno.readFile ${label}`,
    group: `read ${label}`,
    baseline: true,
    ...opts,
    async fn() {
      await Deno.readFile(`${rawDir}/${label}`);
    },
  });
  Deno.bench({
    name: `LocalBlobStore.get ${label}`,
    group: `read ${label}`,
    ...opts,
    async fn() {
      await store.get(`read/${label}`);
    },
  });
  Deno.bench({
    name: `LocalBlobStore.getStream ${label}`,
    group: `read ${label}`,
    ...opts,
    async fn() {
      for await (const _ of await store.getStream(`read/${label}`));
    },
  });
}

// The listing corpus: LIST_KEYS copies of one small blob under "many/": its content file
// and its sidecar (listing reads sidecars only; a read of one of these keys would see the
// sidecar describes another file and hash the content again).
await store.put("seed", "x", { contentType: "text/plain", metadata: { n: "1" } });
const sidecar = await Deno.readFile(`${root}/store/.oxistore/meta/seed~blob`);
await Deno.mkdir(`${root}/store/many`);
await Deno.mkdir(`${root}/store/.oxistore/meta/many`);
for (let i = 0; i < LIST_KEYS; i++) {
  const name = `k${String(i).padStart(7, "0")}`;
  Deno.writeFileSync(`${root}/store/many/${name}`, new Uint8Array([120]));
  Deno.writeFileSync(`${root}/store/.oxistore/meta/many/${name}~blob`, sidecar);
}
// Directory mtimes must settle for the page-to-page walker cache to be used.
await new Promise((r) => setTimeout(r, 100));

async function listAll(limit: number): Promise<number> {
  let n = 0;
  let cursor: string | undefined;
  do {
    const page = await store.list("many/", cursor === undefined ? { limit } : { limit, cursor });
    n += page.items.length;
    cursor = page.cursor;
  } while (cursor !== undefined);
  if (n !== LIST_KEYS) throw new Error(`listed ${n} of ${LIST_KEYS}`);
  return n;
}

/** Lists every key under "many/" through a freshly opened store, in pages of 1,000. */
async function listFresh(opts: { listCacheEntries?: number } = {}): Promise<void> {
  const fresh = await LocalBlobStore.open(`${root}/store`, opts);
  try {
    let n = 0;
    let cursor: string | undefined;
    do {
      const page = await fresh.list("many/", cursor === undefined ? {} : { cursor });
      n += page.items.length;
      cursor = page.cursor;
    } while (cursor !== undefined);
    if (n !== LIST_KEYS) throw new Error(`listed ${n} of ${LIST_KEYS}`);
  } finally {
    await fresh.close();
  }
}

Deno.bench({
  name: `list ${LIST_KEYS} keys, first list of a fresh store, index on disk, pages of 1000`,
  group: "list",
  n: 5,
  warmup: 1, // the warm-up run writes the index if it is not there yet
  async fn() {
    await listFresh();
  },
});
Deno.bench({
  name: `list ${LIST_KEYS} keys, first list of a fresh store, no index (rebuilds it)`,
  group: "list",
  n: 3,
  warmup: 0,
  async fn(b) {
    await Deno.remove(`${root}/store/.oxistore/index`, { recursive: true }).catch(() => {});
    b.start();
    await listFresh();
    b.end();
  },
});
Deno.bench({
  name: `list ${LIST_KEYS} keys, first list of a fresh store after another store overwrote one`,
  group: "list",
  n: 3,
  warmup: 0,
  async fn(b) {
    // The index is now outdated: each blob is checked with one lstat, the changed one re-read.
    const w = await LocalBlobStore.open(`${root}/store`);
    await w.put("many/k0000000", "x", { contentType: "text/plain", metadata: { n: "1" } });
    await w.close();
    await new Promise((r) => setTimeout(r, 60)); // past the clock slack, as in real use
    b.start();
    await listFresh();
    b.end();
  },
});
Deno.bench({
  name: `list ${LIST_KEYS} keys, fresh store, listCacheEntries 0 (re-reads the directory per page)`,
  group: "list",
  n: 1,
  warmup: 0,
  async fn() {
    await listFresh({ listCacheEntries: 0 });
  },
});
Deno.bench({
  name: `list ${LIST_KEYS} keys, pages of 1000`,
  group: "list",
  n: 3,
  warmup: 1,
  async fn() {
    await listAll(1000);
  },
});
Deno.bench({
  name: `list ${LIST_KEYS} keys, one page`,
  group: "list",
  n: 3,
  warmup: 1,
  async fn() {
    await listAll(LIST_KEYS);
  },
});
