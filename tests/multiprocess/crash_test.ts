// Several processes on one store, one killed with SIGKILL at random points,
// again and again (see _crash_run.ts). OXI_MP_SOAK=<kills> runs longer.
import { ok } from "node:assert/strict";
import { crashRun } from "./_crash_run.ts";

const soak = Number(Deno.env.get("OXI_MP_SOAK") ?? 0);
const KILLS = soak > 0 ? soak : 50;
const BUDGET_MS = soak > 0 ? Infinity : 60_000;

for (const kind of ["btree", "lsm"] as const) {
  Deno.test(`${kind}: 3 writer and 2 reader processes, ${KILLS} SIGKILLs: every acknowledged commit survives, whole; survivors and a fresh opener agree`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "oxi-mp-crash-" });
    // OXI_MP_SEED=<n> replays a run; the seed is printed either way.
    const seed = Number(Deno.env.get("OXI_MP_SEED") ?? Date.now());
    console.log(`${kind}: seed ${seed}`);
    try {
      const kills = await crashRun(kind, `${dir}/store`, {
        kills: KILLS,
        budgetMs: BUDGET_MS,
        seed,
      });
      ok(kills >= Math.min(KILLS, 10), `only ${kills} kills`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
