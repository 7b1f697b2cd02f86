// GCS backend. Unit tests: V4 signed URLs against Google's published
// conformance vectors, the RS256 JWT and token exchange against a local token
// endpoint. Then the shared BlobStore suite twice against the GCS emulator
// (shared/tools/gcs-emulator.cjs): PLAIN mode (Google's emulator code as is)
// and COMPAT mode (adds generation preconditions and chunked resumable uploads;
// weaker evidence, written from Google's documentation). Every test name below
// says which mode it uses.

import assert from "node:assert/strict";
import {
  fromUrl,
  GcsBlobStore,
  importPrivateKeyPem,
  ServiceAccountAuth,
  signGcsUrl,
} from "../../blob/gcs/mod.ts";
import { StoreError } from "../../core/error.ts";
import { expectKind, pseudoRandom, readAll, runBlobConformance, streamOf } from "./suite.ts";
import { startGcsEmulator, type TestServer } from "./_servers.ts";

// ---------------------------------------------------------------------------
// googleapis/conformance-tests storage/v1/v4_signatures.json and the dummy
// service account it is signed with (storage/v1/service-account: "a dummy
// service account JSON file that is inactive", Apache-2.0). RSA PKCS#1 v1.5 is
// deterministic, so the whole signature must match.
const DUMMY_EMAIL = "test-iam-credentials@dummy-project-id.iam.gserviceaccount.com";
const DUMMY_KEY = [
  "-----BEGIN PRIVATE KEY-----",
  "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCsPzMirIottfQ2",
  "ryjQmPWocSEeGo7f7Q4/tMQXHlXFzo93AGgU2t+clEj9L5loNhLVq+vk+qmnyDz5",
  "Q04y8jVWyMYzzGNNrGRW/yaYqnqlKZCy1O3bmnNjV7EDbC/jE1ZLBY0U3HaSHfn6",
  "S9ND8MXdgD0/ulRTWwq6vU8/w6i5tYsU7n2LLlQTl1fQ7/emO9nYcCFJezHZVa0H",
  "meWsdHwWsok0skwQYQNIzP3JF9BpR5gJT2gNge6KopDesJeLoLzaX7cUnDn+CAnn",
  "LuLDwwSsIVKyVxhBFsFXPplgpaQRwmGzwEbf/Xpt9qo26w2UMgn30jsOaKlSeAX8",
  "cS6ViF+tAgMBAAECggEACKRuJCP8leEOhQziUx8Nmls8wmYqO4WJJLyk5xUMUC22",
  "SI4CauN1e0V8aQmxnIc0CDkFT7qc9xBmsMoF+yvobbeKrFApvlyzNyM7tEa/exh8",
  "DGD/IzjbZ8VfWhDcUTwn5QE9DCoon9m1sG+MBNlokB3OVOt8LieAAREdEBG43kJu",
  "yQTOkY9BGR2AY1FnAl2VZ/jhNDyrme3tp1sW1BJrawzR7Ujo8DzlVcS2geKA9at7",
  "55ua5GbHz3hfzFgjVXDfnkWzId6aHypUyqHrSn1SqGEbyXTaleKTc6Pgv0PgkJjG",
  "hZazWWdSuf1T5Xbs0OhAK9qraoAzT6cXXvMEvvPt6QKBgQDXcZKqJAOnGEU4b9+v",
  "Odoh+nssdrIOBNMu1m8mYbUVYS1aakc1iDGIIWNM3qAwbG+yNEIi2xi80a2RMw2T",
  "9RyCNB7yqCXXVKLBiwg9FbKMai6Vpk2bWIrzahM9on7AhCax/X2AeOp+UyYhFEy6",
  "UFG4aHb8THscL7b515ukSuKb5QKBgQDMq+9PuaB0eHsrmL6q4vHNi3MLgijGg/zu",
  "AXaPygSYAwYW8KglcuLZPvWrL6OG0+CrfmaWTLsyIZO4Uhdj7MLvX6yK7IMnagvk",
  "L3xjgxSklEHJAwi5wFeJ8ai/1MIuCn8p2re3CbwISKpvf7Sgs/W4196P4vKvTiAz",
  "jcTiSYFIKQKBgCjMpkS4O0TakMlGTmsFnqyOneLmu4NyIHgfPb9cA4n/9DHKLKAT",
  "oaWxBPgatOVWs7RgtyGYsk+XubHkpC6f3X0+15mGhFwJ+CSE6tN+l2iF9zp52vqP",
  "Qwkjzm7+pdhZbmaIpcq9m1K+9lqPWJRz/3XXuqi+5xWIZ7NaxGvRjqaNAoGAdK2b",
  "utZ2y48XoI3uPFsuP+A8kJX+CtWZrlE1NtmS7tnicdd19AtfmTuUL6fz0FwfW4Su",
  "lQZfPT/5B339CaEiq/Xd1kDor+J7rvUHM2+5p+1A54gMRGCLRv92FQ4EON0RC1o9",
  "m2I4SHysdO3XmjmdXmfp4BsgAKJIJzutvtbqlakCgYB+Cb10z37NJJ+WgjDt+yT2",
  "yUNH17EAYgWXryfRgTyi2POHuJitd64Xzuy6oBVs3wVveYFM6PIKXlj8/DahYX5I",
  "R2WIzoCNLL3bEZ+nC6Jofpb4kspoAeRporj29SgesK6QBYWHWX2H645RkRGYGpDo",
  "51gjy9m/hSNqBbH2zmh04A==",
  "-----END PRIVATE KEY-----",
].join("\n");

