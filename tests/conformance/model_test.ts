// The reference target: core's EngineStore over the sorted-array model engine.
// It proves the suite and core agree; engines then have to agree with both.
// The engine object outlives a store, so "reopen" hands the same data to a
// new EngineStore, the way a file target reopens its file.
import { EngineStore } from "../../core/engine_store.ts";
import type { StoreConfig } from "../../core/config.ts";
import { SortedArrayEngine } from "../_support/sorted_engine.ts";
import { runConformance } from "./suite.ts";
import { runPropertyTests } from "./property.ts";
import type { ConformanceTarget } from "./target.ts";

function modelTarget(name: string, withReopen: boolean): ConformanceTarget {
  let last: SortedArrayEngine | undefined;
  const wrap = (engine: SortedArrayEngine, config?: StoreConfig) =>
    new EngineStore(engine, {
      kind: "btree",
      syncWrites: config?.syncWrites,
      readOnly: config?.readOnly,
      mergeOperator: config?.mergeOperator,
    });
  const target: ConformanceTarget = {
    name,
    kind: "btree",
    open(config) {
      last = new SortedArrayEngine();
      return Promise.resolve(wrap(last, config));
    },
  };
  if (withReopen) {
    target.reopen = (config) => {
      if (!last) throw new Error("reopen before open");
      return Promise.resolve(wrap(last, config));
    };
  }
  return target;
}

runConformance(modelTarget("model/persistent", true));
runPropertyTests(modelTarget("model/persistent", true));
