// The facade (mod.ts) over the Deno KV engine, in memory and in a temp dir:
// open*, detectBackend, destroy, backupStore/restoreStore, migrate and the
// free functions of API.md.
import {
  backupStore,
  destroy,
  detectBackend,
  expiryEpochMillis,
  isExpired,
  migrate,
  openConfig,
  openInMemory,
  openReadOnly,
  openWith,
  prefixUpperBound,
  restoreStore,
} from "../../mod.ts";
import { b, eq, eqBytes, scan, show, sleep, u, yes } from "../conformance/_helpers.ts";
import { assertRejectsKind } from "../_support/assert.ts";

async function tempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "oxistore-facade-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

Deno.test("facade: prefixUpperBound, expiryEpochMillis, isExpired", () => {
  eqBytes(prefixUpperBound("foo"), "fop");
  eqBytes(prefixUpperBound(b(0x61, 0x62, 0xff)), b(0x61, 0x63));
  eqBytes(prefixUpperBound(b(0x00)), b(0x01));
  eq(prefixUpperBound(b(0xff, 0xff)), undefined, "all-0xff prefix");
  eq(prefixUpperBound(""), undefined, "empty prefix");
  const before = Date.now();
  const at = expiryEpochMillis(1_000);
  yes(at >= before + 1_000 && at <= Date.now() + 1_000, "expiryEpochMillis is now + ttl");
  eq(isExpired(Date.now() - 1), true);
  eq(isExpired(Date.now() + 60_000), false);
});

Deno.test("facade: openInMemory gives independent ephemeral stores that honour config", async () => {
  await using a = await openInMemory("denokv");
  await using c = await openInMemory("denokv", {
    mergeOperator: (_k, old, op) => u(show(old) + show(op)),
  });
  eq(a.kind, "denokv");
  await a.put("k", "v");
  await using again = await openInMemory("denokv");
  eq(await again.count(), 0, "a second in-memory store starts empty");
  await c.merge("m", "x");
  eqBytes(await c.get("m"), '<absent>"x"', "mergeOperator from the config");
  await assertRejectsKind(() => a.merge("k", "x"), "Unsupported", "merge without an operator");
  // deno-lint-ignore no-explicit-any
  await assertRejectsKind(() => openInMemory("sqlite" as any), "InvalidInput", "unknown kind");
  await assertRejectsKind(
    () =>
      // deno-lint-ignore no-explicit-any
      openInMemory("denokv", { cacheSize: 5 } as any),
    "InvalidInput",
    "unknown config field",
  );
  await assertRejectsKind(
    () =>
      // deno-lint-ignore no-explicit-any
      openInMemory("denokv", { syncWrites: "yes" } as any),
    "InvalidInput",
    "non-boolean syncWrites",
  );
});

Deno.test("facade: openWith/openConfig on a file, detectBackend, openReadOnly", async () => {
  await tempDir(async (dir) => {
    const path = `${dir}/kv.sqlite`;
    await assertRejectsKind(
      () => detectBackend(path),
      "NotFound",
      "detectBackend of a missing path",
    );
    await assertRejectsKind(
      () => openReadOnly(path),
      "NotFound",
      "openReadOnly of a missing store",
    );
    eq(await exists(path), false, "openReadOnly never creates");
    await assertRejectsKind(
      () => openConfig(path, { kind: "denokv", readOnly: true }),
      "NotFound",
      "openConfig readOnly of a missing store",
    );
    eq(await exists(path), false, "a read-only openConfig never creates");
    {
      await using store = await openWith("denokv", path);
      eq(store.kind, "denokv");
      await store.put("k", "v");
      await store.putWithTtl("t", "x", 60_000);
    }
    eq(await detectBackend(path), "denokv");
    {
      await using ro = await openReadOnly(path);
      eq(ro.kind, "denokv");
      eqBytes(await ro.get("k"), "v");
      yes((await ro.ttl("t"))! > 50_000, "TTL survives reopen");
      await assertRejectsKind(() => ro.put("k", "w"), "ReadOnly", "put through openReadOnly");
    }
    {
      await using store = await openConfig(path, { kind: "denokv", syncWrites: false });
      await store.put("k", "w");
      await store.flush();
    }
    {
      await using store = await openWith("denokv", path);
      eqBytes(await store.get("k"), "w", "openConfig wrote to the same store");
    }
    const junk = `${dir}/junk.bin`;
    await Deno.writeFile(junk, u("definitely not a database file"));
    await assertRejectsKind(
      () => detectBackend(junk),
      "Corruption",
      "detectBackend of a foreign file",
    );
    await assertRejectsKind(
      () => openReadOnly(junk),
      "Corruption",
      "openReadOnly of a foreign file",
    );
    await assertRejectsKind(
      // deno-lint-ignore no-explicit-any
      () => openWith("x" as any, path),
      "InvalidInput",
      "openWith an unknown kind",
    );
  });
});

