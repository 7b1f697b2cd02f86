// `import-denokv` and `export-denokv`: copy a native Deno KV database into a
// store (through the Deno KV API layer, so `openKv` reads it back) and out.
import { destroy, detectBackend } from "../mod.ts";
import { exportDenoKv, importDenoKv, openKv } from "../layers/deno_kv/mod.ts";
import { StoreError } from "../core/error.ts";
import { type CommandIo, exists } from "./_commands.ts";
import { type CommandSpec, kindOption, type Parsed } from "./_spec.ts";

/** The Deno KV commands by name; each returns the exit code. */
export const DENO_KV_RUN = {
  async "import-denokv"(p: Parsed, io: CommandIo, spec: CommandSpec): Promise<number> {
    const [src, dst] = p.positionals as [string, string];
    const kind = kindOption(p, "kind", spec);
    if (!(await exists(src))) {
      throw new StoreError("NotFound", `Cannot import Deno KV from ${src}: no file there`);
    }
    const created = !(await exists(dst));
    try {
      await using kv = await openKv(dst, kind ? { kind } : {});
      const n = await importDenoKv(src, kv);
      io.out(`imported ${n} entries from ${src} into ${dst}`);
    } catch (err) {
      if (created) await destroy(kind ?? "btree", dst).catch(() => {});
      throw err;
    }
    return 0;
  },

  async "export-denokv"(p: Parsed, io: CommandIo): Promise<number> {
    const [src, dst] = p.positionals as [string, string];
    await detectBackend(src); // NotFound / Corruption before anything is created
    const created = !(await exists(dst));
    try {
      await using kv = await openKv(src);
      const n = await exportDenoKv(kv, dst);
      io.out(`exported ${n} entries from ${src} into ${dst}`);
    } catch (err) {
      if (created) await destroy("denokv", dst).catch(() => {});
      throw err;
    }
    return 0;
  },
};
