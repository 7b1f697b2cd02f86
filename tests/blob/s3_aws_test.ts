// The S3 paths s3rver cannot show, against a tiny fake on 127.0.0.1 that
// answers with the responses AWS documents for them (status, headers and the
// XML error bodies of the S3 API reference): conditional writes, delimited
// listing pages, credential errors, and retries on 5xx/429 and broken sockets.

import assert from "node:assert/strict";
import { S3BlobStore } from "../../blob/s3/mod.ts";
import { sha256 } from "../../blob/digest.ts";
import { expectKind, pseudoRandom, streamOf } from "./suite.ts";

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: Uint8Array;
}
type Handler = (r: Seen, n: number) => Response | Promise<Response>;

/** A local HTTP server that records every request and answers via `handler`. */
function fake(handler: Handler) {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const u = new URL(req.url);
    const r = {
      method: req.method,
      path: u.pathname,
      query: u.searchParams,
      headers: req.headers,
      body: new Uint8Array(await req.arrayBuffer()),
    };
    seen.push(r);
    return await handler(r, seen.length);
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  return { url, seen, close: () => server.shutdown() };
}

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
function store(url: string, extra: Record<string, unknown> = {}) {
  return new S3BlobStore({
    bucket: "examplebucket",
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: SECRET },
    conditionalWrites: "trust",
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    ...extra,
  });
}

