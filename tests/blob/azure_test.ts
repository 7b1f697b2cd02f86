// Azure backend: connection strings and Shared Key/SAS strings, then the shared
// BlobStore suite and Azure-specific paths against Azurite (which verifies
// Shared Key and SAS signatures and enforces conditional headers).

import assert from "node:assert/strict";
import {
  AzureBlobStore,
  AZURITE_ACCOUNT_KEY,
  fromUrl,
  parseConnectionString,
  sharedKeyStringToSign,
} from "../../blob/azure/mod.ts";
import { StoreError } from "../../core/error.ts";
import { expectKind, pseudoRandom, readAll, runBlobConformance, streamOf } from "./suite.ts";
import { startAzurite } from "./_servers.ts";

Deno.test("azure connection strings: dev storage, explicit endpoint, suffix and errors", () => {
  const dev = parseConnectionString("UseDevelopmentStorage=true");
  assert.deepEqual(dev, {
    accountName: "devstoreaccount1",
    accountKey: AZURITE_ACCOUNT_KEY,
    blobEndpoint: "http://127.0.0.1:10000/devstoreaccount1",
  });
  const full = parseConnectionString(
    "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5PT0=;EndpointSuffix=core.chinacloudapi.cn",
  );
  assert.equal(full.blobEndpoint, "https://acct.blob.core.chinacloudapi.cn");
  assert.equal(full.accountKey, "a2V5PT0="); // '=' inside a value survives
  const ep = parseConnectionString(
    "accountname=x;accountkey=eA==;BlobEndpoint=http://127.0.0.1:9/x/;",
  );
  assert.equal(ep.blobEndpoint, "http://127.0.0.1:9/x");
  for (const bad of ["", "AccountName=x", "AccountName=x;SharedAccessSignature=sv=1", "junk"]) {
    assert.throws(
      () => parseConnectionString(bad),
      (e) => e instanceof StoreError && e.kind === "InvalidInput",
    );
  }
  try {
    parseConnectionString("AccountKey=c2VjcmV0LWtleQ==");
  } catch (e) {
    assert.ok(!(e as Error).message.includes("c2VjcmV0LWtleQ=="), "key quoted in error");
  }
});

Deno.test("azure shared key: the string to sign follows the documented layout", () => {
  const s = sharedKeyStringToSign(
    "PUT",
    new URL("http://127.0.0.1:10000/devstoreaccount1/c/dir%20x/b?comp=block&blockid=QUJD"),
    new Headers({
      "content-length": "0",
      "x-ms-date": "Mon, 01 Jan 2024 00:00:00 GMT",
      "x-ms-version": "2021-12-02",
      "X-Ms-Meta-B": " two ",
      "if-match": '"0x1"',
    }),
    "devstoreaccount1",
  );
  assert.equal(
    s,
    'PUT\n\n\n\n\n\n\n\n"0x1"\n\n\n\n' +
      "x-ms-date:Mon, 01 Jan 2024 00:00:00 GMT\nx-ms-meta-b:two\nx-ms-version:2021-12-02\n" +
      "/devstoreaccount1/devstoreaccount1/c/dir%20x/b\nblockid:QUJD\ncomp:block",
  );
});

Deno.test("azure options and fromUrl: container, prefix, credentials from env", async () => {
  assert.throws(
    () =>
      new AzureBlobStore({ container: "Bad_Name", connectionString: "UseDevelopmentStorage=true" }),
    StoreError,
  );
  Deno.env.set("AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true");
  try {
    const s = await fromUrl(new URL("az://photos/y/2024"));
    assert.equal(s.container, "photos");
    assert.equal(s.prefix, "y/2024/");
    const u = new URL(await s.presign("a b", { method: "GET", expiresInSeconds: 30 }));
    assert.equal(u.pathname, "/devstoreaccount1/photos/y/2024/a%20b");
    assert.equal(u.searchParams.get("sp"), "r");
    await expectKind(fromUrl(new URL("s3://photos/x")), "InvalidInput");
  } finally {
    Deno.env.delete("AZURE_STORAGE_CONNECTION_STRING");
  }
  assert.throws(
    () => new AzureBlobStore({ container: "photos" }),
    (e) => e instanceof StoreError && /AZURE_STORAGE_CONNECTION_STRING/.test(e.message),
  );
});

