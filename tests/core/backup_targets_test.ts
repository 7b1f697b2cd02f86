// backup()/restore() to and from byte streams and blobs: what a program with
// no writable disk (Deno Deploy) uses instead of a file path.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
import { backupStore, openInMemory, restoreStore, StoreError } from "@cooljapan/oxistore";
import { assertRejectsKind } from "../_support/assert.ts";

const text = (b: Uint8Array | undefined) => b && new TextDecoder().decode(b);

function collector(): { stream: WritableStream<Uint8Array>; bytes(): Uint8Array } {
  const parts: Uint8Array[] = [];
  return {
    stream: new WritableStream({ write: (c) => void parts.push(c.slice()) }),
    bytes: () => {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) o += (out.set(p, o), p.length);
      return out;
    },
  };
}

async function filled() {
  const src = await openInMemory("btree");
  await src.batchWrite([["a", "1"], ["b", new Uint8Array(3 << 20)]]);
  await src.putWithTtl("ttl", "t", 60_000);
  await src.tree("logs").put("x", "in a tree");
  return src;
}

Deno.test("backup: a byte stream target restores from a ReadableStream into every engine", async () => {
  await using src = await filled();
  const sink = collector();
  await src.backup(sink.stream);
  const bytes = sink.bytes();
  ok(bytes.length > 3 << 20, "the whole store went to the stream");
  for (const kind of ["btree", "lsm", "denokv"] as const) {
    await using dst = await openInMemory(kind);
    await dst.put("stale", "gone after restore");
    await dst.restore(ReadableStream.from([bytes.subarray(0, 1000), bytes.subarray(1000)]));
    strictEqual(text(await dst.get("a")), "1", kind);
    strictEqual((await dst.get("b"))?.length, 3 << 20, kind);
    strictEqual(text(await dst.tree("logs").get("x")), "in a tree", kind);
    ok((await dst.ttl("ttl"))! > 50_000, `${kind}: TTL kept`);
    strictEqual(await dst.contains("stale"), false, `${kind}: restore replaces`);
  }
});

Deno.test("backup: a { store, key } blob target round-trips, also through backupStore/restoreStore", async () => {
  const blobs = new MemoryBlobStore();
  await using src = await filled();
  await src.backup({ store: blobs, key: "backups/app.oxibak" });
  ok(await blobs.exists("backups/app.oxibak"));
  await using dst = await openInMemory("lsm");
  await dst.restore({ store: blobs, key: "backups/app.oxibak" });
  deepStrictEqual(
    (await Array.fromAsync(dst.keys())).map(text),
    (await Array.fromAsync(src.keys())).map(text),
  );

  const dir = await Deno.makeTempDir();
  try {
    const target = { store: blobs, key: "backups/from-facade" };
    {
      await using s = await openInMemory("btree");
      await s.put("k", "v");
      await s.backup(target);
    }
    await restoreStore("lsm", target, `${dir}/restored.lsm`);
    await backupStore("lsm", `${dir}/restored.lsm`, { store: blobs, key: "backups/again" });
    await using again = await openInMemory("denokv");
    await again.restore({ store: blobs, key: "backups/again" });
    strictEqual(text(await again.get("k")), "v");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("backup: a damaged or truncated stream is Corruption and the store is untouched", async () => {
  await using src = await filled();
  const sink = collector();
  await src.backup(sink.stream);
  const good = sink.bytes();
  const flipped = good.slice();
  flipped[good.length >> 1]! ^= 0x40;
  for (const bad of [flipped, good.subarray(0, good.length - 5), new Uint8Array(10)]) {
    await using dst = await openInMemory("btree");
    await dst.put("keep", "me");
    await assertRejectsKind(dst.restore(ReadableStream.from([bad])), "Corruption");
    strictEqual(text(await dst.get("keep")), "me", "nothing was applied");
  }
  await using dst = await openInMemory("btree");
  await assertRejectsKind(dst.restore({ store: new MemoryBlobStore(), key: "none" }), "NotFound");
});

Deno.test("backup: bad targets are InvalidInput naming the store", async () => {
  await using s = await openInMemory("btree");
  for (const target of ["", 42, null, { key: "k" }, { store: {}, key: "k" }]) {
    const err = await s.backup(target as never).then(() => undefined, (e) => e);
    ok(err instanceof StoreError && err.kind === "InvalidInput", String(err));
    ok(err.message.includes(":memory:"), err.message);
  }
});

Deno.test("backup: a failing byte stream fails the backup with the stream's error as cause", async () => {
  await using s = await filled();
  const broken = new WritableStream<Uint8Array>({
    write() {
      throw new Error("socket closed");
    },
  });
  const err = await s.backup(broken).then(() => undefined, (e) => e);
  ok(err instanceof StoreError, String(err));
  ok(String(err.cause).includes("socket closed"), String(err.cause));
});
