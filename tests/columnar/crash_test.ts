// Crash safety: a child appending to a dataset and rewriting a file is killed with
// SIGKILL at a random moment; afterwards the manifest opens, lists only whole files,
// every acknowledged append is there, and the rewritten file is never torn.
import { assert, assertEquals } from "../_support/assert.ts";
import { PartitionedDataset, readParquet } from "../../columnar/mod.ts";

async function runAndKill(root: string, killAfterAcks: number, extraMs: number): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_crash_child.ts", import.meta.url).pathname, root],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let acked = 0;
  let buf = "";
  while (acked < killAfterAcks) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    for (const m of buf.matchAll(/acked (\d+)\n/g)) acked = Math.max(acked, Number(m[1]));
    buf = buf.slice(buf.lastIndexOf("\n") + 1);
  }
  await new Promise((r) => setTimeout(r, extraMs));
  child.kill("SIGKILL");
  // Acks printed before the kill landed still count.
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const m of value.matchAll(/acked (\d+)\n/g)) acked = Math.max(acked, Number(m[1]));
  }
  await child.status;
  return acked;
}

Deno.test("SIGKILL mid-append: dataset reopens with every acknowledged append, files whole", async () => {
  const root = await Deno.makeTempDir();
  try {
    let acked = 0;
    for (const [acks, ms] of [[2, 37], [1, 151], [2, 5], [1, 90]] as const) {
      acked = Math.max(acked, await runAndKill(root, acked + acks, ms));
      const ds = await PartitionedDataset.open(root);
      const parts = await ds.listPartitions();
      const listed = parts.reduce((s, p) => s + p.numRows, 0);
      assert(listed >= acked * 500, `listed ${listed} rows, acknowledged ${acked * 500}`);
      assertEquals(listed % 500, 0, "appends are all-or-nothing");
      const t = await ds.read();
      assertEquals(t.numRows, listed);
      const rounds = new Set(t.toRows().map((r) => r.round));
      for (let i = 0; i < acked; i++) assert(rounds.has(BigInt(i)), `append ${i} lost`);
      const single = await readParquet(`${root}/single.parquet`);
      assertEquals(single.numRows, 500);
      acked = listed / 500;
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