const V4_CASES: {
  name: string;
  method: string;
  object?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  expectedUrlTail: string;
}[] = [
  {
    name: "Simple GET",
    method: "GET",
    expectedUrlTail:
      "X-Goog-SignedHeaders=host&X-Goog-Signature=95e6a13d43a1d1962e667f17397f2b80ac9bdd1669210d5e08e0135df9dff4e56113485dbe429ca2266487b9d1796ebdee2d7cf682a6ef3bb9fbb4c351686fba90d7b621cf1c4eb1fdf126460dd25fa0837dfdde0a9fd98662ce60844c458448fb2b352c203d9969cb74efa4bdb742287744a4f2308afa4af0e0773f55e32e92973619249214b97283b2daa14195244444e33f938138d1e5f561088ce8011f4986dda33a556412594db7c12fc40e1ff3f1bedeb7a42f5bcda0b9567f17f65855f65071fabb88ea12371877f3f77f10e1466fff6ff6973b74a933322ff0949ce357e20abe96c3dd5cfab42c9c83e740a4d32b9e11e146f0eb3404d2e975896f74",
  },
  {
    name: "POST for resumable uploads",
    method: "POST",
    headers: { "X-goog-resumable": "start" },
    expectedUrlTail:
      "X-Goog-SignedHeaders=host%3Bx-goog-resumable&X-Goog-Signature=4a6d39b23343cedf4c30782aed4b384001828c79ffa3a080a481ea01a640dea0a0ceb58d67a12cef3b243c3f036bb3799c6ee88e8db3eaf7d0bdd4b70a228d0736e07eaa1ee076aff5c6ce09dff1f1f03a0d8ead0d2893408dd3604fdabff553aa6d7af2da67cdba6790006a70240f96717b98f1a6ccb24f00940749599be7ef72aaa5358db63ddd54b2de9e2d6d6a586eac4fe25f36d86fc6ab150418e9c6fa01b732cded226c6d62fc95b72473a4cc55a8257482583fe66d9ab6ede909eb41516a8690946c3e87b0f2052eb0e97e012a14b2f721c42e6e19b8a1cd5658ea36264f10b9b1ada66b8ed5bf7ed7d1708377ac6e5fe608ae361fb594d2e5b24c54",
  },
  {
    name: "Slashes in object name should not be URL encoded",
    method: "GET",
    object: "path/with/slashes/under_score/amper&sand/file.ext",
    headers: { "header/name/with/slash": "should-be-encoded" },
    expectedUrlTail: "X-Goog-SignedHeaders=header%2Fname%2Fwith%2Fslash%3Bhost&" +
      "X-Goog-Signature=2a9a82e84e39f5d2c0d980514db17f8c3dece473c9a5743d54e8453f9811927b1b99ce548c534cababd8fa339183e75b410e12e32a4c72f5ff176e95651fabed0072e59e7e236eb7e26f52c0ce599db1c47ae07af1a98d20872b6fde23432c0a5fcf4fb2dda735169198c80cd5cc51be9904f7e5eef2cc489ff44ac5697c529e4b34ac08709a7d2e425619377212c64561ed8b4d2fcb70a26e4f9236f995ab4658d240ac85c7a353bae6b2d39d5fc0716afa435a1f6e100db5504612b5e610db370623ab4b8eba3c03c98f23dcb4b9ffd518f2212abb2f93649d25385d71603d470cff0b7631adb9d0849d38609dedb3097761c8f47ec0d57777bb063611c05b",
  },
  {
    name: "Query Parameter Encoding",
    method: "GET",
    query: { "soufflé": "=%-_.~" },
    expectedUrlTail:
      "X-Goog-SignedHeaders=host&souffl%C3%A9=%3D%25-_.~&X-Goog-Signature=38dd9ca622b80bca10f405e7d9ba0f0fbea719ca84d66078a484c5b54b1ce98e3fa8a0d2065216ed6ac03179be69312dabf428f8171b95994bdafe465a6f7893bacc7213a7bf4054ce2d78d4b60c34df24cc43e509ad7c81be47148d43a0e67d50d8fe38c85b0c63f9a51149b4f3335315946fef8ab34315ce3f6ce01f1831abb3eda5e7e211823855ed1767c65a8c7aeec357de096e3406897acfe092fead51bbea7df83e25a6180f80c8a0871e4901c370f77f5675f2405be7ccd55fd6dd22a87cf0adfafdb3f6fa99974fcf6c947b62294eebd7954e546c28f5490a6c50694c0e4882fcfe0d4a4ae8891a92579d6099a9b4c84d9f033a3b339163b6670b7e",
  },
  {
    name: "Headers should be trimmed",
    method: "GET",
    headers: {
      collapsed: "abc    def",
      leading: "    xyz",
      trailing: "abc    ",
      tabs: "\tabc\t\t\t\tdef\t",
    },
    expectedUrlTail:
      "X-Goog-SignedHeaders=collapsed%3Bhost%3Bleading%3Btabs%3Btrailing&X-Goog-Signature=75d77a3ed2d9b74ff7e1e23b2fd7cc714ad4cc32518c65f3a8197827cd87d302623bab990cf2ff3a633bfaae69b6c2d897add78c105aa68411229610421c4239579add4aff6bdbd5067a0fd61c3aa0029d7de0f8ae88fa3458fa70f875e841d6df9598597d9012b9f848c6857e08f2704ca2f332c71738490ffdda2ed928f9340549d7295745725062d28dc1696eab7cb3b88ac4fd445e951423f645d680a60dd8033d65b65f4c10286f59f4258dbb2bcf36a76ffdd40574104cbbf0b76901c24df5854f24c42e9192fcedc386d85704fec6a6bad3a5201e1fb6c491a4c43371b0913420743580daf3504e99204c6ec894b4d70cd27bc60c3fe2850e8bf3ed22",
  },
];

