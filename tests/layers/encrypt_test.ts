import assert from "node:assert/strict";
import {
  deriveKey,
  deriveKeyHkdf,
  EncryptedKv,
  MIN_PBKDF2_ITERATIONS,
  randomKey,
} from "../../layers/encrypt/mod.ts";
import { INNERS, memStore, sleep, text } from "./_support.ts";
import { assertRejectsKind } from "../_support/assert.ts";
import type { KvStore } from "../../core/kv.ts";

const enc = new TextEncoder();
const SECRET = "the-plaintext-marker-7f3a";

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

async function storedIds(inner: KvStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const [, v] of inner.iter()) {
    ids.push(new TextDecoder().decode(v.subarray(2, 2 + v[1]!)));
  }
  return ids;
}

for (const { name, open } of INNERS) {
  Deno.test(`${name}: the inner store holds no plaintext value bytes`, async () => {
    const inner = await open();
    await using store = await EncryptedKv.create(inner, {
      keys: { a: randomKey() },
      activeKeyId: "a",
    });
    await store.put("k1", SECRET);
    await store.batchWrite([["k2", `${SECRET}!`], ["k3", SECRET.repeat(100)]]);
    await store.putWithTtl("k4", SECRET, 60_000);
    const t = await store.transaction();
    await t.put("k5", SECRET);
    await t.commit();
    await store.tree("tr").put("k6", SECRET);
    await store.compareAndSwap("k7", null, SECRET);
    for (const k of ["k1", "k4", "k5", "k7"]) assert.equal(text(await store.get(k)), SECRET);
    assert.equal(text(await store.tree("tr").get("k6")), SECRET);
    const marker = enc.encode(SECRET.slice(0, 12));
    let n = 0;
    for await (const [k, v] of inner.iter()) {
      n++;
      assert.ok(!contains(v, marker), `plaintext at rest under ${text(k)}`);
    }
    for await (const [, v] of inner.tree("tr").iter()) assert.ok(!contains(v, marker));
    assert.equal(n, 6);
    const a = await inner.get("k1");
    await store.put("k1", SECRET);
    assert.notDeepEqual(await inner.get("k1"), a, "a fresh nonce per write");
  });
}

Deno.test("tampered, truncated, moved or foreign values are Corruption", async () => {
  const inner = memStore();
  const key = randomKey();
  const store = await EncryptedKv.create(inner, { keys: { a: key }, activeKeyId: "a" });
  await store.put("k", "hello world");
  const good = (await inner.get("k"))!;
  for (let i = 0; i < good.length; i++) {
    const bad = good.slice();
    bad[i]! ^= 1 << (i % 8);
    await inner.put("k", bad);
    await assertRejectsKind(() => store.get("k"), "Corruption");
  }
  for (const len of [0, 1, 2, 10, good.length - 1]) {
    await inner.put("k", good.subarray(0, len));
    await assertRejectsKind(() => store.get("k"), "Corruption");
  }
  await inner.put("other", good);
  await assertRejectsKind(() => store.get("other"), "Corruption");
  await inner.put("k", good);
  assert.equal(text(await store.get("k")), "hello world");
  const wrong = await EncryptedKv.create(inner, { keys: { a: randomKey() }, activeKeyId: "a" });
  await assertRejectsKind(() => wrong.get("k"), "Corruption");
  const unknown = await EncryptedKv.create(inner, { keys: { b: key }, activeKeyId: "b" });
  await assertRejectsKind(() => unknown.get("k"), "Corruption");
  const scan = async () => {
    for await (const _ of wrong.iter()) { /* decrypting throws */ }
  };
  await assertRejectsKind(scan, "Corruption");
});

Deno.test("bad keys and options are InvalidInput", async () => {
  const inner = memStore();
  await assertRejectsKind(
    () => EncryptedKv.create(inner, { keys: { a: new Uint8Array(16) }, activeKeyId: "a" }),
    "InvalidInput",
  );
  await assertRejectsKind(
    () => EncryptedKv.create(inner, { keys: { a: randomKey() }, activeKeyId: "b" }),
    "InvalidInput",
  );
  await assertRejectsKind(
    () => EncryptedKv.create(inner, { keys: { "": randomKey() }, activeKeyId: "" }),
    "InvalidInput",
  );
  const cbc = await crypto.subtle.generateKey({ name: "AES-CBC", length: 256 }, false, [
    "encrypt",
    "decrypt",
  ]);
  await assertRejectsKind(
    () => EncryptedKv.create(inner, { keys: { a: cbc }, activeKeyId: "a" }),
    "InvalidInput",
  );
  const gcm128 = await crypto.subtle.generateKey({ name: "AES-GCM", length: 128 }, false, [
    "encrypt",
    "decrypt",
  ]);
  await assertRejectsKind(
    () => EncryptedKv.create(inner, { keys: { a: gcm128 }, activeKeyId: "a" }),
    "InvalidInput",
  );
  await assertRejectsKind(
    () =>
      EncryptedKv.create(inner, {
        keys: { a: "secret" as unknown as Uint8Array },
        activeKeyId: "a",
      }),
    "InvalidInput",
  );
});

