// Private: what import/export needs of a Kv beyond Deno.Kv's API (the raw records with their
// expiry), kept off the public class.
import type { KvStore } from "../../core/kv.ts";

const stores = new WeakMap<object, KvStore>();

export function registerStore(kv: object, store: KvStore): void {
  stores.set(kv, store);
}

export function storeOf(kv: object): KvStore {
  const store = stores.get(kv);
  if (store === undefined) throw new TypeError("Expected a Kv made by openKv");
  return store;
}