Deno.test("facade: destroy removes a store and is a no-op when absent", async () => {
  await tempDir(async (dir) => {
    const path = `${dir}/gone.sqlite`;
    await destroy("denokv", path); // absent: no-op
    {
      await using store = await openWith("denokv", path);
      await store.put("k", "v");
    }
    yes(await exists(path), "the store made a file");
    await destroy("denokv", path);
    for (const f of [path, `${path}-wal`, `${path}-shm`]) {
      eq(await exists(f), false, `${f} removed`);
    }
    await assertRejectsKind(() => openReadOnly(path), "NotFound", "open read-only after destroy");
    await destroy("denokv", path);
  });
});

Deno.test("facade: backupStore/restoreStore copy a store; restore replaces", async () => {
  await tempDir(async (dir) => {
    const src = `${dir}/src.sqlite`;
    const dst = `${dir}/dst.sqlite`;
    const bak = `${dir}/src.bak`;
    {
      await using s = await openWith("denokv", src);
      await s.batchWrite([["a", "1"], ["b", "2"]]);
      await s.tree("t").put("k", "tree");
      await s.putWithTtl("ttl", "x", 60_000);
    }
    await backupStore("denokv", src, bak);
    {
      await using d = await openWith("denokv", dst);
      await d.put("stale", "vanishes");
    }
    await restoreStore("denokv", bak, dst);
    {
      await using d = await openWith("denokv", dst);
      eq(await scan(d.iter()), ['"a"="1"', '"b"="2"', '"ttl"="x"'], "restore replaced dst");
      eqBytes(await d.tree("t").get("k"), "tree", "named trees are in the backup");
      yes((await d.ttl("ttl"))! > 50_000, "TTLs are in the backup");
    }
    await Deno.writeFile(bak, u("garbage"));
    await assertRejectsKind(
      () => restoreStore("denokv", bak, dst),
      "Corruption",
      "restoreStore from a bad backup",
    );
    {
      await using d = await openWith("denokv", dst);
      eq(await d.count(), 3, "a failed restore left dst as it was");
    }
  });
});

Deno.test("facade: migrate copies live keys and TTLs from a snapshot", async () => {
  await using src = await openInMemory("denokv");
  await using dst = await openInMemory("denokv");
  const pairs: [string, string][] = [];
  for (let i = 0; i < 1200; i++) pairs.push([`k${String(i).padStart(4, "0")}`, `v${i}`]);
  await src.batchWrite(pairs.slice(0, 600));
  await src.batchWrite(pairs.slice(600));
  await src.put(b(0x00, 0xff), "");
  await src.putWithTtl("ttl/live", "L", 60_000);
  await src.putWithTtl("ttl/dead", "D", 10);
  await dst.put("existing", "kept");
  await sleep(30);
  const copied = await migrate(src, dst);
  eq(copied, 1200 + 2, "live keys copied (the expired one is not)");
  eq(await dst.count(), 1200 + 2 + 1);
  eqBytes(await dst.get("k0777"), "v777");
  eqBytes(await dst.get(b(0x00, 0xff)), "", "empty value copied");
  eq(await dst.contains("ttl/dead"), false);
  const ttl = await dst.ttl("ttl/live");
  yes(ttl !== undefined && ttl > 50_000 && ttl <= 60_000, `TTL carried over (${ttl})`);
  eqBytes(await dst.get("existing"), "kept", "migrate adds, it does not clear dst");
});