const xml = (body: string, status = 200, headers: Record<string, string> = {}) =>
  new Response(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`, {
    status,
    headers: { "content-type": "application/xml", ...headers },
  });
const awsError = (status: number, code: string, message: string, extra = "") =>
  xml(
    `<Error><Code>${code}</Code><Message>${message}</Message>${extra}` +
      `<RequestId>4442587FB7D0A2F9</RequestId><HostId>fakehost</HostId></Error>`,
    status,
  );
const PRECONDITION = () =>
  awsError(
    412,
    "PreconditionFailed",
    "At least one of the pre-conditions you specified did not hold",
    "<Condition>If-None-Match</Condition>",
  );

Deno.test("s3 aws: putIfAbsent sends If-None-Match: * and maps 412 to AlreadyExists", async () => {
  const f = await fake((r) => {
    if (r.headers.get("if-none-match") !== "*") {
      return new Response("no condition", { status: 400 });
    }
    return r.path.endsWith("/taken") ? PRECONDITION() : new Response(null, {
      status: 200,
      headers: { etag: '"9b2cf535f27731c974343645a3985328"' },
    });
  });
  try {
    const s = store(f.url);
    const meta = await s.putIfAbsent("fresh", "data", { metadata: { a: "1" } });
    assert.equal(meta.etag, '"9b2cf535f27731c974343645a3985328"');
    const put = f.seen[0]!;
    assert.equal(put.method, "PUT");
    assert.equal(put.path, "/examplebucket/fresh");
    assert.equal(put.headers.get("x-amz-meta-a"), "1");
    assert.equal(put.headers.get("x-amz-meta-oxistore_sha256"), sha256("data").hex);
    // The signed payload hash is the body's SHA-256, so S3 checks the bytes.
    assert.equal(put.headers.get("x-amz-content-sha256"), sha256("data").hex);
    assert.match(put.headers.get("authorization")!, /SignedHeaders=[^,]*if-none-match/);
    const e = await expectKind(s.putIfAbsent("taken", "data"), "AlreadyExists");
    assert.match(e.message, /s3:\/\/examplebucket\/taken/);
  } finally {
    await f.close();
  }
});

Deno.test("s3 aws: putIfMatch sends If-Match; 412 and 404 NoSuchKey are CasMismatch", async () => {
  const f = await fake((r) => {
    const m = r.headers.get("if-match");
    if (r.path.endsWith("/missing")) {
      return awsError(404, "NoSuchKey", "The specified key does not exist.");
    }
    return m === '"v1"' ? new Response(null, { headers: { etag: '"v2"' } }) : PRECONDITION();
  });
  try {
    const s = store(f.url);
    assert.equal((await s.putIfMatch("k", "x", '"v1"')).etag, '"v2"');
    assert.equal(f.seen[0]!.headers.get("if-match"), '"v1"');
    await expectKind(s.putIfMatch("k", "x", '"stale"'), "CasMismatch");
    await expectKind(s.putIfMatch("missing", "x", '"v1"'), "CasMismatch");
    assert.equal(f.seen.length, 3, "a failed condition is not retried");
  } finally {
    await f.close();
  }
});

Deno.test("s3 aws: a conditional multipart completion that fails aborts the upload", async () => {
  const f = await fake((r) => {
    if (r.method === "POST" && r.query.has("uploads")) {
      return xml(
        "<InitiateMultipartUploadResult><Bucket>examplebucket</Bucket><Key>big</Key>" +
          "<UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>",
      );
    }
    if (r.method === "PUT" && r.query.has("partNumber")) {
      return new Response(null, { headers: { etag: `"part${r.query.get("partNumber")}"` } });
    }
    if (r.method === "POST" && r.query.get("uploadId") === "VXBsb2FkIElE") return PRECONDITION();
    if (r.method === "DELETE") return new Response(null, { status: 204 });
    return new Response("unexpected", { status: 400 });
  });
  try {
    const s = store(f.url, { partSize: 5 * 1024 * 1024 });
    const data = pseudoRandom(11 * 1024 * 1024, 3);
    await expectKind(s.putIfAbsent("big", streamOf(data)), "AlreadyExists");
    const parts = f.seen.filter((r) => r.query.has("partNumber"))
      .sort((a, b) => Number(a.query.get("partNumber")) - Number(b.query.get("partNumber")));
    assert.deepEqual(parts.map((r) => r.body.length), [5242880, 5242880, 1048576]);
    const complete = f.seen.find((r) => r.method === "POST" && r.query.has("uploadId"))!;
    assert.equal(complete.headers.get("if-none-match"), "*");
    const body = new TextDecoder().decode(complete.body);
    assert.match(body, /<Part><PartNumber>1<\/PartNumber><ETag>"part1"<\/ETag><\/Part>/);
    assert.match(body, /<PartNumber>3<\/PartNumber>/);
    assert.ok(
      f.seen.some((r) => r.method === "DELETE" && r.query.get("uploadId") === "VXBsb2FkIElE"),
    );
  } finally {
    await f.close();
  }
});

Deno.test("s3 aws: a 200 CompleteMultipartUpload carrying an <Error> body is a failure", async () => {
  const f = await fake((r) => {
    if (r.query.has("uploads")) {
      return xml(
        "<InitiateMultipartUploadResult><UploadId>U</UploadId></InitiateMultipartUploadResult>",
      );
    }
    if (r.query.has("partNumber")) return new Response(null, { headers: { etag: '"p"' } });
    if (r.method === "POST") {
      return awsError(200, "InternalError", "We encountered an internal error.");
    }
    return new Response(null, { status: 204 });
  });
  try {
    const s = store(f.url, { partSize: 5 * 1024 * 1024 });
    const e = await expectKind(s.put("big", streamOf(pseudoRandom(6 * 1024 * 1024))), "Io");
    assert.match(e.message, /complete multipart upload s3:\/\/examplebucket\/big: InternalError/);
    assert.ok(f.seen.some((r) => r.method === "DELETE"), "the upload was aborted");
  } finally {
    await f.close();
  }
});

Deno.test("s3 aws: a delimited ListObjectsV2 page is parsed and its token sent back", async () => {
  const page1 = "<ListBucketResult><Name>examplebucket</Name><Prefix>d/</Prefix>" +
    "<KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>" +
    "<Contents><Key>d/a&amp;b</Key><LastModified>2024-05-01T10:00:00.000Z</LastModified>" +
    "<ETag>&quot;e1&quot;</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>" +
    "<CommonPrefixes><Prefix>d/b/</Prefix></CommonPrefixes>" +
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>" +
    "</ListBucketResult>";
  const page2 = "<ListBucketResult><Name>examplebucket</Name><Prefix>d/</Prefix>" +
    "<KeyCount>1</KeyCount><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>" +
    "<CommonPrefixes><Prefix>d/&lt;e&gt;/</Prefix></CommonPrefixes>" +
    "<ContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</ContinuationToken>" +
    "</ListBucketResult>";
  const f = await fake((r) => {
    if (r.method === "HEAD") {
      return new Response(null, {
        headers: {
          "content-length": "3",
          etag: '"e1"',
          "last-modified": "Wed, 01 May 2024 10:00:00 GMT",
          "content-type": "text/plain",
          "x-amz-meta-oxistore_sha256": sha256("abc").hex,
          "x-amz-meta-owner": "ada",
        },
      });
    }
    return xml(r.query.has("continuation-token") ? page2 : page1);
  });
  try {
    const s = store(f.url);
    const p1 = await s.list("d/", { delimiter: "/", limit: 2 });
    assert.deepEqual(p1.items.map((m) => [m.key, m.size, m.etag, m.digest]), [
      ["d/a&b", 3, '"e1"', sha256("abc").hex],
    ]);
    assert.deepEqual(p1.items[0]!.metadata, { owner: "ada" });
    assert.deepEqual(p1.prefixes, ["d/b/"]);
    const q = f.seen[0]!.query;
    assert.equal(q.get("list-type"), "2");
    assert.equal(q.get("delimiter"), "/");
    assert.equal(q.get("max-keys"), "2");
    assert.equal(q.get("prefix"), "d/");
    const p2 = await s.list("d/", { delimiter: "/", limit: 2, cursor: p1.cursor! });
    assert.equal(
      f.seen.at(-1)!.query.get("continuation-token"),
      "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=",
    );
    assert.deepEqual(p2.prefixes, ["d/<e>/"]);
    assert.equal(p2.cursor, undefined);
  } finally {
    await f.close();
  }
});

Deno.test("s3 aws: a rejected signature is a 403 error naming it, never echoing the secret", async () => {
  const f = await fake(() =>
    awsError(
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. " +
        "Check your key and signing method.",
      "<AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256\n" +
        "20130524T000000Z</StringToSign><SignatureProvided>abc</SignatureProvided>",
    )
  );
  try {
    const s = store(f.url);
    for (
      const call of [
        () => s.get("secret/key"),
        () => s.put("secret/key", "x"),
        () => s.list("secret/"),
      ]
    ) {
      const e = await expectKind(call(), "Io");
      assert.match(e.message, /HTTP 403 Forbidden/);
      assert.match(e.message, /SignatureDoesNotMatch/);
      assert.match(e.message, /s3:\/\/examplebucket\/secret\//);
      assert.ok(!e.message.includes(SECRET), "secret in message");
      assert.ok(!String(e.stack).includes(SECRET), "secret in stack");
    }
    assert.equal(f.seen.filter((r) => r.method === "GET").length, 2, "403 is not retried");
    for (const r of f.seen) {
      for (const [, v] of r.headers) assert.ok(!v.includes(SECRET), "secret sent in a header");
    }
  } finally {
    await f.close();
  }
});

Deno.test("s3 aws: 503 SlowDown and 500 are retried with back-off, then succeed", async () => {
  const f = await fake((_r, n) => {
    if (n === 1) return awsError(503, "SlowDown", "Please reduce your request rate.");
    if (n === 2) return awsError(500, "InternalError", "We encountered an internal error.");
    return new Response("payload", { headers: { "content-length": "7" } });
  });
  try {
    const s = store(f.url);
    assert.equal(new TextDecoder().decode(await s.get("k")), "payload");
    assert.equal(f.seen.length, 3);
    // Each attempt is signed afresh.
    assert.ok(f.seen.every((r) => r.headers.get("authorization")?.startsWith("AWS4-HMAC-SHA256")));
  } finally {
    await f.close();
  }
});

Deno.test("s3 aws: 429 honours Retry-After; persistent 503 gives up with an Io error", async () => {
  const f = await fake((r) => {
    if (r.path.endsWith("/busy")) {
      return awsError(503, "SlowDown", "Please reduce your request rate.");
    }
    if (f.seen.filter((x) => x.path.endsWith("/limited")).length === 1) {
      return new Response("too many", { status: 429, headers: { "retry-after": "0" } });
    }
    return new Response("ok");
  });
  try {
    const s = store(f.url);
    assert.equal(new TextDecoder().decode(await s.get("limited")), "ok");
    const e = await expectKind(s.get("busy"), "Io");
    assert.match(e.message, /HTTP 503 .*SlowDown.*\(after 3 attempts\)/);
    assert.equal(f.seen.filter((r) => r.path.endsWith("/busy")).length, 3);
  } finally {
    await f.close();
  }
});

Deno.test("s3 aws: a dropped connection is retried on a new one", async () => {
  // Raw TCP: the first connection is closed without an answer (a network error).
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  let connections = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      connections++;
      const buf = new Uint8Array(65536);
      await conn.read(buf);
      if (connections > 1) {
        const body = "recovered";
        await conn.write(new TextEncoder().encode(
          `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
        ));
      }
      conn.close();
    }
  })();
  try {
    const s = store(`http://127.0.0.1:${port}`);
    assert.equal(new TextDecoder().decode(await s.get("k")), "recovered");
    assert.equal(connections, 2);
  } finally {
    listener.close();
    await serving.catch(() => {});
  }
});