Deno.test("gcs signed urls: Google's V4 conformance vectors sign to the published URLs", async () => {
  const key = await importPrivateKeyPem(DUMMY_KEY);
  for (const c of V4_CASES) {
    const r = await signGcsUrl(key, {
      method: c.method,
      bucket: "test-bucket",
      object: c.object ?? "test-object",
      clientEmail: DUMMY_EMAIL,
      expiresInSeconds: 10,
      date: new Date("2019-02-01T09:00:00Z"),
      ...(c.headers ? { headers: c.headers } : {}),
      ...(c.query ? { query: c.query } : {}),
    });
    const prefix =
      `https://storage.googleapis.com/test-bucket/${
        (c.object ?? "test-object").replace("&", "%26")
      }?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=test-iam-credentials%40dummy-` +
      "project-id.iam.gserviceaccount.com%2F20190201%2Fauto%2Fstorage%2Fgoog4_request" +
      "&X-Goog-Date=20190201T090000Z&X-Goog-Expires=10&";
    assert.ok(r.url.startsWith(prefix), `${c.name}: ${r.url.slice(0, 300)}`);
    assert.ok(r.url.toLowerCase().endsWith(c.expectedUrlTail.toLowerCase()), c.name);
    assert.equal(r.url.length, prefix.length + c.expectedUrlTail.length, c.name);
  }
});

