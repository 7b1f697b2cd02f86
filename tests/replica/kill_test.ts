// SIGKILL a replicating primary at random moments: a restore always equals
// the primary's state after one acknowledged commit, and holds at least every
// commit whose flush() had resolved.
import { deepStrictEqual, ok } from "node:assert/strict";
import { open, type StoreKind } from "@cooljapan/oxistore";
import { LocalBlobStore } from "@cooljapan/oxistore/blob";
import { restoreReplica } from "@cooljapan/oxistore/replica";
import { contents } from "./_helpers.ts";

const KILLS = Number(Deno.env.get("OXISTORE_REPLICA_KILLS") ?? 30);
const PARALLEL = 4;
const child = new URL("./_kill_child.ts", import.meta.url).pathname;

function model(n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; i <= n; i++) out[`:k${i % 40}`] = `v${i}`;
  if (n > 0) out[":n"] = String(n);
  return out;
}

async function oneKill(kind: StoreKind, seed: number): Promise<number> {
  const dir = await Deno.makeTempDir();
  try {
    const proc = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", child, kind, `${dir}/p.${kind}`, `${dir}/blobs`],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("ready\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`child ended early: ${await new Response(proc.stderr).text()}`);
      text += value;
    }
    await new Promise((r) => setTimeout(r, 20 + (seed * 7919) % 400));
    proc.kill("SIGKILL");
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
    await proc.status;
    await proc.stderr.cancel();
    const flushed = Math.max(0, ...[...text.matchAll(/flushed (\d+)/g)].map((m) => Number(m[1])));
    const blobs = new LocalBlobStore(`${dir}/blobs`);
    try {
      await restoreReplica({ store: blobs, prefix: "r" }, `${dir}/restored.oxi`);
    } finally {
      await blobs.close();
    }
    await using copy = await open(`${dir}/restored.oxi`);
    const got = await contents(copy);
    const n = Number(got[":n"] ?? 0);
    ok(
      n >= flushed,
      `${kind} kill ${seed}: restore has commit ${n}, flush() had resolved for ${flushed}`,
    );
    deepStrictEqual(got, model(n), `${kind} kill ${seed}: the state after commit ${n}, whole`);
    return n;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const kind of ["btree", "lsm"] as const) {
  Deno.test(`replica/${kind}: ${KILLS} SIGKILLs of a replicating primary; every restore is an acknowledged state`, async () => {
    let next = 0;
    const restored: number[] = [];
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < KILLS) restored.push(await oneKill(kind, next++));
      }),
    );
    ok(restored.length === KILLS);
    ok(restored.some((n) => n > 0), "some kills came after commits were replicated");
  });
}
