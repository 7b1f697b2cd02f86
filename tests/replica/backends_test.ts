// Replicas on every blob backend, against the real local servers the blob
// tests use (s3rver, Azurite, the GCS emulator) and the local file store; and
// a target that goes away at the network level mid-stream and comes back.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { open, openWith, type StoreKind } from "@cooljapan/oxistore";
import { type BlobStore, LocalBlobStore } from "@cooljapan/oxistore/blob";
import { S3BlobStore } from "@cooljapan/oxistore/blob/s3";
import { AzureBlobStore, AZURITE_ACCOUNT_KEY } from "@cooljapan/oxistore/blob/azure";
import { GcsBlobStore } from "@cooljapan/oxistore/blob/gcs";
import { openReplica, replicate, restoreReplica } from "@cooljapan/oxistore/replica";
import { startAzurite, startGcsEmulator, startS3rver, type TestServer } from "../blob/_servers.ts";
import { contents, eventually, sleep } from "./_helpers.ts";

const BUCKET = "oxistore-replica";
const servers: TestServer[] = [];
globalThis.addEventListener("unload", () => servers.forEach((s) => s.killNow()));

async function roundTrip(blobs: BlobStore, kind: StoreKind) {
  const dir = await Deno.makeTempDir();
  const target = { store: blobs, prefix: `rep-${crypto.randomUUID().slice(0, 8)}` };
  try {
    await using primary = await openWith(kind, `${dir}/p.${kind}`);
    await primary.put("seed", "0");
    const rep = await replicate(primary, target, { intervalMs: 25 });
    try {
      await using follower = await openReplica(target, { pollMs: 25 });
      for (let i = 0; i < 30; i++) await primary.batchWrite([[`k${i}`, `v${i}`], ["n", `${i}`]]);
      await primary.delete("k3");
      await rep.flush();
      const want = await contents(primary);
      await eventually(
        async () => JSON.stringify(await contents(follower)) === JSON.stringify(want),
        10_000,
        "the follower",
      );
      await restoreReplica(target, `${dir}/restored.oxi`);
      await using copy = await open(`${dir}/restored.oxi`);
      deepStrictEqual(await contents(copy), want);
    } finally {
      await rep.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "replica on s3rver (S3): stream, follow, restore",
  ...opts,
  fn: async () => {
    const server = await startS3rver([BUCKET]);
    servers.push(server);
    const store = new S3BlobStore({
      bucket: BUCKET,
      endpoint: server.url,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      retry: { maxAttempts: 2, baseDelayMs: 10 },
    });
    try {
      await roundTrip(store, "btree");
    } finally {
      await store.close();
      await server.stop();
    }
  },
});

Deno.test({
  name: "replica on Azurite (Azure): stream, follow, restore",
  ...opts,
  fn: async () => {
    const server = await startAzurite();
    servers.push(server);
    const store = new AzureBlobStore({
      container: "replica",
      connectionString:
        `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_ACCOUNT_KEY};` +
        `BlobEndpoint=${server.url}/devstoreaccount1`,
      retry: { maxAttempts: 2, baseDelayMs: 10 },
    });
    try {
      await store.createContainer();
      await roundTrip(store, "lsm");
    } finally {
      await store.close();
      await server.stop();
    }
  },
});

Deno.test({
  name: "replica on the GCS emulator: stream, follow, restore",
  ...opts,
  fn: async () => {
    const server = await startGcsEmulator(true);
    servers.push(server);
    const store = new GcsBlobStore({
      bucket: BUCKET,
      endpoint: server.url,
      retry: { maxAttempts: 2, baseDelayMs: 10, timeoutMs: 10_000 },
    });
    try {
      await roundTrip(store, "btree");
    } finally {
      await store.close();
      await server.stop();
    }
  },
});

Deno.test("replica on a local blob directory: stream, follow, restore", async () => {
  const root = await Deno.makeTempDir();
  const store = new LocalBlobStore(root);
  try {
    await roundTrip(store, "lsm");
  } finally {
    await store.close();
    await Deno.remove(root, { recursive: true });
  }
});

/** A TCP proxy in front of a server that can drop every connection and refuse new ones. */
function proxy(to: number) {
  let listener: Deno.Listener | undefined;
  const conns = new Set<Deno.Conn>();
  const port = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const at = (port.addr as Deno.NetAddr).port;
  port.close();
  const pipe = async (a: Deno.Conn, b: Deno.Conn) => {
    await a.readable.pipeTo(b.writable).catch(() => {});
  };
  const serve = async (l: Deno.Listener) => {
    for await (const c of l) {
      const up = await Deno.connect({ hostname: "127.0.0.1", port: to }).catch(() => undefined);
      if (!up) {
        c.close();
        continue;
      }
      conns.add(c).add(up);
      Promise.all([pipe(c, up), pipe(up, c)]).finally(() => {
        conns.delete(c);
        conns.delete(up);
      });
    }
  };
  return {
    url: `http://127.0.0.1:${at}`,
    up() {
      listener = Deno.listen({ hostname: "127.0.0.1", port: at });
      serve(listener).catch(() => {});
    },
    down() {
      listener?.close();
      listener = undefined;
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed already */ }
      }
      conns.clear();
    },
  };
}

Deno.test({
  name: "replica: the S3 server goes away mid-stream and comes back; nothing lost or doubled",
  ...opts,
  fn: async () => {
    const server = await startS3rver([BUCKET]);
    servers.push(server);
    const net = proxy(server.port);
    net.up();
    const store = new S3BlobStore({
      bucket: BUCKET,
      endpoint: net.url,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      retry: { maxAttempts: 1, baseDelayMs: 10, timeoutMs: 2_000 },
    });
    const dir = await Deno.makeTempDir();
    const target = { store, prefix: "flaky" };
    try {
      await using primary = await openWith("btree", `${dir}/p.oxi`);
      const rep = await replicate(primary, target, { intervalMs: 20 });
      for (let i = 0; i < 20; i++) await primary.put(`a${i}`, `${i}`);
      await rep.flush();
      net.down();
      for (let i = 0; i < 50; i++) await primary.put(`b${i}`, `${i}`);
      await sleep(300);
      strictEqual(rep.lag().commits, 50, "commits wait for the server");
      net.up();
      await rep.flush();
      await rep.stop();
      await restoreReplica(target, `${dir}/r.oxi`);
      await using copy = await open(`${dir}/r.oxi`);
      deepStrictEqual(await contents(copy), await contents(primary));
      const segs = (await store.list("flaky/gen/")).items.filter((i) => i.key.includes("/seg/"));
      let commits = 0;
      for (const s of segs) {
        const [first, last] = s.key.split("/").at(-1)!.split("-").map(Number);
        commits += last! - first! + 1;
      }
      strictEqual(commits, 70, "each commit is in exactly one segment");
      ok(segs.length >= 2);
    } finally {
      net.down();
      await store.close();
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