Deno.test("gcs signed urls: the canonical request and string to sign have Google's layout", async () => {
  const key = await importPrivateKeyPem(DUMMY_KEY);
  const r = await signGcsUrl(key, {
    method: "GET",
    bucket: "test-bucket",
    object: "test-object",
    clientEmail: DUMMY_EMAIL,
    expiresInSeconds: 10,
    date: new Date("2019-02-01T09:00:00Z"),
  });
  assert.equal(
    r.canonicalRequest,
    "GET\n/test-bucket/test-object\nX-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=" +
      "test-iam-credentials%40dummy-project-id.iam.gserviceaccount.com%2F20190201%2Fauto%2F" +
      "storage%2Fgoog4_request&X-Goog-Date=20190201T090000Z&X-Goog-Expires=10&" +
      "X-Goog-SignedHeaders=host\nhost:storage.googleapis.com\n\nhost\nUNSIGNED-PAYLOAD",
  );
  const lines = r.stringToSign.split("\n");
  assert.deepEqual(lines.slice(0, 3), [
    "GOOG4-RSA-SHA256",
    "20190201T090000Z",
    "20190201/auto/storage/goog4_request",
  ]);
  assert.match(lines[3]!, /^[0-9a-f]{64}$/);
});

// ---------------------------------------------------------------------------
// Service-account auth against a local token endpoint.
async function rsaKeyPair() {
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const b64 = btoa(String.fromCharCode(...pkcs8)).replace(/(.{64})/g, "$1\n");
  return {
    publicKey: pair.publicKey,
    pem: `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`,
  };
}

function b64urlDecode(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

Deno.test("gcs auth: the JWT is RS256-signed, verifies with the public key, and tokens are cached", async () => {
  const { publicKey, pem } = await rsaKeyPair();
  const assertions: string[] = [];
  let expiresIn = 3600;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const form = new URLSearchParams(await req.text());
    assert.equal(form.get("grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer");
    assertions.push(form.get("assertion")!);
    return Response.json({
      access_token: `tok-${assertions.length}`,
      expires_in: expiresIn,
      token_type: "Bearer",
    });
  });
  const tokenUri = `http://127.0.0.1:${server.addr.port}/token`;
  try {
    let now = Date.UTC(2024, 0, 1);
    const auth = new ServiceAccountAuth(
      {
        client_email: "sa@proj.iam.gserviceaccount.com",
        private_key: pem,
        private_key_id: "kid1",
        token_uri: tokenUri,
      },
      { now: () => now },
    );
    const [a, b] = await Promise.all([auth.authorization(), auth.authorization()]);
    assert.equal(a, "Bearer tok-1");
    assert.equal(b, "Bearer tok-1");
    assert.equal(assertions.length, 1, "concurrent callers share one exchange");
    const [h, p, s] = assertions[0]!.split(".") as [string, string, string];
    assert.deepEqual(JSON.parse(new TextDecoder().decode(b64urlDecode(h))), {
      alg: "RS256",
      typ: "JWT",
      kid: "kid1",
    });
    const claims = JSON.parse(new TextDecoder().decode(b64urlDecode(p)));
    assert.equal(claims.iss, "sa@proj.iam.gserviceaccount.com");
    assert.equal(claims.aud, tokenUri);
    assert.equal(claims.iat, now / 1000);
    assert.equal(claims.exp, now / 1000 + 3600);
    assert.match(claims.scope, /devstorage/);
    const ok = await crypto.subtle.verify(
      "RSASSA-PKCS1-v1_5",
      publicKey,
      b64urlDecode(s),
      new TextEncoder().encode(`${h}.${p}`),
    );
    assert.ok(ok, "signature verifies with the public key");
    const tampered = await crypto.subtle.verify(
      "RSASSA-PKCS1-v1_5",
      publicKey,
      b64urlDecode(s),
      new TextEncoder().encode(`${h}.${p}x`),
    );
    assert.ok(!tampered);
    now += 3000 * 1000; // still more than 60 s before expiry
    assert.equal(await auth.authorization(), "Bearer tok-1");
    now += 560 * 1000; // inside the refresh margin
    expiresIn = 100;
    assert.equal(await auth.authorization(), "Bearer tok-2");
    assert.equal(assertions.length, 2);
  } finally {
    await server.shutdown();
  }
});