Deno.test("PBKDF2 and HKDF keys are deterministic and checked", async () => {
  const salt = enc.encode("0123456789abcdef");
  const inner = memStore();
  const k1 = await deriveKey("pass phrase", salt, MIN_PBKDF2_ITERATIONS);
  const k2 = await deriveKey("pass phrase", salt, MIN_PBKDF2_ITERATIONS);
  const k3 = await deriveKey("pass phrasf", salt, MIN_PBKDF2_ITERATIONS);
  await (await EncryptedKv.create(inner, { keys: { p: k1 }, activeKeyId: "p" })).put("x", "v");
  const again = await EncryptedKv.create(inner, { keys: { p: k2 }, activeKeyId: "p" });
  assert.equal(text(await again.get("x")), "v");
  const other = await EncryptedKv.create(inner, { keys: { p: k3 }, activeKeyId: "p" });
  await assertRejectsKind(() => other.get("x"), "Corruption");
  await assertRejectsKind(() => deriveKey("p", salt, 99_999), "InvalidInput");
  await assertRejectsKind(() => deriveKey("", salt, MIN_PBKDF2_ITERATIONS), "InvalidInput");
  await assertRejectsKind(
    () => deriveKey("p", new Uint8Array(4), MIN_PBKDF2_ITERATIONS),
    "InvalidInput",
  );

  const master = randomKey();
  const h1 = await deriveKeyHkdf(master, salt, "tenant-1");
  const h1b = await deriveKeyHkdf(master, salt, "tenant-1");
  const h2 = await deriveKeyHkdf(master, salt, "tenant-2");
  await (await EncryptedKv.create(inner, { keys: { h: h1 }, activeKeyId: "h" })).put("y", "w");
  assert.equal(
    text(await (await EncryptedKv.create(inner, { keys: { h: h1b }, activeKeyId: "h" })).get("y")),
    "w",
  );
  await assertRejectsKind(
    async () => (await EncryptedKv.create(inner, { keys: { h: h2 }, activeKeyId: "h" })).get("y"),
    "Corruption",
  );
  await assertRejectsKind(() => deriveKeyHkdf(new Uint8Array(8), salt, "x"), "InvalidInput");
});

Deno.test("rotate re-seals old values under the active key, keeps TTLs, and resumes", async () => {
  const inner = memStore();
  const old = randomKey();
  const fresh = randomKey();
  const v1 = await EncryptedKv.create(inner, { keys: { old }, activeKeyId: "old" });
  const pairs: [string, string][] = Array.from({ length: 40 }, (_, i) => [`k${i}`, `value-${i}`]);
  await v1.batchWrite(pairs);
  await v1.putWithTtl("ttl", "t", 60_000);
  const v2 = await EncryptedKv.create(inner, { keys: { old, fresh }, activeKeyId: "fresh" });
  await v2.put("new", "n");
  assert.equal(await v2.rotate(), 41);
  assert.deepEqual(new Set(await storedIds(inner)), new Set(["fresh"]));
  assert.equal(await v2.rotate(), 0, "a second run finds nothing to do");
  const only = await EncryptedKv.create(inner, { keys: { fresh }, activeKeyId: "fresh" });
  for (const [k, v] of pairs) assert.equal(text(await only.get(k)), v);
  const left = await only.ttl("ttl");
  assert.ok(left !== undefined && left > 50_000, `TTL kept (${left})`);
});

Deno.test("rotate never loses a concurrent write", async () => {
  const inner = memStore();
  const a = randomKey();
  const b = randomKey();
  const v1 = await EncryptedKv.create(inner, { keys: { a }, activeKeyId: "a" });
  await v1.batchWrite(Array.from({ length: 200 }, (_, i) => [`k${i}`, "old"]));
  const v2 = await EncryptedKv.create(inner, { keys: { a, b }, activeKeyId: "b" });
  const writes = (async () => {
    for (let i = 0; i < 200; i += 3) {
      await v1.put(`k${i}`, "concurrent"); // a writer still on the old key
      await sleep(0);
    }
  })();
  const [n] = await Promise.all([v2.rotate(), writes]);
  for (let i = 0; i < 200; i++) {
    assert.equal(text(await v2.get(`k${i}`)), i % 3 === 0 ? "concurrent" : "old", `k${i}`);
  }
  assert.ok(n <= 200);
  await v2.rotate();
  assert.deepEqual(new Set(await storedIds(inner)), new Set(["b"]));
});

Deno.test("CAS compares plaintexts; merge applies the layer's operator atomically", async () => {
  const inner = memStore();
  const store = await EncryptedKv.create(inner, {
    keys: { a: randomKey() },
    activeKeyId: "a",
    mergeOperator: (_k, old, x) => enc.encode(String(Number(text(old) ?? "0") + Number(text(x)))),
  });
  await store.put("c", "v1");
  await store.compareAndSwap("c", "v1", "v2");
  await assertRejectsKind(() => store.compareAndSwap("c", "v1", "v3"), "CasMismatch");
  await assertRejectsKind(() => store.compareAndSwap("c", null, "v3"), "CasMismatch");
  await store.compareAndSwap("c", "v2", null);
  assert.equal(await store.get("c"), undefined);
  await Promise.all(Array.from({ length: 10 }, () => store.merge("n", "1")));
  assert.equal(text(await store.get("n")), "10");
  await store.putWithTtl("t", "1", 60_000);
  await store.merge("t", "2");
  assert.equal(text(await store.get("t")), "3");
  assert.ok((await store.ttl("t"))! > 50_000, "merge keeps the TTL");
  const plain = await EncryptedKv.create(memStore(), {
    keys: { a: randomKey() },
    activeKeyId: "a",
  });
  await assertRejectsKind(() => plain.merge("n", "1"), "Unsupported");
});
