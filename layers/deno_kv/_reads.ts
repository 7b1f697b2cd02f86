// Private: reads of the underlying store, synchronous where the store answers synchronously (the
// B-tree and LSM engines: `getSync` / `rangeSync`). An async read costs a few promise hops per
// call and, in a list, per entry; for a point read that was a third of its time.
import type { KvEntry, KvStore, RangeOptions } from "../../core/kv.ts";
import { COUNTER_KEY } from "./_record.ts";

/** How the layer reads one store. */
export class StoreReads {
  readonly store: KvStore;
  /** True when `getSync` and `rangeSync` answer (probed once). */
  readonly sync: boolean;

  constructor(store: KvStore) {
    this.store = store;
    this.sync = probeSync(store);
  }

  /** The stored record at `key`: synchronously when the store can. */
  get(key: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    return this.sync ? this.store.getSync(key) : this.store.get(key);
  }

  /** The entries in `[lo, hi)`: a plain iterable when the store reads synchronously. */
  range(
    lo: Uint8Array,
    hi: Uint8Array,
    opts: RangeOptions,
  ): Iterable<KvEntry> | AsyncIterable<KvEntry> {
    return this.sync ? this.store.rangeSync(lo, hi, opts) : this.store.range(lo, hi, opts);
  }
}

function probeSync(store: KvStore): boolean {
  try {
    store.getSync(COUNTER_KEY);
    return true;
  } catch {
    // `Unsupported`: the store reads asynchronously (a layer, the Deno KV engine). Any other
    // error the async path meets again and reports.
    return false;
  }
}
