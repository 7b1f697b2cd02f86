// A backup from any engine restores into any other: trees, TTLs and all.
import { STORE_KINDS, type StoreKind } from "../../core/config.ts";
import { openWith } from "../../mod.ts";

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

const text = (b: Uint8Array | undefined) => b && new TextDecoder().decode(b);
const file: Record<StoreKind, string> = { btree: "s.oxi", lsm: "s.lsm", denokv: "s.sqlite" };

for (const from of STORE_KINDS) {
  Deno.test(`backup: a ${from} backup restores into every engine`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const backup = `${dir}/${from}.bak`;
      {
        await using src = await openWith(from, `${dir}/src-${file[from]}`);
        await src.batchWrite([["a", "1"], [new Uint8Array([0, 0xff]), new Uint8Array(70_000)]]);
        await src.putWithTtl("ttl", "t", 60_000);
        await src.putWithTtl("gone", "g", 1);
        await src.tree("logs").put("a", "tree value");
        await new Promise((r) => setTimeout(r, 5));
        await src.backup(backup);
      }
      for (const to of STORE_KINDS) {
        await using dst = await openWith(to, `${dir}/dst-${to}-${file[to]}`);
        await dst.put("stale", "replaced by the restore");
        await dst.restore(backup);
        const where = `${from} → ${to}`;
        assert(text(await dst.get("a")) === "1", `${where}: plain key`);
        assert(
          (await dst.get(new Uint8Array([0, 0xff])))?.length === 70_000,
          `${where}: large value`,
        );
        const ttl = await dst.ttl("ttl");
        assert(ttl !== undefined && ttl > 50_000 && ttl <= 60_000, `${where}: TTL kept (${ttl})`);
        assert(!(await dst.contains("gone")), `${where}: expired keys are not restored`);
        assert(!(await dst.contains("stale")), `${where}: restore replaces, never merges`);
        assert(text(await dst.tree("logs").get("a")) === "tree value", `${where}: named trees`);
        assert(await dst.count() === 3, `${where}: exactly the backup's live keys`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