Deno.test("facade: Deno KV without --unstable-kv is Unsupported with the hint", async () => {
  const code = `
    import { openInMemory } from ${JSON.stringify(new URL("../../mod.ts", import.meta.url).href)};
    try { await openInMemory("denokv"); console.log("opened"); }
    catch (e) { console.log(e.kind + " " + e.message); }
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", "--no-lock", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  yes(
    text.startsWith("Unsupported "),
    `child said: ${text} ${new TextDecoder().decode(out.stderr)}`,
  );
  yes(text.includes("--unstable-kv"), "the message says how to enable Deno KV");
});

Deno.test("facade: migrate through a layer copies the default keyspace and the trees it is told", async () => {
  const { CachedKvStore } = await import("@cooljapan/oxistore/cache");
  await using inner = await openInMemory("btree");
  await inner.put("a", "1");
  await inner.putWithTtl("t", "x", 60_000);
  await inner.tree("users").put("ada", "admin");
  await inner.tree("jobs").put("j1", "queued");
  await using layered = new CachedKvStore(inner, { maxEntries: 100 });

  await using plain = await openInMemory("lsm");
  eq(await migrate(layered, plain), 2, "a layer cannot list its trees: the default keyspace only");
  eq(await plain.tree("users").count(), 0);
  yes((await plain.ttl("t"))! > 50_000, "the TTL came through the layer");

  await using named = await openInMemory("denokv");
  const reports: number[] = [];
  const copied = await migrate(layered, named, {
    trees: ["users", "jobs"],
    onProgress: (p) => reports.push(p.keys),
  });
  eq(copied, 4, "default keyspace plus the named trees");
  eqBytes(await named.tree("users").get("ada"), "admin");
  eqBytes(await named.tree("jobs").get("j1"), "queued");
  eq(reports.at(-1), 4, "the last progress report counts every key");

  await assertRejectsKind(
    () =>
      // deno-lint-ignore no-explicit-any
      migrate(layered, named, { trees: [""] as any }),
    "InvalidInput",
    "trees must be names",
  );
  await assertRejectsKind(
    async () => {
      const dir = await Deno.makeTempDir();
      try {
        await (await openWith("btree", `${dir}/ro.oxi`)).close();
        await using ro = await openReadOnly(`${dir}/ro.oxi`);
        await migrate(inner, ro);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
    "ReadOnly",
    "migrate into a read-only store",
  );
});

Deno.test("facade: a damaged store is still its engine's: detected, refused with Corruption, destroyable", async () => {
  await tempDir(async (dir) => {
    const lsm = `${dir}/events`;
    {
      await using s = await openWith("lsm", lsm);
      await s.put("k", "v");
    }
    // Keep the manifest's magic bytes, break the rest: the engine, not the
    // facade, decides what is wrong with it.
    const manifest = await Deno.readFile(`${lsm}/MANIFEST`);
    manifest.fill(0xee, 8);
    await Deno.writeFile(`${lsm}/MANIFEST`, manifest);
    eq(await detectBackend(lsm), "lsm", "the LSM engine still claims its directory");
    await assertRejectsKind(() => openReadOnly(lsm), "Corruption", "opening a damaged manifest");
    await destroy("lsm", lsm);
    eq(await exists(lsm), false, "destroy removed the damaged store");

    const btree = `${dir}/data.oxi`;
    await (await openWith("btree", btree)).close();
    const file = await Deno.open(btree, { write: true });
    await file.truncate(12); // the magic bytes survive, the header does not
    file.close();
    eq(await detectBackend(btree), "btree");
    await assertRejectsKind(() => openReadOnly(btree), "Corruption", "a truncated B-tree");
  });
});
