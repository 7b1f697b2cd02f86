// LSM flushes and compactions in one process while another reads: every
// snapshot the reader takes is a whole prefix of the writer's commits (no
// batch half seen, none lost while its memtable turns into tables and the
// tables merge), and the reader ends with everything.
import { equal, ok } from "node:assert/strict";
import { openLsm } from "@cooljapan/oxistore/kv/lsm";

const CHILD = new URL("./_lsm_writer_child.ts", import.meta.url).pathname;
const dec = new TextDecoder();
const N = 600;

Deno.test("lsm: another process flushes and compacts while this one reads: every snapshot is a whole prefix of its commits", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oxi-mp-jobs-" });
  const path = `${dir}/store`;
  try {
    await (await openLsm(path)).close();
    // Read-only: the child alone flushes and compacts (any writer could).
    await using store = await openLsm(path, { readOnly: true });
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", CHILD, path, String(N)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    let done = false;
    child.finally(() => (done = true));
    let looks = 0;
    let seen = -1;
    while (!done || looks === 0) {
      await using snap = await store.snapshot();
      const last = await snap.get("last");
      const upTo = last === undefined ? -1 : Number(dec.decode(last));
      ok(upTo >= seen, `went back from ${seen} to ${upTo}`);
      seen = upTo;
      let pairs = 0;
      for await (const [k] of snap.range("pair/", "pair0")) {
        const i = Number(dec.decode(k).split("/")[1]);
        ok(i <= upTo, `pair ${i} after last ${upTo}`);
        pairs++;
      }
      equal(pairs, 2 * (upTo + 1), `snapshot at ${upTo}`);
      looks++;
      await new Promise((r) => setTimeout(r, 5));
    }
    const out = await child;
    equal(out.code, 0, dec.decode(out.stderr));
    const jobs = JSON.parse(dec.decode(out.stdout)) as { flushes: number; compactions: number };
    ok(jobs.flushes >= 5 && jobs.compactions >= 1, JSON.stringify(jobs));
    ok(looks > 3, `only ${looks} looks`);
    equal(await store.count("pair/"), 2 * N);
    equal(dec.decode((await store.get("last"))!), String(N - 1));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