// ---------------------------------------------------------------------------
const server = await startAzurite();
globalThis.addEventListener("unload", () => server.killNow());
const CONN =
  `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_ACCOUNT_KEY};` +
  `BlobEndpoint=${server.url}/devstoreaccount1`;
const CONTAINER = "oxistore-test";

function open(prefix: string, extra: Record<string, unknown> = {}): AzureBlobStore {
  return new AzureBlobStore({
    container: CONTAINER,
    prefix,
    connectionString: CONN,
    partSize: 256 * 1024,
    retry: { maxAttempts: 2, baseDelayMs: 10 },
    ...extra,
  });
}
assert.equal(await open("").createContainer(), true);
assert.equal(await open("").createContainer(), false);

let n = 0;
runBlobConformance({
  name: "azure (azurite)",
  open: () => {
    const prefix = `t${++n}-${crypto.randomUUID().slice(0, 8)}/`;
    return Promise.resolve({
      store: open(prefix),
      cleanup: async () => {
        const admin = open(prefix);
        await admin.deletePrefix("");
        await admin.close();
      },
    });
  },
  sanitize: false,
});

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  ...opts,
  name: "azure (azurite): a streamed blob is staged as parallel blocks and committed whole",
  async fn() {
    const s = open(`blk-${crypto.randomUUID().slice(0, 8)}/`);
    const data = pseudoRandom(1_000_003, 21);
    const chunks = [];
    for (let i = 0; i < data.length; i += 99_991) chunks.push(data.subarray(i, i + 99_991));
    const meta = await s.put("blocks", streamOf(...chunks), {
      contentType: "x/y",
      metadata: { b: "1" },
    });
    const head = await s.head("blocks");
    assert.equal(head.size, data.length);
    assert.equal(head.digest, meta.digest);
    assert.equal(head.etag, meta.etag);
    assert.deepEqual(head.metadata, { b: "1" });
    assert.equal(head.contentType, "x/y");
    assert.deepEqual(
      await readAll(await s.getStream("blocks", { start: 262_000, end: 262_300 })),
      data.slice(262_000, 262_300),
    );
    await s.deletePrefix("");
  },
});

Deno.test({
  ...opts,
  name: "azure (azurite): a staged upload with a failed If-None-Match commit is AlreadyExists",
  async fn() {
    const s = open(`cond-${crypto.randomUUID().slice(0, 8)}/`);
    await s.put("k", "first");
    await expectKind(s.putIfAbsent("k", streamOf(pseudoRandom(600_000))), "AlreadyExists");
    assert.equal(new TextDecoder().decode(await s.get("k")), "first");
    await s.deletePrefix("");
  },
});

Deno.test({
  ...opts,
  name: "azure (azurite): SAS URLs allow GET and PUT, and a tampered SAS is refused",
  async fn() {
    const s = open(`sas-${crypto.randomUUID().slice(0, 8)}/`);
    const putUrl = await s.presign("via sas/ü", { method: "PUT", expiresInSeconds: 60 });
    const put = await fetch(putUrl, {
      method: "PUT",
      body: "sas body",
      headers: { "x-ms-blob-type": "BlockBlob" },
    });
    await put.body?.cancel();
    assert.equal(put.status, 201);
    const getUrl = await s.presign("via sas/ü", { method: "GET", expiresInSeconds: 60 });
    assert.equal(await (await fetch(getUrl)).text(), "sas body");
    const forged = new URL(getUrl);
    forged.searchParams.set("sp", "rw"); // widen the permissions: the signature no longer fits
    const bad = await fetch(forged);
    await bad.body?.cancel();
    assert.equal(bad.status, 403);
    await s.deletePrefix("");
  },
});

Deno.test({
  ...opts,
  name: "azure (azurite): a wrong account key is a 403 naming the blob, never the key",
  async fn() {
    const wrongKey = btoa("this is not the azurite key, do not print it");
    const s = new AzureBlobStore({
      container: CONTAINER,
      accountName: "devstoreaccount1",
      accountKey: wrongKey,
      endpoint: `${server.url}/devstoreaccount1`,
      retry: { maxAttempts: 1 },
    });
    for (
      const call of [() => s.get("some/key"), () => s.put("some/key", "x"), () => s.list("some/")]
    ) {
      const e = await expectKind(call(), "Io");
      assert.match(e.message, /HTTP 403 Forbidden/);
      assert.match(e.message, /az:\/\/oxistore-test\/some\//);
      assert.ok(!e.message.includes(wrongKey));
    }
  },
});
