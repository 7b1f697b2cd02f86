import { equal, ok } from "node:assert/strict";
import { openBTree } from "../../kv/btree/mod.ts";
import { checkInvariants } from "../../kv/btree/_check.ts";
import type { KvStore } from "../../core/kv.ts";
import { bulkKey, removeDir, rng, tempPath } from "./_helpers.ts";

const WRITER = new URL("./_crash_writer.ts", import.meta.url).pathname;
const dec = new TextDecoder();

/** Starts the writer, kills it with SIGKILL after `ms`, returns the last acknowledged id. */
async function runAndKill(path: string, ms: number, mode: string): Promise<number | undefined> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", WRITER, path, mode],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let ready = false;
  const reader = child.stdout.getReader();
  const readAll = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += dec.decode(value);
      if (!ready && text.includes("ready\n")) ready = true;
    }
  })();
  const errText = new Response(child.stderr).text();
  const start = Date.now();
  while (!ready && Date.now() - start < 20000) await new Promise((r) => setTimeout(r, 5));
  ok(ready, `writer never became ready: ${await Promise.race([errText, Promise.resolve("")])}`);
  await new Promise((r) => setTimeout(r, ms));
  child.kill("SIGKILL");
  const status = await child.status;
  await readAll;
  const err = await errText;
  ok(status.signal === "SIGKILL" || status.code === 0, `writer failed: ${err}`);
  const acked = text.split("\n").filter((l) => /^\d+$/.test(l)).map(Number);
  return acked.length > 0 ? acked[acked.length - 1] : undefined;
}

/** Checks the store holds exactly the state after commit `last` for some allowed `last`. */
async function verify(store: KvStore, allowed: number[], mode: string): Promise<number> {
  checkInvariants(store);
  const raw = await store.get("last");
  const last = raw === undefined ? 0 : Number(dec.decode(raw));
  ok(allowed.includes(last), `store is at commit ${last}, expected one of ${allowed}`);
  if (mode === "bulk") return verifyBulk(store, last);
  const want = new Map<string, string>();
  for (let c = Math.max(1, last - 49); c <= last; c++) {
    for (let j = 0; j < 5; j++) want.set(`id/${String(c).padStart(8, "0")}/${j}`, String(c));
  }
  let n = 0;
  for await (const [k, v] of store.prefixScan("id/")) {
    const key = dec.decode(k);
    equal(dec.decode(v), want.get(key), `value of ${key} at commit ${last}`);
    n++;
  }
  equal(n, want.size, `keys present at commit ${last}`);
  if (last > 0) {
    const big = dec.decode(await store.get("big"));
    equal(big, String(last).repeat(Math.ceil(6000 / String(last).length)));
  }
  return last;
}

/** Every key of bulk commits 1..last, with its commit's value, and nothing else. */
async function verifyBulk(store: KvStore, last: number): Promise<number> {
  const want = new Map<string, string>();
  for (let c = 1; c <= last; c++) {
    for (let j = 0; j < 100; j++) want.set(bulkKey(c, j), String(c).padEnd(120, "."));
  }
  let n = 0;
  for await (const [k, v] of store.prefixScan("r/")) {
    const key = dec.decode(k);
    equal(dec.decode(v), want.get(key), `value of ${key} at commit ${last}`);
    n++;
  }
  equal(n, want.size, `keys present at commit ${last}`);
  return last;
}

async function crashLoop(kills: number, mode: string, seed: number): Promise<void> {
  const path = tempPath("crash");
  const rand = rng(seed);
  let last = 0;
  try {
    for (let i = 0; i < kills; i++) {
      const acked = await runAndKill(path, 15 + Math.floor(rand() * 120), mode);
      const floor = acked ?? last;
      // The commit in flight when the kill landed may or may not have made it.
      const store = await openBTree(path, { readOnly: i % 2 === 1 });
      try {
        last = await verify(store, [floor, floor + 1], mode);
        if (Deno.env.get("CRASH_DEBUG")) console.log(`kill ${i}: acked ${acked} store ${last}`);
      } finally {
        await store.close();
      }
    }
    ok(last > kills, `only ${last} commits in ${kills} runs`);
  } finally {
    removeDir(path);
  }
}

Deno.test({
  name: "btree keeps every acknowledged durable commit, whole, across 50 SIGKILLs",
  sanitizeResources: false,
  fn: () => crashLoop(50, "sync", 7),
});

Deno.test({
  name: "btree with syncWrites off keeps every resolved commit across 15 SIGKILLs",
  sanitizeResources: false,
  fn: () => crashLoop(15, "nosync", 11),
});

Deno.test({
  name: "btree keeps every acknowledged bulk batch across 30 SIGKILLs (log replay, checkpoints)",
  sanitizeResources: false,
  fn: () => crashLoop(30, "bulk", 13),
});
