/**
 * Several processes on one store, side by side with SQLite (node:sqlite,
 * WAL, synchronous=FULL) under the same load:
 *
 * - two writer processes making durable single-key commits for a few
 *   seconds: combined commits/s;
 * - a reader process polling a key another process commits every 20 ms:
 *   the median delay from commit (before the call) to visibility.
 *
 * deno run -A bench/multiprocess.ts [--engines btree,sqlite] [--seconds 5]
 *
 * @module
 */
import { parseArgs } from "node:util";

const CHILD = new URL("./_multiprocess_child.ts", import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    engines: { type: "string", default: "btree,sqlite" },
    seconds: { type: "string", default: "5" },
    stamps: { type: "string", default: "60" },
  },
});
const ms = Number(values.seconds) * 1000;

function spawn(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", CHILD, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream());
  const reader = lines.getReader();
  let buffered = "";
  const line = async (): Promise<string> => {
    for (;;) {
      const nl = buffered.indexOf("\n");
      if (nl >= 0) {
        const l = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        return l;
      }
      const r = await reader.read();
      if (r.done) return "";
      buffered += r.value;
    }
  };
  const go = async () => {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode("go\n"));
    await w.close();
  };
  return { child, line, go };
}

async function store(kind: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "oxi-mpbench-" });
  return `${dir}/${kind === "sqlite" ? "db.sqlite" : "store"}`;
}

async function writers(kind: string): Promise<number> {
  const path = await store(kind);
  const ps = [0, 1].map((i) => spawn(["writer", kind, path, String(ms), `w${i}`]));
  for (const p of ps) await p.line();
  await Promise.all(ps.map((p) => p.go()));
  let total = 0;
  for (const p of ps) {
    total += Number((await p.line()).split(" ")[1]);
    await p.child.status;
  }
  return total / (ms / 1000);
}

async function visibility(kind: string): Promise<number> {
  const path = await store(kind);
  const n = Number(values.stamps);
  const stamper = spawn(["stamper", kind, path, String(n)]);
  await stamper.line();
  const watcher = spawn(["watcher", kind, path, String(n - 5)]);
  await watcher.line();
  await Promise.all([stamper.go(), watcher.go()]);
  const delays = (await watcher.line()).split(" ")[1]!.split(",").map(Number).sort((a, b) => a - b);
  await stamper.child.status;
  await watcher.child.status;
  return delays[Math.floor(delays.length / 2)]!;
}

console.log("engine   2 writers durable commits/s   reader sees a commit (median ms)");
for (const kind of values.engines.split(",")) {
  const w = await writers(kind);
  const v = await visibility(kind);
  console.log(`${kind.padEnd(8)} ${w.toFixed(0).padStart(28)}   ${v.toFixed(2).padStart(30)}`);
}
