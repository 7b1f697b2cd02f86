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

const root = new URL("../../", import.meta.url).pathname;
const decoder = new TextDecoder();

/** Runs the CLI (`cli.ts`) as a user does, in a subprocess: its exit code and stderr. */
export async function cli(args: string[]): Promise<{ code: number; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", "cli.ts", ...args],
    cwd: root,
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).output();
  return { code: r.code, err: decoder.decode(r.stderr) };
}

/** Starts `oxistore replicate` in a subprocess; resolves once it says it is replicating. */
export async function startReplicate(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", "cli.ts", "replicate", ...args],
    cwd: root,
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let err = "";
  while (!err.includes("generation")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`replicate ended early: ${err}`);
    err += value;
  }
  return {
    async stop(): Promise<{ code: number; err: string }> {
      child.kill("SIGTERM");
      for (let r = await reader.read(); !r.done; r = await reader.read()) err += r.value;
      return { code: (await child.status).code, err };
    },
  };
}
