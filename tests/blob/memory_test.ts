import assert from "node:assert/strict";
import { MemoryBlobStore } from "../../blob/memory_blob_store.ts";
import { expectKind, runBlobConformance } from "./suite.ts";

runBlobConformance({
  name: "memory",
  open: () => Promise.resolve({ store: new MemoryBlobStore(), cleanup: () => Promise.resolve() }),
});

Deno.test("memory: a write past the quota is CapacityExceeded and writes nothing", async () => {
  const s = new MemoryBlobStore({ maxBytes: 10 });
  await s.put("a", "12345");
  await expectKind(s.put("b", "123456"), "CapacityExceeded");
  assert.equal(await s.exists("b"), false);
  assert.equal(s.usedBytes, 5);
  await s.put("a", "1234567890");
  assert.equal(s.usedBytes, 10);
  await expectKind(s.copy("a", "c"), "CapacityExceeded");
  assert.equal(await s.exists("c"), false);
  await s.rename("a", "c");
  assert.equal(s.usedBytes, 10);
  await expectKind(s.putCas("x"), "CapacityExceeded");
  await s.delete("c");
  assert.equal(s.usedBytes, 0);
  const up = await s.startUpload("u");
  await up.write("12345678");
  await expectKind(up.write("abc"), "CapacityExceeded");
  // A failed chunk ends the upload, as on every backend.
  await expectKind(up.write("1"), "Closed");
  await up.abort();
  assert.equal(await s.exists("u"), false);
  await s.close();
});

Deno.test("memory: stored and returned bytes are copies", async () => {
  const s = new MemoryBlobStore();
  const data = new Uint8Array([1, 2, 3]);
  await s.put("k", data);
  data[0] = 9;
  const got = await s.get("k");
  assert.deepEqual(got, new Uint8Array([1, 2, 3]));
  got[1] = 9;
  assert.deepEqual(await s.get("k"), new Uint8Array([1, 2, 3]));
});
