// Child process of the two-opener conformance target: opens the store named
// by argv with the kind and config in argv, then performs the writes it is
// sent on stdin (one JSON line each) and answers each on stdout. Values and
// keys travel as base64 of their bytes, strings as strings.
import { openConfig } from "@cooljapan/oxistore";
import type { KvStore } from "@cooljapan/oxistore";

const [path, configJson] = Deno.args;
const root = await openConfig(path!, JSON.parse(configJson!));
const trees = new Map<string, KvStore>();
const store = (name: string | null): KvStore => {
  if (name === null) return root;
  let t = trees.get(name);
  if (t === undefined) trees.set(name, t = root.tree(name));
  return t;
};

type Arg = { s: string } | { b: string } | { n: number } | { z: null } | Arg[];
function decode(a: Arg): unknown {
  if (Array.isArray(a)) return a.map(decode);
  if ("z" in a) return null;
  if ("s" in a) return a.s;
  if ("n" in a) return a.n;
  const bin = atob(a.b);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const enc = new TextEncoder();
const out = (msg: unknown) => Deno.stdout.writeSync(enc.encode(JSON.stringify(msg) + "\n"));
out({ ready: true });

const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
let pending = "";
for await (const chunk of lines) {
  pending += chunk;
  let nl: number;
  while ((nl = pending.indexOf("\n")) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    const { id, tree, op, args } = JSON.parse(line) as {
      id: number;
      tree: string | null;
      op: string;
      args: Arg[];
    };
    if (op === "close") {
      await root.close();
      out({ id, ok: true });
      Deno.exit(0);
    }
    try {
      const s = store(tree) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      const r = await s[op]!(...args.map(decode));
      out({ id, ok: true, result: typeof r === "boolean" || typeof r === "number" ? r : null });
    } catch (err) {
      const e = err as { kind?: string; message?: string };
      out({ id, err: { kind: e.kind ?? "Other", message: e.message ?? String(err) } });
    }
  }
}
