// The Deno KV API against Deno KV itself: random programs over the whole API run on
// Deno.openKv(":memory:") and on openKv over every engine (in memory and on disk) must give
// the same results, order, ok flags, error classes and versionstamp order.
import fc from "fast-check";
import { deepStrictEqual } from "node:assert/strict";
import { KvU64 } from "@cooljapan/oxistore/deno-kv";
import { ORACLE, OURS } from "./_targets.ts";
import { program, run, type Step } from "./_program.ts";

const RUNS = Number(Deno.env.get("DENO_KV_DIFF_RUNS") ?? 100);
// CI runs a fixed seed so a red run is reproducible; DENO_KV_DIFF_SEED=random explores.
const SEED_ENV = Deno.env.get("DENO_KV_DIFF_SEED") ?? "20261207";
const SEED = SEED_ENV === "random" ? undefined : Number(SEED_ENV);

// Programs that once told us apart from Deno, run first on every target.
const FOUND: Step[][][] = [
  // keysIfUndelivered is checked at commit, after the sum operand's check when building.
  [[
    {
      op: "atomic",
      checks: [],
      mutations: [
        {
          type: "enqueue",
          value: new Uint8Array(),
          options: { keysIfUndelivered: ["notarray"] },
        },
        { type: "sum", key: [0], n: -1n },
      ],
    },
    { op: "set", key: [0n], value: { bad: "SYMBOL" } },
  ]],
];

for (const target of OURS) {
  Deno.test(`deno-kv differential: ${target.name} gives what Deno.openKv gives`, async () => {
    await fc.assert(
      fc.asyncProperty(program, async (steps) => {
        const oracle = await ORACLE.open();
        const ours = await target.open();
        try {
          const want = await run(oracle.kv, steps, Deno.KvU64);
          const got = await run(ours.kv, steps, KvU64);
          deepStrictEqual(got, want);
        } finally {
          await oracle.close();
          await ours.close();
        }
      }),
      {
        numRuns: target.name.includes("disk") ? Math.ceil(RUNS / 2) : RUNS,
        ...(SEED === undefined ? {} : { seed: SEED }),
        examples: FOUND,
      },
    );
  });
}