Deno.test("gcs auth: a rejected assertion is an Io error naming the account, not the key", async () => {
  const { pem } = await rsaKeyPair();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      Response.json({ error: "invalid_grant", error_description: "Invalid JWT Signature." }, {
        status: 400,
      }),
  );
  try {
    const auth = new ServiceAccountAuth({
      client_email: "sa@proj.iam.gserviceaccount.com",
      private_key: pem,
      token_uri: `http://127.0.0.1:${server.addr.port}/token`,
    });
    const e = await expectKind(auth.authorization(), "Io");
    assert.match(
      e.message,
      /sa@proj\.iam\.gserviceaccount\.com.*invalid_grant.*credentials rejected/,
    );
    assert.ok(!e.message.includes(pem.split("\n")[1]!));
    await expectKind(
      new ServiceAccountAuth({ client_email: "x", private_key: "junk" }).authorization(),
      "InvalidInput",
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("gcs options and fromUrl: endpoint from STORAGE_EMULATOR_HOST, prefix, part size", async () => {
  Deno.env.set("STORAGE_EMULATOR_HOST", "127.0.0.1:9");
  try {
    const s = await fromUrl(new URL("gs://bkt/a/b"), {
      credentials: { client_email: DUMMY_EMAIL, private_key: DUMMY_KEY },
    });
    assert.equal(s.prefix, "a/b/");
    const u = new URL(await s.presign("k y", { method: "GET", expiresInSeconds: 30 }));
    assert.equal(u.origin, "http://127.0.0.1:9");
    assert.equal(u.pathname, "/bkt/a/b/k%20y");
    await expectKind(fromUrl(new URL("az://bkt/x")), "InvalidInput");
  } finally {
    Deno.env.delete("STORAGE_EMULATOR_HOST");
  }
  assert.throws(() => new GcsBlobStore({ bucket: "bkt", partSize: 1000 }), StoreError);
  const noKey = new GcsBlobStore({ bucket: "bkt", endpoint: "http://127.0.0.1:9" });
  await expectKind(noKey.presign("k", { method: "GET", expiresInSeconds: 5 }), "Unsupported");
});

// ---------------------------------------------------------------------------
const BUCKET = "oxistore-test";
const opts = { sanitizeOps: false, sanitizeResources: false };

function suiteFor(mode: "plain" | "compat", server: TestServer, skip: Record<string, string>) {
  let n = 0;
  runBlobConformance({
    name: `gcs (emulator, ${mode} mode)`,
    open: () => {
      const prefix = `${mode}-${++n}-${crypto.randomUUID().slice(0, 8)}/`;
      const open = () =>
        new GcsBlobStore({
          bucket: BUCKET,
          prefix,
          endpoint: server.url,
          credentials: { client_email: DUMMY_EMAIL, private_key: DUMMY_KEY },
          retry: { maxAttempts: 2, baseDelayMs: 10, timeoutMs: 10_000 },
        });
      return Promise.resolve({
        store: open(),
        cleanup: async () => {
          const admin = open();
          await admin.deletePrefix("");
          await admin.close();
        },
      });
    },
    sanitize: false,
    skip,
  });
}

const plain = await startGcsEmulator(false);
const compat = await startGcsEmulator(true);
globalThis.addEventListener("unload", () => {
  plain.killNow();
  compat.killNow();
});

const PLAIN_IGNORES = "the plain emulator ignores ifGenerationMatch; the store detects it and " +
  "throws Unsupported (tested below); compat mode runs this case";
const PAGES_REPEAT = "the emulator (both modes) returns every common prefix on every page " +
  "of a delimited listing, so prefixes repeat; GCS counts them into maxResults";
const NO_COPY_ROUTE = "the plain emulator routes copyTo only under /b/…, not the JSON API's " +
  "/storage/v1/b/… path this client uses; compat mode runs this case";
suiteFor("plain", plain, {
  "list-pages-delimiter": PAGES_REPEAT,
  copy: NO_COPY_ROUTE,
  rename: NO_COPY_ROUTE,
  "put-if-absent": PLAIN_IGNORES,
  "put-if-absent-race": PLAIN_IGNORES,
  "put-if-match": PLAIN_IGNORES,
  "put-if-match-race": PLAIN_IGNORES,
});
suiteFor("compat", compat, { "list-pages-delimiter": PAGES_REPEAT });

function store(server: TestServer, prefix: string, extra: Record<string, unknown> = {}) {
  return new GcsBlobStore({
    bucket: BUCKET,
    prefix,
    endpoint: server.url,
    retry: { maxAttempts: 2, baseDelayMs: 10, timeoutMs: 10_000 },
    ...extra,
  });
}

Deno.test({
  ...opts,
  name: "gcs (emulator, plain mode): ignored preconditions are detected and refused as Unsupported",
  async fn() {
    const s = store(plain, `probe-${crypto.randomUUID().slice(0, 8)}/`);
    const e = await expectKind(s.putIfAbsent("k", "v"), "Unsupported");
    assert.match(e.message, /ifGenerationMatch/);
    assert.deepEqual((await s.list()).items, [], "the probe object was removed");
  },
});

Deno.test({
  ...opts,
  name: "gcs (emulator, compat mode): a streamed blob goes up as a chunked resumable upload",
  async fn() {
    const s = store(compat, `res-${crypto.randomUUID().slice(0, 8)}/`, { partSize: 256 * 1024 });
    const data = pseudoRandom(900_001, 5);
    const chunks = [];
    for (let i = 0; i < data.length; i += 100_000) chunks.push(data.subarray(i, i + 100_000));
    const meta = await s.put("r", streamOf(...chunks), {
      contentType: "a/b",
      metadata: { m: "1" },
    });
    const head = await s.head("r");
    assert.equal(head.size, data.length);
    assert.equal(head.digest, meta.digest);
    assert.equal(head.etag, meta.etag);
    assert.equal(head.contentType, "a/b");
    assert.deepEqual(head.metadata, { m: "1" });
    assert.deepEqual(await s.get("r"), data);
    assert.deepEqual(
      await readAll(await s.getStream("r", { start: 300_000, end: 300_010 })),
      data.slice(300_000, 300_010),
    );
    // A precondition given at the start holds at the end.
    await expectKind(s.putIfAbsent("r", streamOf(pseudoRandom(600_000))), "AlreadyExists");
    assert.deepEqual(await s.get("r"), data);
    await s.deletePrefix("");
  },
});

Deno.test({
  ...opts,
  name:
    "gcs (emulator, plain mode): a multi-chunk upload fails clearly (the emulator finalizes on the first chunk)",
  async fn() {
    const s = store(plain, `pr-${crypto.randomUUID().slice(0, 8)}/`, { partSize: 256 * 1024 });
    const e = await expectKind(s.put("r", streamOf(pseudoRandom(600_000))), "Io");
    assert.match(e.message, /finalized the upload after a non-final chunk/);
  },
});

Deno.test({
  ...opts,
  name: "gcs (emulator, compat mode): getCas detects content changed behind the store's back",
  async fn() {
    const s = store(compat, `cas-${crypto.randomUUID().slice(0, 8)}/`);
    const d = await s.putCas("genuine");
    const raw = store(compat, "");
    await raw.put(`${s.prefix}cas/sha256/${d.hex.slice(0, 2)}/${d.hex}`, "forged");
    await expectKind(s.getCas(d), "Corruption");
    await s.deletePrefix("");
  },
});

Deno.test("gcs options: GOOGLE_APPLICATION_CREDENTIALS names the key file used to sign", async () => {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        type: "service_account",
        client_email: DUMMY_EMAIL,
        private_key: DUMMY_KEY,
      }),
    );
    Deno.env.set("GOOGLE_APPLICATION_CREDENTIALS", file);
    const s = new GcsBlobStore({ bucket: "bkt", endpoint: "http://127.0.0.1:9" });
    const u = new URL(await s.presign("k", { method: "GET", expiresInSeconds: 5 }));
    assert.match(u.searchParams.get("X-Goog-Credential")!, /^test-iam-credentials@dummy/);
    await Deno.writeTextFile(file, "{ not json");
    assert.throws(
      () => new GcsBlobStore({ bucket: "bkt", endpoint: "http://127.0.0.1:9" }),
      (e) => e instanceof StoreError && e.kind === "InvalidInput" && e.message.includes(file),
    );
  } finally {
    Deno.env.delete("GOOGLE_APPLICATION_CREDENTIALS");
    await Deno.remove(file);
  }
});
