// Page reuse across processes: a snapshot here keeps every page it reads
// while another process rewrites and compacts; a reader process that dies
// (SIGKILL) holds nothing back.
import { equal, ok } from "node:assert/strict";
import { openWith } from "@cooljapan/oxistore";

const CHURN = new URL("./_churn_child.ts", import.meta.url).pathname;
const dec = new TextDecoder();
const N = 3000;

async function churn(path: string, rounds: number): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", CHURN, "churn", path, String(rounds), String(N)],
  }).output();
  equal(out.code, 0, dec.decode(out.stderr));
  return Number(dec.decode(out.stdout).trim());
}

async function load(path: string): Promise<void> {
  await using store = await openWith("btree", path);
  const pairs: [string, string][] = [];
  for (let i = 0; i < N; i++) pairs.push([`k${i}`, `old-${i}-`.padEnd(100, "o")]);
  await store.batchWrite(pairs);
}

Deno.test("btree: a snapshot in one process reads its pages intact while another process rewrites and compacts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oxi-mp-reuse-" });
  const path = `${dir}/store`;
  try {
    await load(path);
    await using store = await openWith("btree", path);
    const snap = await store.snapshot();
    await churn(path, 4);
    let n = 0;
    for await (const [k, v] of snap.range()) {
      equal(dec.decode(v), `old-${dec.decode(k).slice(1)}-`.padEnd(100, "o"));
      n++;
    }
    equal(n, N);
    ok(dec.decode(await store.get("k7")).startsWith("new-3-7-"));
    await snap.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("btree: a reader process killed while it pins a snapshot does not hold back reuse", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oxi-mp-reuse-" });
  const path = `${dir}/store`;
  try {
    await load(path);
    const baseline = await churn(path, 3);
    const pin = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", CHURN, "pin", path, "0", "0"],
      stdout: "piped",
    }).spawn();
    const reader = pin.stdout.pipeThrough(new TextDecoderStream()).getReader();
    equal((await reader.read()).value?.trim(), "pinned");
    pin.kill("SIGKILL");
    await pin.status;
    await reader.cancel();
    // Its slot is recognised as dead: the rewrite compacts down as if it never was.
    const after = await churn(path, 3);
    ok(after <= baseline * 1.25, `file grew from ${baseline} to ${after} bytes`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
