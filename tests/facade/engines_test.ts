// Every facade function × every engine on disk, through the published
// specifier: open, openWith, openConfig (incl. readOnly), openReadOnly,
// detectBackend, destroy, backupStore, restoreStore, and migrate between
// each pair of engines.
import {
  backupStore,
  destroy,
  detectBackend,
  type KvStore,
  migrate,
  open,
  openConfig,
  openReadOnly,
  openWith,
  restoreStore,
  STORE_KINDS,
  type StoreKind,
} from "@cooljapan/oxistore";
import { eq, eqBytes, scan, show, sleep, u, yes } from "../conformance/_helpers.ts";
import { assertRejectsKind } from "../_support/assert.ts";
import { withTempDir } from "../_support/temp_dir.ts";

const fileName: Record<StoreKind, string> = {
  btree: "store.oxi",
  lsm: "store.lsm",
  denokv: "store.sqlite",
};

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

/** The data every test writes: two trees, a TTL, an expired key, an empty value. */
async function fill(store: KvStore): Promise<void> {
  await store.batchWrite([["a", "1"], ["b", "2"], ["empty", ""]]);
  await store.tree("users").batchWrite([["ada", "admin"], ["bob", "guest"]]);
  await store.tree("jobs").put("j1", "queued");
  await store.putWithTtl("session", "s", 60_000);
  await store.putWithTtl("gone", "x", 5);
  await sleep(20); // "gone" has expired by the time anyone copies
}

/** Checks `store` holds exactly what {@link fill} wrote (and nothing expired). */
async function holdsFill(store: KvStore, what: string): Promise<void> {
  eq(await scan(store.iter()), ['"a"="1"', '"b"="2"', '"empty"=""', '"session"="s"'], what);
  eq(await scan(store.tree("users").iter()), ['"ada"="admin"', '"bob"="guest"'], `${what}: users`);
  eqBytes(await store.tree("jobs").get("j1"), "queued", `${what}: jobs`);
  const ttl = await store.ttl("session");
  yes(ttl !== undefined && ttl > 30_000 && ttl <= 60_000, `${what}: TTL kept (${ttl})`);
  eq(await store.contains("gone"), false, `${what}: expired key not copied`);
}

async function makeStore(kind: StoreKind, path: string): Promise<void> {
  await using store = await openWith(kind, path);
  await fill(store);
}