Deno.test("s3 aws: no answer within the timeout is a Timeout error naming the key", async () => {
  const f = await fake(() =>
    new Promise<Response>((r) => setTimeout(() => r(new Response("late")), 500))
  );
  try {
    const s = store(f.url, { retry: { maxAttempts: 2, baseDelayMs: 1, timeoutMs: 50 } });
    const e = await expectKind(s.get("slow/key"), "Timeout");
    assert.match(e.message, /get blob s3:\/\/examplebucket\/slow\/key/);
  } finally {
    await new Promise((r) => setTimeout(r, 600));
    await f.close();
  }
});

Deno.test("s3 aws: a part that keeps failing aborts the multipart upload and reports the part", async () => {
  const f = fake((r) => {
    if (r.query.has("uploads")) {
      return xml(
        "<InitiateMultipartUploadResult><UploadId>U2</UploadId></InitiateMultipartUploadResult>",
      );
    }
    if (r.query.get("partNumber") === "2") return awsError(500, "InternalError", "boom");
    if (r.query.has("partNumber")) return new Response(null, { headers: { etag: '"p"' } });
    if (r.method === "DELETE") return new Response(null, { status: 204 });
    return new Response("unexpected", { status: 400 });
  });
  try {
    const s = store(f.url, { partSize: 5 * 1024 * 1024, concurrency: 2 });
    const up = await s.startUpload("parts/key");
    const e = await (async () => {
      try {
        for (let i = 0; i < 4; i++) await up.write(pseudoRandom(5 * 1024 * 1024, i + 1));
        await up.complete();
      } catch (err) {
        return err as Error;
      }
      throw new Error("expected a failure");
    })();
    assert.match(e.message, /upload part 2 of s3:\/\/examplebucket\/parts\/key: HTTP 500/);
    assert.equal(f.seen.filter((r) => r.query.get("partNumber") === "2").length, 3, "retried");
    assert.ok(f.seen.some((r) => r.method === "DELETE" && r.query.get("uploadId") === "U2"));
    assert.ok(!f.seen.some((r) => r.method === "POST" && r.query.has("uploadId")), "not completed");
    await expectKind(up.write("more"), "Closed");
  } finally {
    await f.close();
  }
});

