// Shared pieces of the replica tests: store contents as plain data, a blob
// store whose server can "go away", and a wait-until helper.
import { StoreError } from "@cooljapan/oxistore";
import type { KvStore } from "@cooljapan/oxistore";
import type { BlobStore } from "@cooljapan/oxistore/blob";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Every live key of every listed tree as `tree:key → value`. */
export async function contents(
  store: KvStore,
  trees: string[] = [],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of await Array.fromAsync(store.iter())) out[`:${text(k)}`] = text(v);
  for (const name of trees) {
    for (const [k, v] of await Array.fromAsync(store.tree(name).iter())) {
      out[`${name}:${text(k)}`] = text(v);
    }
  }
  return out;
}

/** A blob store wrapper whose every call fails with `Io` while `down` is true. */
export function flaky(inner: BlobStore): { store: BlobStore; down: boolean; calls: number } {
  const state = { store: undefined as unknown as BlobStore, down: false, calls: 0 };
  state.store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        state.calls++;
        if (state.down) {
          return Promise.reject(new StoreError("Io", `Cannot ${String(prop)}: server unreachable`));
        }
        return value.apply(target, args);
      };
    },
  });
  return state;
}

/** Polls `cond` every 5 ms until it holds, or fails after `ms`. */
export async function eventually(
  cond: () => Promise<boolean> | boolean,
  ms: number,
  what: string,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
