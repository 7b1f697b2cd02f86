// The multi-process crash run behind crash_test.ts: three writer processes
// and two readers on one store; one of them is killed with SIGKILL at a
// random moment, again and again, and started anew. Then every survivor and
// a fresh opener must agree on the store, and every acknowledged commit of
// every process must be in it, whole.
import { openConfig, openWith, type StoreKind } from "@cooljapan/oxistore";
import { createHash } from "node:crypto";
import { equal, ok } from "node:assert/strict";

const CHILD = new URL("./_crash_child.ts", import.meta.url).pathname;
const dec = new TextDecoder();

/** `p`, or a failure naming `what` after 60 s (a stuck child fails the test, never hangs it). */
async function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within 60 s`)), 60_000);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

class Proc {
  readonly child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #waiting = new Map<string, (rest: string) => void>();
  readonly done: Promise<void>;
  /** Resolves when the child has opened the store. */
  readonly ready: Promise<string>;

  constructor(
    kind: StoreKind,
    path: string,
    readonly role: "writer" | "reader",
    readonly name: string,
    acked: Set<string>,
    bad: string[],
  ) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", CHILD, kind, path, role, name],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.child = child;
    this.#stdin = child.stdin.getWriter();
    this.ready = this.expect("ready");
    const stdout = child.stdout.pipeThrough(new TextDecoderStream());
    const errText = new Response(child.stderr).text();
    this.done = (async () => {
      let pending = "";
      for await (const chunk of stdout) {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          const sp = line.indexOf(" ");
          const word = sp < 0 ? line : line.slice(0, sp);
          const rest = sp < 0 ? "" : line.slice(sp + 1);
          if (word === "ack") acked.add(rest);
          else if (word === "bad") bad.push(`${name}: ${rest}`);
          else this.#waiting.get(word)?.(rest);
        }
      }
      const status = await child.status;
      const err = await errText;
      if (status.signal !== "SIGKILL" && status.code !== 0) {
        bad.push(`${name} failed (${status.code}): ${err.slice(-2000)}`);
      }
    })();
  }

  /** Waits for the line starting with `word`; resolves with the rest. */
  expect(word: string): Promise<string> {
    return new Promise((r) => this.#waiting.set(word, r));
  }

  /** Sends `cmd`; fails (never hangs) when `reply` does not come within a minute. */
  async send(cmd: string, reply: string): Promise<string> {
    const got = this.expect(reply);
    await this.#stdin.write(new TextEncoder().encode(cmd + "\n"));
    return within(got, `${this.name} did not answer "${cmd}" with "${reply}"`);
  }

  async kill(): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.#stdin.close().catch(() => {});
    await this.done;
  }
}

async function freshDigest(kind: StoreKind, path: string): Promise<string> {
  await using store = await openConfig(path, { kind, readOnly: true });
  const h = createHash("sha256");
  let n = 0;
  for await (const [k, v] of store.range()) {
    h.update(k);
    h.update(":");
    h.update(v);
    h.update("\n");
    n++;
  }
  return `${h.digest("hex")} ${n}`;
}

/** Runs the crash loop; returns how many processes were killed. */
export async function crashRun(
  kind: StoreKind,
  path: string,
  opts: { kills: number; budgetMs: number; seed: number },
): Promise<number> {
  let seed = opts.seed >>> 0;
  const random = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const acked = new Set<string>();
  const bad: string[] = [];
  // The first opener creates the store before the crowd arrives.
  await (await openWith(kind, path)).close();
  const roles: ("writer" | "reader")[] = ["writer", "writer", "writer", "reader", "reader"];
  const generation = [0, 0, 0, 0, 0];
  const start = (i: number) => {
    const p = new Proc(kind, path, roles[i]!, `${roles[i]![0]}${i}.${generation[i]}`, acked, bad);
    return p;
  };
  const procs = roles.map((_, i) => start(i));
  try {
    return await run();
  } catch (err) {
    for (const p of procs) await p.kill();
    throw err;
  }

  async function run(): Promise<number> {
    await Promise.all(procs.map((p) => within(p.ready, `${p.name} did not open`)));
    const began = Date.now();
    let kills = 0;
    while (kills < opts.kills && Date.now() - began < opts.budgetMs) {
      await new Promise((r) => setTimeout(r, 20 + random() * 200));
      const i = Math.floor(random() * procs.length);
      await procs[i]!.kill();
      kills++;
      generation[i]!++;
      procs[i] = start(i);
      // No wait for it to open: the next kill may land in its open.
      ok(bad.length === 0, bad.join("\n"));
    }
    await Promise.all(procs.map((p) => within(p.ready, `${p.name} did not open`)));
    for (const p of procs) await p.send("stop", "stopped");
    // One more commit: its writer catches up with any commit a killed writer
    // left in the log without telling the others.
    await procs[0]!.send("final", "finaled");
    const digests = await Promise.all(procs.map((p) => p.send("digest", "digest")));
    await Promise.all(procs.map((p) => p.done));
    ok(bad.length === 0, bad.join("\n"));
    const fresh = await freshDigest(kind, path);
    for (const d of digests) equal(d, fresh, "a survivor and a fresh opener disagree");
    // Every acknowledged commit is there, whole.
    await using store = await openConfig(path, { kind, readOnly: true });
    for (const key of acked) {
      ok((await store.get(key)) !== undefined, `acknowledged ${key} is missing`);
      if (key.startsWith("b/")) ok((await store.get(key.slice(0, -1) + "b")) !== undefined);
    }
    const counter = await store.get("counter");
    let incs = 0;
    for await (const _ of store.keys("i/")) incs++;
    equal(counter === undefined ? 0 : Number(dec.decode(counter)), incs, "counter vs increments");
    ok(acked.size > kills, `only ${acked.size} acknowledged commits in ${kills} kills`);
    console.log(`${kind}: ${kills} kills, ${acked.size} acknowledged commits, ${incs} increments`);
    return kills;
  }
}
