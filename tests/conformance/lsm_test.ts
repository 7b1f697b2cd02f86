// The contract suite against the LSM engine, in a directory and in memory.
import type { StoreConfig } from "../../core/config.ts";
import { openConfig, openInMemory } from "../../mod.ts";
import { runPropertyTests } from "./property.ts";
import { runConformance } from "./suite.ts";
import type { ConformanceTarget } from "./target.ts";

function dirTarget(): ConformanceTarget {
  const dirs: string[] = [];
  let last: string | undefined;
  return {
    name: "lsm/dir",
    kind: "lsm",
    async open(config?: StoreConfig) {
      const dir = await Deno.makeTempDir({ prefix: "oxi-lsm-" });
      dirs.push(dir);
      last = `${dir}/store`;
      return openConfig(last, { ...config, kind: "lsm" });
    },
    reopen(config?: StoreConfig) {
      if (!last) throw new Error("reopen before open");
      return openConfig(last, { ...config, kind: "lsm" });
    },
    async cleanup() {
      for (const d of dirs.splice(0)) await Deno.remove(d, { recursive: true }).catch(() => {});
    },
  };
}

const memory: ConformanceTarget = {
  name: "lsm/memory",
  kind: "lsm",
  open: (config?: StoreConfig) => openInMemory("lsm", config),
};

runConformance(dirTarget());
runConformance(memory);
runPropertyTests(dirTarget());
