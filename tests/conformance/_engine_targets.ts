// Conformance targets for the real engines through the facade: a store on
// disk (in a fresh temp dir per open) and one in memory.
import type { StoreConfig, StoreKind } from "../../core/config.ts";
import { openConfig, openInMemory } from "../../mod.ts";
import type { ConformanceTarget } from "./target.ts";

/** `kind` on disk at `<tmp>/<file>`; `reopen` opens the last store again. */
export function diskTarget(kind: StoreKind, file: string): ConformanceTarget {
  const dirs: string[] = [];
  let last: string | undefined;
  return {
    name: `${kind}/disk`,
    kind,
    async open(config?: StoreConfig) {
      const dir = await Deno.makeTempDir({ prefix: `oxi-${kind}-` });
      dirs.push(dir);
      last = `${dir}/${file}`;
      return openConfig(last, { ...config, kind });
    },
    reopen(config?: StoreConfig) {
      if (!last) throw new Error("reopen before open");
      return openConfig(last, { ...config, kind });
    },
    async cleanup() {
      for (const d of dirs.splice(0)) await Deno.remove(d, { recursive: true }).catch(() => {});
    },
  };
}

/** `kind` in memory. */
export function memoryTarget(kind: StoreKind): ConformanceTarget {
  return {
    name: `${kind}/memory`,
    kind,
    open: (config?: StoreConfig) => openInMemory(kind, config),
  };
}
