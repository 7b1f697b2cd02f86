// The stores the Deno KV API tests run on: Deno KV itself (the oracle) and openKv over each
// engine, in memory and on disk.
import { openKv } from "@cooljapan/oxistore/deno-kv";
import type { StoreKind } from "@cooljapan/oxistore";

/** What the tests call: the methods Deno.Kv and our Kv share. */
export type AnyKv = Deno.Kv;

export interface Target {
  name: string;
  open(): Promise<{ kv: AnyKv; close(): Promise<void> }>;
}

const KINDS: StoreKind[] = ["btree", "lsm", "denokv"];

export const ORACLE: Target = {
  name: "Deno.openKv",
  open: async () => {
    const kv = await Deno.openKv(":memory:");
    return { kv, close: () => Promise.resolve(kv.close()) };
  },
};

function ours(kind: StoreKind, disk: boolean): Target {
  return {
    name: `openKv ${kind} ${disk ? "disk" : "memory"}`,
    open: async () => {
      const dir = disk ? await Deno.makeTempDir({ prefix: "oxi-denokv-" }) : undefined;
      const kv = await openKv(dir ? `${dir}/store` : undefined, { kind });
      return {
        kv: kv as unknown as AnyKv,
        close: async () => {
          await kv.close();
          if (dir) await Deno.remove(dir, { recursive: true });
        },
      };
    },
  };
}

/** Our API over every engine, in memory and on disk. */
export const OURS: Target[] = KINDS.flatMap((k) => [ours(k, false), ours(k, true)]);
