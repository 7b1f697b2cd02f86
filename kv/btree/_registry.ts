// Which engine backs a store handle, for tests and tools inside the package.
import type { KvStore } from "../../core/kv.ts";
import type { BTreeEngine } from "./_engine.ts";

const engines = new WeakMap<KvStore, BTreeEngine>();

export function register(store: KvStore, engine: BTreeEngine): void {
  engines.set(store, engine);
}

/** The engine behind a store opened by `openBTree`, if any. */
export function engineOf(store: KvStore): BTreeEngine | undefined {
  return engines.get(store);
}
