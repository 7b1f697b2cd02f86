// A conformance target with two openers of one store in two processes: the
// store a case gets is opened here, and a child process (`_twin.ts`) opens
// the same path. Every write the case makes (put, delete, batches, TTL puts,
// compare-and-swap, expire, persist) is made by the child; every read,
// scan, snapshot, transaction and watch runs here. So each case checks that
// a commit resolved in one process is seen by the next read in the other.
import type { StoreConfig, StoreKind } from "../../core/config.ts";
import type { KvStore } from "../../core/kv.ts";
import { StoreError } from "../../core/error.ts";
import { openConfig } from "../../mod.ts";
import type { ConformanceTarget } from "../conformance/target.ts";

const TWIN = new URL("./_twin.ts", import.meta.url).pathname;
const FORWARDED = new Set([
  "put",
  "delete",
  "batchWrite",
  "batchDelete",
  "putWithTtl",
  "compareAndSwap",
  "expire",
  "persist",
]);

type Arg = { s: string } | { b: string } | { n: number } | { z: null } | Arg[];

/** Wire form of an argument; undefined when it cannot travel (bad input: checked locally). */
function encode(v: unknown): Arg | undefined {
  if (typeof v === "string") return { s: v };
  if (typeof v === "number" && Number.isFinite(v)) return { n: v };
  if (v === null) return { z: null };
  if (v instanceof Uint8Array) {
    if (v.length > 8 << 20) return undefined; // past the pipe's comfort: checked locally
    let bin = "";
    for (let i = 0; i < v.length; i += 0x8000) {
      bin += String.fromCharCode(...v.subarray(i, i + 0x8000));
    }
    return { b: btoa(bin) };
  }
  if (Array.isArray(v)) {
    const out: Arg[] = [];
    for (const x of v) {
      const e = encode(x);
      if (e === undefined) return undefined;
      out.push(e);
    }
    return out;
  }
  return undefined;
}

/** The child process holding the second handle. */
class Twin {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #waiting = new Map<number, (msg: Record<string, unknown>) => void>();
  #next = 0;
  readonly ready: Promise<void>;
  readonly done: Promise<void>;

  constructor(path: string, config: StoreConfig) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", TWIN, path, JSON.stringify(config)],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    let onReady!: () => void;
    this.ready = new Promise((r) => onReady = r);
    this.done = (async () => {
      let pending = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          const msg = JSON.parse(pending.slice(0, nl)) as Record<string, unknown>;
          pending = pending.slice(nl + 1);
          if (msg.ready) onReady();
          else this.#waiting.get(msg.id as number)?.(msg);
        }
      }
      await child.status;
    })();
  }

  async call(tree: string | null, op: string, args: Arg[]): Promise<unknown> {
    const id = this.#next++;
    const reply = new Promise<Record<string, unknown>>((r) => this.#waiting.set(id, r));
    await this.#writer.write(
      new TextEncoder().encode(JSON.stringify({ id, tree, op, args }) + "\n"),
    );
    const msg = await reply;
    this.#waiting.delete(id);
    if (msg.err !== undefined) {
      const e = msg.err as { kind: string; message: string };
      throw new StoreError(e.kind as never, e.message);
    }
    return msg.result;
  }

  async close(): Promise<void> {
    await this.call(null, "close", []).catch(() => {});
    await this.#writer.close().catch(() => {});
    await this.done;
  }
}

/** `local` with its writes made through `twin` (same tree), until it is closed. */
function twinned(
  local: KvStore,
  twin: Twin,
  tree: string | null,
  onClose?: () => Promise<void>,
): KvStore {
  let closed = false;
  return new Proxy(local, {
    get(target, prop) {
      const own = Reflect.get(target, prop, target);
      if (prop === "close") {
        return async () => {
          closed = true;
          await target.close();
          await onClose?.();
        };
      }
      if (prop === Symbol.asyncDispose) {
        return () => (twinned(local, twin, tree, onClose) as KvStore).close();
      }
      if (prop === "tree") {
        return (name: string) => twinned(target.tree(name), twin, name);
      }
      if (typeof prop === "string" && FORWARDED.has(prop)) {
        return (...args: unknown[]) => {
          const wire = encode(args);
          // Bad input, or a closed handle: the local store gives the error.
          if (closed || wire === undefined) {
            return (own as (...a: unknown[]) => unknown).apply(target, args);
          }
          return twin.call(tree, prop, wire as Arg[]);
        };
      }
      return typeof own === "function" ? own.bind(target) : own;
    },
  });
}

/** `kind` on disk, opened here and in a child process; writes go through the child. */
export function twinTarget(kind: StoreKind, file: string): ConformanceTarget {
  const dirs: string[] = [];
  const twins: Twin[] = [];
  let last: string | undefined;
  return {
    name: `${kind}/two processes`,
    kind,
    skip: {
      metrics:
        "writes are made by the child process: this handle's write counters stay 0 (metrics count per handle)",
    },
    async open(config?: StoreConfig) {
      const dir = await Deno.makeTempDir({ prefix: `oxi-twin-${kind}-` });
      dirs.push(dir);
      last = `${dir}/${file}`;
      const local = await openConfig(last, { ...config, kind });
      const { mergeOperator: _m, ...plain } = config ?? {};
      const twin = new Twin(last, { ...plain, kind });
      twins.push(twin);
      await twin.ready;
      let shut: Promise<void> | undefined;
      return twinned(local, twin, null, () => shut ??= twin.close());
    },
    reopen(config?: StoreConfig) {
      if (!last) throw new Error("reopen before open");
      return openConfig(last, { ...config, kind });
    },
    async cleanup() {
      for (const t of twins.splice(0)) await t.close();
      for (const d of dirs.splice(0)) await Deno.remove(d, { recursive: true }).catch(() => {});
    },
  };
}
