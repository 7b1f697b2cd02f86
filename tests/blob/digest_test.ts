import assert from "node:assert/strict";
import fc from "fast-check";
import { Digest, sha256, Sha256Hasher, sha256Streaming } from "../../blob/digest.ts";
import { expectKind, streamOf } from "./suite.ts";

Deno.test("digest: sha256 matches the FIPS 180-2 test vectors", () => {
  assert.equal(sha256("").hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.equal(
    sha256("abc").hex,
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hex,
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

Deno.test("digest: sha256 agrees with WebCrypto on random inputs", async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (bytes) => {
      const web = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
      assert.deepEqual(sha256(bytes).bytes, web);
    }),
    { numRuns: 100 },
  );
});

Deno.test("digest: streaming and incremental hashing equal one-shot for any chunking", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.uint8Array({ maxLength: 500 }), { maxLength: 12 }),
      async (parts) => {
        const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          whole.set(p, at);
          at += p.length;
        }
        const h = new Sha256Hasher();
        for (const p of parts) h.update(p);
        assert.ok(h.digest().equals(sha256(whole)));
        assert.ok((await sha256Streaming(streamOf(...parts))).equals(sha256(whole)));
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("digest: fromHex round-trips either case and rejects anything else", () => {
  const d = sha256("x");
  assert.ok(Digest.fromHex(d.hex.toUpperCase()).equals(d));
  assert.equal(Digest.fromHex(d.hex.toUpperCase()).hex, d.hex);
  assert.equal(`${d}`, d.hex);
  assert.ok(d.equals(d.hex.toUpperCase()));
  assert.ok(!d.equals(sha256("y")));
  assert.ok(Digest.fromBytes(d.bytes).equals(d));
  for (
    const bad of ["", "zz", d.hex.slice(1), d.hex + "0", d.hex.replace(/.$/, "g"), ` ${d.hex}`]
  ) {
    assert.throws(
      () => Digest.fromHex(bad),
      (e: Error & { kind?: string }) => e.kind === "InvalidInput",
    );
  }
  assert.throws(
    () => Digest.fromBytes(new Uint8Array(31)),
    (e: Error & { kind?: string }) => e.kind === "InvalidInput",
  );
});

Deno.test("digest: a finished hasher cannot be reused; a failing stream is a StoreError", async () => {
  const h = new Sha256Hasher();
  h.digest();
  assert.throws(() => h.update("x"), (e: Error & { kind?: string }) => e.kind === "InvalidInput");
  const broken = new ReadableStream<Uint8Array>({
    pull(c) {
      c.error(new Error("disk gone"));
    },
  });
  await expectKind(sha256Streaming(broken), "Other");
});
