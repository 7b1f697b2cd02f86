// The contract suite against the Deno KV engine, on a SQLite file and in memory.
import type { StoreConfig } from "../../core/config.ts";
import { openConfig, openInMemory } from "../../mod.ts";
import { runPropertyTests } from "./property.ts";
import { runConformance } from "./suite.ts";
import type { ConformanceTarget } from "./target.ts";

function fileTarget(): ConformanceTarget {
  const dirs: string[] = [];
  let last: string | undefined;
  return {
    name: "denokv/file",
    kind: "denokv",
    async open(config?: StoreConfig) {
      const dir = await Deno.makeTempDir({ prefix: "oxi-denokv-" });
      dirs.push(dir);
      last = `${dir}/store.sqlite`;
      return openConfig(last, { ...config, kind: "denokv" });
    },
    reopen(config?: StoreConfig) {
      if (!last) throw new Error("reopen before open");
      return openConfig(last, { ...config, kind: "denokv" });
    },
    async cleanup() {
      for (const d of dirs.splice(0)) await Deno.remove(d, { recursive: true }).catch(() => {});
    },
  };
}

const memory: ConformanceTarget = {
  name: "denokv/memory",
  kind: "denokv",
  open: (config?: StoreConfig) => openInMemory("denokv", config),
};

runConformance(fileTarget());
runConformance(memory);
runPropertyTests(fileTarget());