for (const kind of STORE_KINDS) {
  Deno.test(`facade × ${kind}: openWith creates, open and openConfig reopen, detectBackend names it`, async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/${fileName[kind]}`;
      await makeStore(kind, path);
      eq(await detectBackend(path), kind, "detectBackend");
      {
        await using store = await open(path);
        eq(store.kind, kind, "open(path) opens the engine that made the store");
        await holdsFill(store, "open");
      }
      const concat = (_k: Uint8Array, old: Uint8Array | undefined, op: Uint8Array) =>
        u(show(old) + show(op));
      {
        await using store = await openConfig(path, {
          kind,
          syncWrites: false,
          cacheSizeBytes: 1 << 20,
          mergeOperator: concat,
        });
        eq(store.kind, kind);
        await store.merge("m", "x");
        eqBytes(await store.get("m"), '<absent>"x"', "mergeOperator honoured");
        await store.put("late", "y");
        await store.flush();
      }
      {
        await using store = await openConfig(path, { readOnly: true, cacheSizeBytes: 1 << 16 });
        eq(store.kind, kind, "openConfig without a kind opens the engine that made the store");
        eqBytes(await store.get("late"), "y");
      }
      {
        await using store = await openConfig(path, { kind, readOnly: true });
        eqBytes(await store.get("late"), "y", "what openConfig wrote is there");
        await assertRejectsKind(
          () => store.put("k", "v"),
          "ReadOnly",
          "put through openConfig readOnly",
        );
        await assertRejectsKind(
          () => store.tree("users").put("k", "v"),
          "ReadOnly",
          "tree put through readOnly",
        );
      }
      // Another engine's open does not take the store over.
      for (const other of STORE_KINDS.filter((k) => k !== kind)) {
        let refused = false;
        try {
          const s = await openConfig(path, { kind: other, readOnly: true });
          await s.close();
        } catch {
          refused = true;
        }
        yes(refused, `openConfig(${other}) refuses a ${kind} store`);
      }
      eq(await detectBackend(path), kind, "the store is still the same engine");
    });
  });

  Deno.test(`facade × ${kind}: openReadOnly and openConfig readOnly never create`, async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/${fileName[kind]}`;
      await assertRejectsKind(
        () => openReadOnly(path),
        "NotFound",
        "openReadOnly of a missing store",
      );
      await assertRejectsKind(
        () => openConfig(path, { kind, readOnly: true }),
        "NotFound",
        "openConfig readOnly of a missing store",
      );
      await assertRejectsKind(
        () => detectBackend(path),
        "NotFound",
        "detectBackend of a missing store",
      );
      eq(await exists(path), false, "nothing was created");
      await makeStore(kind, path);
      await using ro = await openReadOnly(path);
      eq(ro.kind, kind, "openReadOnly detects the engine");
      await holdsFill(ro, "openReadOnly");
      await assertRejectsKind(() => ro.put("a", "9"), "ReadOnly", "put through openReadOnly");
      await assertRejectsKind(() => ro.delete("a"), "ReadOnly", "delete through openReadOnly");
      eqBytes(await ro.get("a"), "1", "nothing changed");
    });
  });

  Deno.test(`facade × ${kind}: destroy removes exactly the store, refuses anything else`, async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/${fileName[kind]}`;
      await destroy(kind, path); // absent: no-op
      await makeStore(kind, path);
      const bystander = `${dir}/keep.txt`;
      await Deno.writeTextFile(bystander, "not a store");
      await assertRejectsKind(
        () => destroy(kind, bystander),
        "InvalidInput",
        "destroy of a plain file",
      );
      eq(await Deno.readTextFile(bystander), "not a store", "a refused destroy removes nothing");
      for (const other of STORE_KINDS.filter((k) => k !== kind)) {
        await assertRejectsKind(
          () => destroy(other, path),
          "InvalidInput",
          `destroy(${other}) of a ${kind} store`,
        );
      }
      eq(await detectBackend(path), kind, "the store survived the refused destroys");
      await destroy(kind, path);
      const left = [];
      for await (const e of Deno.readDir(dir)) left.push(e.name);
      eq(left, ["keep.txt"], "every file of the store is gone (and only those)");
      await assertRejectsKind(() => detectBackend(path), "NotFound", "detectBackend after destroy");
      await destroy(kind, path); // absent again: no-op
    });
  });

  for (const to of STORE_KINDS) {
    Deno.test(`facade × ${kind} → ${to}: backupStore, restoreStore`, async () => {
      await withTempDir(async (dir) => {
        const src = `${dir}/src-${fileName[kind]}`;
        const dst = `${dir}/dst-${fileName[to]}`;
        const bak = `${dir}/src.bak`;
        await assertRejectsKind(
          () => backupStore(kind, src, bak),
          "NotFound",
          "backupStore of a missing store",
        );
        eq(await exists(src), false, "backupStore never creates its source");
        await makeStore(kind, src);
        await backupStore(kind, src, bak);
        await restoreStore(to, bak, dst);
        {
          await using d = await openReadOnly(dst);
          eq(d.kind, to, "restored into the asked engine");
          await holdsFill(d, `restore ${kind} → ${to}`);
        }
        // Restore replaces; a failed restore changes nothing and creates nothing.
        {
          await using d = await openWith(to, dst);
          await d.put("stale", "vanishes");
        }
        await restoreStore(to, bak, dst);
        {
          await using d = await openWith(to, dst);
          eq(await d.contains("stale"), false, "restore replaces the contents");
        }
        const junk = `${dir}/junk.bak`;
        await Deno.writeFile(junk, u("not a backup"));
        await assertRejectsKind(
          () => restoreStore(to, junk, dst),
          "Corruption",
          "restoreStore of a bad backup",
        );
        {
          await using d = await openWith(to, dst);
          await holdsFill(d, "a failed restore left the store as it was");
        }
        const fresh = `${dir}/fresh-${fileName[to]}`;
        await assertRejectsKind(
          () => restoreStore(to, junk, fresh),
          "Corruption",
          "restore into a new store",
        );
        await assertRejectsKind(
          () => restoreStore(to, `${dir}/nope.bak`, fresh),
          "NotFound",
          "restore from a missing file",
        );
        const names = [];
        for await (const e of Deno.readDir(dir)) names.push(e.name);
        yes(
          !names.some((n) => n.startsWith("fresh-")),
          `a failed restore leaves nothing new behind (found ${names.join(", ")})`,
        );
      });
    });

    Deno.test(`facade × ${kind} → ${to}: migrate copies every tree and TTL`, async () => {
      await withTempDir(async (dir) => {
        const src = `${dir}/src-${fileName[kind]}`;
        const dst = `${dir}/dst-${fileName[to]}`;
        await makeStore(kind, src);
        // Enough keys for several batches.
        {
          await using s = await openWith(kind, src);
          const bulk: [string, string][] = [];
          for (let i = 0; i < 1000; i++) bulk.push([`n${String(i).padStart(4, "0")}`, `v${i}`]);
          await s.tree("bulk").batchWrite(bulk);
        }
        {
          await using d = await openWith(to, dst);
          await d.put("existing", "kept");
          await d.put("a", "overwritten");
        }
        await using from = await openReadOnly(src);
        await using into = await openWith(to, dst);
        const progress: number[] = [];
        const copied = await migrate(from, into, { onProgress: (p) => progress.push(p.keys) });
        eq(copied, 4 + 3 + 1000, "every live key of every tree (not the expired one)");
        eq(progress.at(-1), copied, "the last progress report counts every key");
        yes(progress.length >= 2, `progress is reported per batch (${progress.length})`);
        eqBytes(await into.get("existing"), "kept", "migrate adds; it does not clear dst");
        eqBytes(await into.get("a"), "1", "src overwrites dst's key");
        eq(await into.tree("bulk").count(), 1000);
        eqBytes(await into.tree("bulk").get("n0777"), "v777");
        await into.delete("existing");
        await holdsFill(into, `migrate ${kind} → ${to}`);
      });
    });
  }
}
