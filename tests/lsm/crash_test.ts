// Kills a writing child process with SIGKILL at random moments (often in the
// middle of a flush or a compaction) and checks after each kill that the
// store reopens, every acknowledged commit survived, and no commit is half
// applied.
import { assert, assertEquals } from "../_support/assert.ts";
import { openLsm } from "../../kv/lsm/mod.ts";

const KILLS = 50;
const dec = new TextDecoder();

/**
 * Runs the writer and kills it `killAfterMs` after it is ready, or, with
 * `atCompaction`, that long after it reports its first compaction (so the
 * kill lands in the middle of one).
 */
async function runChild(dir: string, start: number, killAfterMs: number, atCompaction: boolean) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_crash_writer.ts", import.meta.url).pathname,
      dir,
      String(start),
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let armed = false;
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  };
  const fallback = setTimeout(kill, 10_000);
  const reader = (async () => {
    for await (const chunk of child.stdout) {
      text += dec.decode(chunk, { stream: true });
      const trigger = atCompaction ? /stats \d+ [1-9]/.test(text) : text.includes("ready\n");
      if (!armed && trigger) {
        armed = true;
        setTimeout(kill, killAfterMs);
      }
    }
  })();
  const errText = (async () => {
    let s = "";
    for await (const chunk of child.stderr) s += dec.decode(chunk);
    return s;
  })();
  const status = await child.status;
  clearTimeout(fallback);
  await reader;
  const stderr = await errText;
  assert(status.signal === "SIGKILL", `child ended without the kill: ${status.code} ${stderr}`);
  const acked: number[] = [];
  let compactions = 0;
  for (const line of text.split("\n")) {
    const m = /^ack (\d+)$/.exec(line);
    if (m) acked.push(Number(m[1]));
    const s = /^stats (\d+) (\d+)$/.exec(line);
    if (s) compactions = Math.max(compactions, Number(s[2]));
  }
  return { acked, compactions };
}

Deno.test("lsm survives SIGKILL during writes, flushes and compactions", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lsm-crash-" });
  const acked = new Set<number>();
  let next = 0;
  let sawCompaction = 0;
  try {
    for (let round = 0; round < KILLS; round++) {
      const atCompaction = round % 2 === 1;
      const delay = atCompaction ? Math.random() * 30 : 40 + Math.random() * 260;
      const { acked: got, compactions } = await runChild(dir, next, delay, atCompaction);
      for (const id of got) acked.add(id);
      if (compactions > 0) sawCompaction++;
      // Reopen and check everything.
      const store = await openLsm(dir, {}, { backgroundThreads: false });
      try {
        const present = new Map<number, number>();
        const latest = new Map<number, number>();
        for await (const [k, v] of store.iter()) {
          const key = dec.decode(k);
          const c = /^c\/(\d+)\/(\d)$/.exec(key);
          if (c) {
            const id = Number(c[1]);
            assertEquals(dec.decode(v), `v${id}-${c[2]}-${"x".repeat(40)}`);
            present.set(id, (present.get(id) ?? 0) + 1);
          } else {
            const h = /^h\/(\d+)$/.exec(key);
            assert(h, `unexpected key ${key}`);
            latest.set(Number(h[1]), Number(dec.decode(v)));
          }
        }
        for (const id of acked) assert(present.get(id) === 4, `acknowledged commit ${id} lost`);
        let max = -1;
        for (const [id, n] of present) {
          assertEquals(n, 4, `commit ${id} half applied (${n} of 4 keys)`);
          max = Math.max(max, id);
        }
        // h/<r> must hold the newest present commit with that residue.
        for (const [id] of present) {
          const r = id % 50;
          assert((latest.get(r) ?? -1) >= id, `h/${r} older than commit ${id}`);
          assert(present.has(latest.get(r)!), `h/${r} from a commit that is not there`);
        }
        next = max + 1;
      } finally {
        await store.close();
      }
    }
    assert(acked.size > KILLS, `too few commits acknowledged: ${acked.size}`);
    // A coverage guard, not a correctness check: on a loaded machine a child is sometimes
    // killed before its first compaction starts, so ask for a quarter of the rounds.
    assert(sawCompaction >= KILLS / 4, `compactions ran in only ${sawCompaction} rounds`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