Deno.test("s3 aws: big bytes carry the digest from the start; a stream gets it by a guarded self-copy", async () => {
  const f = fake((r) => {
    if (r.query.has("uploads")) {
      return xml(
        "<InitiateMultipartUploadResult><UploadId>U3</UploadId></InitiateMultipartUploadResult>",
      );
    }
    if (r.query.has("partNumber")) return new Response(null, { headers: { etag: '"p"' } });
    if (r.method === "POST") {
      return xml(
        '<CompleteMultipartUploadResult><ETag>"mp-2"</ETag></CompleteMultipartUploadResult>',
      );
    }
    if (r.headers.has("x-amz-copy-source")) {
      return xml(
        "<CopyObjectResult><LastModified>2024-05-01T10:00:00.000Z</LastModified>" +
          '<ETag>"copied"</ETag></CopyObjectResult>',
      );
    }
    return new Response("unexpected", { status: 400 });
  });
  try {
    const s = store(f.url, { partSize: 5 * 1024 * 1024 });
    const data = pseudoRandom(6 * 1024 * 1024, 8);
    const digest = sha256(data).hex;
    const a = await s.put("bytes", data);
    assert.equal(a.etag, '"mp-2"');
    const create = f.seen.find((r) => r.query.has("uploads"))!;
    assert.equal(create.headers.get("x-amz-meta-oxistore_sha256"), digest);
    assert.ok(!f.seen.some((r) => r.headers.has("x-amz-copy-source")), "no copy for bytes");
    f.seen.length = 0;
    const b = await s.put("stream", streamOf(data));
    assert.equal(b.etag, '"copied"');
    assert.equal(b.digest, digest);
    const copy = f.seen.find((r) => r.headers.has("x-amz-copy-source"))!;
    assert.equal(copy.path, "/examplebucket/stream");
    assert.equal(copy.headers.get("x-amz-copy-source"), "/examplebucket/stream");
    assert.equal(copy.headers.get("x-amz-copy-source-if-match"), '"mp-2"');
    assert.equal(copy.headers.get("x-amz-metadata-directive"), "REPLACE");
    assert.equal(copy.headers.get("x-amz-meta-oxistore_sha256"), digest);
  } finally {
    await f.close();
  }
});

