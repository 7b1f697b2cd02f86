// stackLayers and the README's layer stack, walked as a user would: the
// README's code block runs as written, 24,000 bytes of JSON are stored as at
// most half at rest, and no plaintext reaches the engine or its files.
import { openInMemory, openWith } from "@cooljapan/oxistore";
import { CompressedKv } from "@cooljapan/oxistore/compress";
import { EncryptedKv, randomKey } from "@cooljapan/oxistore/encrypt";
import { stackLayers } from "@cooljapan/oxistore/layers";
import type { KvStore } from "@cooljapan/oxistore";
import { assert, assertEquals, assertRejectsKind } from "../_support/assert.ts";
import { tempDir } from "../_support/temp_dir.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Exactly `bytes` bytes of JSON events (padding the last field). */
function json(bytes: number): string {
  const events: { id: number; user: string; kind: string; note: string }[] = [];
  for (let id = 0; JSON.stringify(events).length < bytes - 120; id++) {
    events.push({ id, user: `user-${id % 40}`, kind: id % 3 ? "view" : "click", note: "" });
  }
  const last = events[events.length - 1]!;
  last.note = "x".repeat(bytes - JSON.stringify(events).length);
  const text = JSON.stringify(events);
  assertEquals(text.length, bytes);
  return text;
}

/** True when any 8-byte run of `plain` appears in `stored`. */
function leaksPlaintext(plain: Uint8Array, stored: Uint8Array): boolean {
  const runs = new Set<string>();
  for (let i = 0; i + 8 <= stored.length; i++) runs.add(dec.decode(stored.subarray(i, i + 8)));
  for (let i = 0; i + 8 <= plain.length; i++) {
    if (runs.has(dec.decode(plain.subarray(i, i + 8)))) return true;
  }
  return false;
}

const keys = { "2026-11": randomKey() };
const readmeLayers = {
  cache: { maxEntries: 10_000, policy: "arc" as const },
  compress: { codec: "lz4" as const },
  encrypt: { keys, activeKeyId: "2026-11" },
};

Deno.test("README: the layer stack's code block runs as written and compresses its JSON", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const at = readme.indexOf('import { stackLayers } from "@cooljapan/oxistore/layers";');
  assert(at > 0, "the README's layer example imports stackLayers");
  const start = readme.lastIndexOf("```ts\n", at) + "```ts\n".length;
  const code = readme.slice(start, readme.indexOf("```", at));
  await using dir = await tempDir("oxistore-readme-");
  await Deno.writeTextFile(dir.join("layers.ts"), code);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", `${ROOT}deno.json`, dir.join("layers.ts")],
    stdout: "piped",
    stderr: "piped",
  }).output();
  // The block checks itself: it throws unless the typed read-back works and
  // the ~24,000 bytes of JSON are stored in at most a third of that.
  assert(/atRest\.length > json\.length \/ 3\) throw/.test(code), "the block checks compression");
  assert(code.includes("typed read-back failed"), "the block checks the typed read-back");
  assertEquals(out.code, 0, dec.decode(out.stderr));
});

for (const kind of ["btree", "lsm", "denokv"] as const) {
  Deno.test(`stackLayers over ${kind} on disk: 24,000 bytes of JSON at most half at rest, never plaintext`, async () => {
    await using dir = await tempDir();
    const path = dir.join("store");
    const doc = json(24_000);
    assert(leaksPlaintext(enc.encode(doc), enc.encode(`..${doc.slice(500, 510)}..`)), "detector");
    const engine = await openWith(kind, path);
    const store = await stackLayers(engine, readmeLayers);
    try {
      await store.put("events/1", doc);
      await store.batchWrite([["events/2", doc]]);
      assertEquals(dec.decode(await store.get("events/1")), doc);
      for (const key of ["events/1", "events/2"]) {
        const atRest = (await engine.get(key))!;
        assert(atRest.length <= 12_000, `${key}: 24,000 bytes stored as ${atRest.length}`);
        assert(!leaksPlaintext(enc.encode(doc), atRest), `${key}: plaintext in the stored value`);
      }
    } finally {
      await store.close();
    }
    for await (const file of Deno.readDir(dir.path)) {
      if (!file.isFile) continue;
      const bytes = await Deno.readFile(dir.join(file.name));
      assert(!leaksPlaintext(enc.encode(doc), bytes), `plaintext in ${file.name}`);
    }
  });
}

Deno.test("stackLayers: sealing before compressing (the old README order) does not shrink", async () => {
  // Why the order matters, measured: the same value through the hand-built
  // wrong order is stored at about its full size.
  const doc = json(24_000);
  const engine = await openInMemory("btree");
  await using wrong = await EncryptedKv.create(new CompressedKv(engine, { codec: "lz4" }), {
    keys,
    activeKeyId: "2026-11",
  });
  await wrong.put("doc", doc);
  assert((await engine.get("doc"))!.length > 23_000);
});

Deno.test("stackLayers: each layer is optional; none returns the store itself", async () => {
  const engine = await openInMemory("btree");
  const same: KvStore = await stackLayers(engine, {});
  assert(same === engine, "no layers asked for, no wrapper");
  await using compressed = await stackLayers(engine, { compress: { codec: "deflate" } });
  await compressed.put("k", "abc ".repeat(500));
  assert((await engine.get("k"))!.length < 100, "compressed at rest");
  assertEquals(dec.decode(await compressed.get("k")), "abc ".repeat(500));
});

Deno.test("stackLayers: merge runs on plaintext through compression and encryption", async () => {
  const engine = await openInMemory("btree");
  await using store = await stackLayers(engine, {
    compress: { codec: "lz4", minSize: 0 },
    encrypt: { keys, activeKeyId: "2026-11" },
    mergeOperator: (_key, old, operand) => new Uint8Array([...(old ?? []), ...operand]),
  });
  await store.merge("log", "a");
  await store.merge("log", "b");
  assertEquals(dec.decode(await store.get("log")), "ab");
});

Deno.test("stackLayers: a misspelt or misplaced option is InvalidInput, never ignored", async () => {
  const engine = await openInMemory("btree");
  try {
    const err = await assertRejectsKind(
      () => stackLayers(engine, { encrpyt: {} } as never),
      "InvalidInput",
      /unknown option "encrpyt"/,
    );
    assert(err.message.startsWith("Cannot stack layers"), err.message);
    await assertRejectsKind(() => stackLayers(engine, null as never), "InvalidInput");
    await assertRejectsKind(
      () => stackLayers(engine, { mergeOperator: (_k, _o, x) => x }),
      "InvalidInput",
      /mergeOperator/,
    );
    await assertRejectsKind(
      () => stackLayers(engine, { compress: { codec: "zstd" as never } }),
      "InvalidInput",
    );
  } finally {
    await engine.close();
  }
});
