// S3 backend: SigV4 against AWS's documented examples, the shared BlobStore
// suite against s3rver (a real local S3 API), and the paths s3rver cannot show
// (conditional writes, retries) against small local fakes on 127.0.0.1.

import assert from "node:assert/strict";
import { StoreError } from "../../core/error.ts";
import { presignUrl, S3BlobStore, signRequest } from "../../blob/s3/mod.ts";
import { fromUrl } from "../../blob/s3/mod.ts";
import { expectKind, pseudoRandom, readAll, runBlobConformance, streamOf } from "./suite.ts";
import { startS3rver } from "./_servers.ts";

// ---------------------------------------------------------------------------
// SigV4: the examples in AWS's "Signature Calculations for the Authorization
// Header" and "Query String Authentication" pages (S3 API reference).
const EXAMPLE = {
  credentials: {
    accessKeyId: "AKIAIOSFODNN7EXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  },
  region: "us-east-1",
  date: new Date("2013-05-24T00:00:00Z"),
};
const EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Deno.test("sigv4: AWS's GET Object example (Range header) signs to the documented value", async () => {
  const headers = new Headers({ range: "bytes=0-9" });
  const r = await signRequest({
    method: "GET",
    url: new URL("https://examplebucket.s3.amazonaws.com/test.txt"),
    headers,
    payloadHash: EMPTY,
  }, EXAMPLE);
  assert.equal(r.signedHeaders, "host;range;x-amz-content-sha256;x-amz-date");
  assert.equal(r.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  assert.equal(
    headers.get("authorization"),
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
      "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date," +
      "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
  );
});

Deno.test("sigv4: AWS's PUT Object example ($ in the key, signed payload) matches", async () => {
  const r = await signRequest({
    method: "PUT",
    url: new URL("https://examplebucket.s3.amazonaws.com/test%24file.text"),
    headers: new Headers({
      date: "Fri, 24 May 2013 00:00:00 GMT",
      "x-amz-storage-class": "REDUCED_REDUNDANCY",
    }),
    payloadHash: "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
  }, EXAMPLE);
  assert.ok(r.canonicalRequest.startsWith("PUT\n/test%24file.text\n\n"));
  assert.equal(r.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
});

Deno.test("sigv4: AWS's GET Bucket Lifecycle and List Objects examples match", async () => {
  const lifecycle = await signRequest({
    method: "GET",
    url: new URL("https://examplebucket.s3.amazonaws.com/?lifecycle"),
    headers: new Headers(),
    payloadHash: EMPTY,
  }, EXAMPLE);
  assert.equal(lifecycle.canonicalRequest.split("\n")[2], "lifecycle=");
  assert.equal(
    lifecycle.signature,
    "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
  );
  const list = await signRequest({
    method: "GET",
    url: new URL("https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J"),
    headers: new Headers(),
    payloadHash: EMPTY,
  }, EXAMPLE);
  assert.equal(list.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
});

Deno.test("sigv4: AWS's presigned-URL example (86400 s) matches", async () => {
  const r = await presignUrl(
    "GET",
    new URL("https://examplebucket.s3.amazonaws.com/test.txt"),
    EXAMPLE,
    86400,
  );
  assert.equal(r.signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  assert.equal(
    r.url,
    "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
      "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
      "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
      "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
  );
});

Deno.test("sigv4: a session token is sent and signed", async () => {
  const headers = new Headers();
  const r = await signRequest({
    method: "GET",
    url: new URL("https://b.s3.amazonaws.com/k"),
    headers,
    payloadHash: EMPTY,
  }, { ...EXAMPLE, credentials: { ...EXAMPLE.credentials, sessionToken: "TOKEN" } });
  assert.equal(headers.get("x-amz-security-token"), "TOKEN");
  assert.ok(r.signedHeaders.includes("x-amz-security-token"));
});

// ---------------------------------------------------------------------------
// URLs and key encoding (presign needs no server).
const creds = { accessKeyId: "AK", secretAccessKey: "SK" };

Deno.test("s3 urls: path-style and virtual-hosted URLs percent-encode keys once", async () => {
  const path = new S3BlobStore({
    bucket: "bkt",
    endpoint: "http://127.0.0.1:9",
    credentials: creds,
  });
  const u1 = new URL(
    await path.presign("dir with space/ü+%~.txt", { method: "GET", expiresInSeconds: 5 }),
  );
  assert.equal(u1.origin, "http://127.0.0.1:9");
  assert.equal(u1.pathname, "/bkt/dir%20with%20space/%C3%BC%2B%25~.txt");
  const vhost = new S3BlobStore({ bucket: "bkt", region: "eu-west-1", credentials: creds });
  const u2 = new URL(await vhost.presign("a+b", { method: "PUT", expiresInSeconds: 5 }));
  assert.equal(u2.host, "bkt.s3.eu-west-1.amazonaws.com");
  assert.equal(u2.pathname, "/a%2Bb");
  assert.match(
    u2.searchParams.get("X-Amz-Credential")!,
    /^AK\/\d{8}\/eu-west-1\/s3\/aws4_request$/,
  );
  const prefixed = new S3BlobStore({
    bucket: "bkt",
    prefix: "root/x",
    endpoint: "http://127.0.0.1:9/base/",
    credentials: creds,
  });
  const u3 = new URL(await prefixed.presign("k", { method: "GET", expiresInSeconds: 5 }));
  assert.equal(u3.pathname, "/base/bkt/root/x/k");
});

Deno.test("s3 options: bad bucket, missing credentials and bad presign args are InvalidInput", async () => {
  assert.throws(() => new S3BlobStore({ bucket: "Bad_Bucket", credentials: creds }), StoreError);
  const saved = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].map((k) => [k, Deno.env.get(k)]);
  for (const [k] of saved) Deno.env.delete(k!);
  try {
    assert.throws(
      () => new S3BlobStore({ bucket: "bkt" }),
      (e) =>
        e instanceof StoreError && e.kind === "InvalidInput" && /AWS_ACCESS_KEY_ID/.test(e.message),
    );
  } finally {
    for (const [k, v] of saved) if (v !== undefined) Deno.env.set(k!, v);
  }
  const s = new S3BlobStore({ bucket: "bkt", credentials: creds });
  await expectKind(s.presign("k", { method: "GET", expiresInSeconds: 0 }), "InvalidInput");
  await expectKind(
    s.presign("k", { method: "DELETE" as "GET", expiresInSeconds: 5 }),
    "InvalidInput",
  );
});

Deno.test("s3 fromUrl: bucket, prefix, endpoint, region and path style come from the URL", async () => {
  Deno.env.set("AWS_ACCESS_KEY_ID", "ENVKEY");
  Deno.env.set("AWS_SECRET_ACCESS_KEY", "ENVSECRET");
  try {
    const s = await fromUrl(
      new URL(
        "s3://bkt/some/pre?endpoint=http://127.0.0.1:9&region=ap-south-1&forcePathStyle=true",
      ),
    );
    assert.equal(s.bucket, "bkt");
    assert.equal(s.prefix, "some/pre/");
    const u = new URL(await s.presign("k", { method: "GET", expiresInSeconds: 5 }));
    assert.equal(u.href.split("?")[0], "http://127.0.0.1:9/bkt/some/pre/k");
    assert.match(u.searchParams.get("X-Amz-Credential")!, /^ENVKEY\/\d{8}\/ap-south-1\//);
    await expectKind(fromUrl(new URL("gs://bkt/x")), "InvalidInput");
  } finally {
    Deno.env.delete("AWS_ACCESS_KEY_ID");
    Deno.env.delete("AWS_SECRET_ACCESS_KEY");
  }
});

// ---------------------------------------------------------------------------
// The shared suite against s3rver.
const BUCKET = "oxistore-test";
const server = await startS3rver([BUCKET]);
globalThis.addEventListener("unload", () => server.killNow());

const S3RVER = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
let n = 0;
function open(prefix: string, extra: Partial<ConstructorParameters<typeof S3BlobStore>[0]> = {}) {
  return new S3BlobStore({
    bucket: BUCKET,
    prefix,
    endpoint: server.url,
    credentials: S3RVER,
    partSize: 5 * 1024 * 1024,
    retry: { maxAttempts: 2, baseDelayMs: 10 },
    ...extra,
  });
}

const IGNORES_CONDITIONS = "s3rver 3.7.1 ignores If-None-Match/If-Match on PUT; the store " +
  "detects it and throws Unsupported (tested below); AWS behaviour is tested against a fake";
runBlobConformance({
  name: "s3 (s3rver)",
  open: () => {
    const prefix = `t${++n}-${crypto.randomUUID().slice(0, 8)}/`;
    const store = open(prefix);
    return Promise.resolve({
      store,
      cleanup: async () => {
        const admin = open(prefix);
        await admin.deletePrefix("");
        await admin.close();
      },
    });
  },
  sanitize: false,
  skip: {
    "same-bytes-new-etag": "S3's ETag is the MD5 of the content: same bytes, same ETag " +
      "(AWS does the same; putIfMatch cannot tell two writes of identical bytes apart)",
    "list-delimiter": "s3rver 3.7.1 drops a common prefix whose keys are all two or more " +
      "levels deeper (p/c/d/e gives no p/c/); AWS-format listings are tested in s3_aws_test.ts",
    "list-pages-delimiter": "s3rver 3.7.1 continues a delimited listing after the last key, " +
      "not the last prefix, so prefixes repeat across pages; tested in s3_aws_test.ts",
    "put-if-absent": IGNORES_CONDITIONS,
    "put-if-absent-race": IGNORES_CONDITIONS,
    "put-if-match": IGNORES_CONDITIONS,
    "put-if-match-race": IGNORES_CONDITIONS,
  },
});

Deno.test({
  name: "s3 (s3rver): conditional writes are detected as unenforced and refused as Unsupported",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const prefix = `cond-${crypto.randomUUID().slice(0, 8)}/`;
    const s = open(prefix);
    const e = await expectKind(s.putIfAbsent("k", "v"), "Unsupported");
    assert.match(e.message, /ignores the create-only precondition/);
    assert.match(e.message, /If-None-Match/);
    await expectKind(s.putIfMatch("k", "v", '"x"'), "Unsupported");
    assert.deepEqual((await s.list()).items, [], "the probe object was removed");
    await s.close();
  },
});

Deno.test({
  name: "s3 (s3rver): a streamed 11 MiB blob goes up as a 3-part multipart upload",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const prefix = `mp-${crypto.randomUUID().slice(0, 8)}/`;
    const s = open(prefix);
    const data = pseudoRandom(11 * 1024 * 1024 + 5, 9);
    const chunks = [];
    for (let i = 0; i < data.length; i += 700_000) chunks.push(data.subarray(i, i + 700_000));
    const meta = await s.put("mp/big", streamOf(...chunks), { metadata: { kind: "mp" } });
    // A multipart ETag is "<md5 of part md5s>-<parts>" until the digest is stored in place.
    const head = await s.head("mp/big");
    assert.equal(head.size, data.length);
    assert.equal(head.digest, meta.digest);
    assert.deepEqual(head.metadata, { kind: "mp" });
    assert.deepEqual(
      await readAll(await s.getStream("mp/big", { start: 5_000_000, end: 5_300_000 })),
      data.slice(5_000_000, 5_300_000),
    );
    await s.deletePrefix("");
    await s.close();
  },
});

Deno.test({
  name: "s3 (s3rver): presigned GET and PUT URLs work with plain fetch",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = open(`ps-${crypto.randomUUID().slice(0, 8)}/`);
    const putUrl = await s.presign("via url/ü+x", { method: "PUT", expiresInSeconds: 60 });
    const put = await fetch(putUrl, { method: "PUT", body: "from a presigned PUT" });
    await put.body?.cancel();
    assert.equal(put.status, 200);
    const getUrl = await s.presign("via url/ü+x", { method: "GET", expiresInSeconds: 60 });
    const got = await fetch(getUrl);
    assert.equal(await got.text(), "from a presigned PUT");
    // s3rver 3.7.1 does not verify SigV4 signatures at all (header or query), so a
    // tampered URL would work here too; signatures are checked against AWS's
    // documented examples above instead.
    await s.deletePrefix("");
    await s.close();
  },
});