Deno.test("s3 aws: part sizes double every 1000 parts, so streams never hit the 10,000-part cap", async () => {
  const sizes = new Map<number, number>();
  const f = fake((r) => {
    if (r.query.has("uploads")) {
      return xml(
        "<InitiateMultipartUploadResult><UploadId>U4</UploadId></InitiateMultipartUploadResult>",
      );
    }
    if (r.query.has("partNumber")) {
      sizes.set(Number(r.query.get("partNumber")), r.body.length);
      return new Response(null, { headers: { etag: `"${r.query.get("partNumber")}"` } });
    }
    if (r.method === "POST") {
      return xml(
        '<CompleteMultipartUploadResult><ETag>"done"</ETag></CompleteMultipartUploadResult>',
      );
    }
    return xml('<CopyObjectResult><ETag>"final"</ETag></CopyObjectResult>');
  });
  try {
    // 1-byte parts keep this small: 1000 parts of 1 byte, then parts of 2 bytes.
    const s = store(f.url, { partSize: 1, concurrency: 8 });
    const up = await s.startUpload("grow");
    await up.write(pseudoRandom(1000 + 5, 2));
    const meta = await up.complete();
    assert.equal(meta.size, 1005);
    assert.equal(sizes.size, 1003);
    assert.equal(sizes.get(1000), 1);
    assert.deepEqual([sizes.get(1001), sizes.get(1002), sizes.get(1003)], [2, 2, 1]);
    const complete = f.seen.find((r) => r.method === "POST" && r.query.has("uploadId"))!;
    assert.equal(new TextDecoder().decode(complete.body).match(/<Part>/g)?.length, 1003);
  } finally {
    await f.close();
  }
});
