import assert from "node:assert/strict";
import { openCloud } from "../../blob/_cloud_loader.ts";
import { BlobStoreBuilder } from "../../blob/builder.ts";
import { StoreError } from "../../core/error.ts";
import { LocalBlobStore } from "../../blob/local_blob_store.ts";
import { MemoryBlobStore } from "../../blob/memory_blob_store.ts";
import { expectKind } from "./suite.ts";

Deno.test("builder: file:// opens a LocalBlobStore at that directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = await BlobStoreBuilder.fromUrl(new URL(`file://${dir}/blobs`));
    assert.ok(store instanceof LocalBlobStore);
    await store.put("x/y", "z");
    await store.close();
    const again = await LocalBlobStore.open(`${dir}/blobs`);
    assert.equal(new TextDecoder().decode(await again.get("x/y")), "z");
    await again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("builder: memory:// opens a MemoryBlobStore, honouring maxBytes", async () => {
  const store = await BlobStoreBuilder.fromUrl("memory://?maxBytes=4");
  assert.ok(store instanceof MemoryBlobStore);
  await store.put("a", "1234");
  await expectKind(store.put("b", "5"), "CapacityExceeded");
  await expectKind(BlobStoreBuilder.fromUrl("memory://?maxBytes=-1"), "InvalidInput");
  await expectKind(BlobStoreBuilder.fromUrl("memory://?maxBytes=lots"), "InvalidInput");
});

Deno.test("builder: unknown schemes and non-URLs are InvalidInput", async () => {
  await expectKind(BlobStoreBuilder.fromUrl("ftp://host/x"), "InvalidInput");
  await expectKind(BlobStoreBuilder.fromUrl("http://127.0.0.1/x"), "InvalidInput");
  await expectKind(BlobStoreBuilder.fromUrl("not a url"), "InvalidInput");
  await expectKind(BlobStoreBuilder.fromUrl("file://remote-host/share"), "InvalidInput");
});

Deno.test("builder: a missing cloud backend module is Unsupported", async () => {
  const url = new URL("s3://bucket/prefix");
  const spec = "./fixtures/no/such/module.ts"; // a variable keeps it out of the module graph
  const err = await expectKind(openCloud(url, () => import(spec), "S3"), "Unsupported");
  assert.match(err.message, /S3/);
});

Deno.test("builder: a cloud module without fromUrl is Unsupported", async () => {
  const load = () => import("./fixtures/no_from_url.ts");
  await expectKind(openCloud(new URL("gs://b/p"), load, "GCS"), "Unsupported");
});

Deno.test("builder: a cloud module's fromUrl is called with the URL; its errors become StoreErrors", async () => {
  const load = () => import("./fixtures/fake_cloud.ts");
  const store = await openCloud(new URL("az://container/prefix"), load, "Azure");
  await store.put("k", "v");
  assert.equal(await store.exists("k"), true);
  await expectKind(openCloud(new URL("az://fail/p"), load, "Azure"), "Other");
});

Deno.test("builder: s3://, gs:// and az:// reach their backends' fromUrl", async () => {
  const cases: [string, string][] = [
    ["s3://bucket/p/?endpoint=http://127.0.0.1:9", "S3BlobStore"],
    ["gs://bucket/p/?endpoint=http://127.0.0.1:9", "GcsBlobStore"],
    ["az://container/p/", "AzureBlobStore"],
  ];
  for (const [url, cls] of cases) {
    // Without credentials a backend may refuse to open; either way the module
    // was loaded and its own fromUrl answered (not the loader's Unsupported).
    const got = await BlobStoreBuilder.fromUrl(url).catch((e) => e);
    if (got instanceof StoreError) {
      assert.doesNotMatch(got.message, /backend (is not available|has no fromUrl)/, url);
    } else {
      assert.equal(got.constructor.name, cls);
      await got.close();
    }
  }
});
