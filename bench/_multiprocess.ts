// Several processes on one store (bench/_multiprocess_child.ts drives each):
// two writer processes' combined durable single-key commits per second, and
// the median delay before a reader process sees another process's commit.
// bench/multiprocess.ts prints them; bench/compare.ts adds them as rows.

const CHILD = new URL("./_multiprocess_child.ts", import.meta.url).pathname;

/** Store kinds the child can open: oxistore engines (`openWith`) and "sqlite". */
export const MULTIPROCESS_KINDS: readonly string[] = ["btree", "lsm", "denokv", "sqlite"];

function spawn(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", CHILD, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
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

async function storePath(kind: string, tmpRoot?: string): Promise<string> {
  const dir = await Deno.makeTempDir({
    prefix: "oxi-mpbench-",
    ...(tmpRoot !== undefined ? { dir: tmpRoot } : {}),
  });
  return `${dir}/${kind === "sqlite" ? "db.sqlite" : "store"}`;
}

function removeStore(path: string): void {
  try {
    Deno.removeSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  } catch { /* already gone */ }
}

/** Two writer processes, durable single-key commits for `ms`: combined commits/s. */
export async function twoWriters(kind: string, ms: number, tmpRoot?: string): Promise<number> {
  const path = await storePath(kind, tmpRoot);
  try {
    const ps = [0, 1].map((i) => spawn(["writer", kind, path, String(ms), `w${i}`]));
    for (const p of ps) await p.line();
    await Promise.all(ps.map((p) => p.go()));
    let total = 0;
    for (const p of ps) {
      const count = Number((await p.line()).split(" ")[1]);
      if (!(count >= 0) || !(await p.child.status).success) {
        throw new Error(`a ${kind} writer process failed`);
      }
      total += count;
    }
    return total / (ms / 1000);
  } finally {
    removeStore(path);
  }
}

/**
 * A process commits a timestamp every 20 ms, `stamps` times; another polls
 * it with `get`: the median ms from before the commit call to the read that
 * sees it.
 */
export async function visibility(kind: string, stamps: number, tmpRoot?: string): Promise<number> {
  const path = await storePath(kind, tmpRoot);
  try {
    const stamper = spawn(["stamper", kind, path, String(stamps)]);
    await stamper.line();
    const watcher = spawn(["watcher", kind, path, String(stamps - 5)]);
    await watcher.line();
    await Promise.all([stamper.go(), watcher.go()]);
    const delays = (await watcher.line()).split(" ")[1]!.split(",").map(Number)
      .sort((a, b) => a - b);
    await stamper.child.status;
    await watcher.child.status;
    if (delays.length === 0 || delays.some((d) => !Number.isFinite(d))) {
      throw new Error(`the ${kind} reader process saw no commits`);
    }
    return delays[Math.floor(delays.length / 2)]!;
  } finally {
    removeStore(path);
  }
}
