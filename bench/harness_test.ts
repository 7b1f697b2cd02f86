// Fast checks of the comparison harness's own arithmetic (no store is opened):
// medians and spreads over runs, the leading peer, and the scale mode's keys.
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { combineRuns, leadingPeer, median } from "./_median.ts";
import type { SubjectResult } from "./_report.ts";
import { scalePlan, scaleRandKey } from "./_scale.ts";
import type { Measurement, WorkloadId } from "./_workloads.ts";

function result(id: string, peer: boolean, values: Partial<Record<WorkloadId, number>>) {
  const measurements: SubjectResult["measurements"] = {};
  for (const [w, value] of Object.entries(values) as [WorkloadId, number][]) {
    measurements[w] = { workload: w, value, ops: 1, seconds: 1 } satisfies Measurement;
  }
  return { id, label: id, setup: "", status: "ok", peer, measurements } as SubjectResult;
}

Deno.test("median: odd and even counts, unsorted input, none", () => {
  strictEqual(median([3, 1, 2]), 2);
  strictEqual(median([4, 1, 3, 2]), 2.5);
  strictEqual(Number.isNaN(median([])), true);
});

Deno.test("combineRuns: median per cell with min–max, failed runs noted, order kept", () => {
  const runs = [
    [result("btree", false, { getHit: 100, reopen: 5 }), result("lmdb", true, { getHit: 90 })],
    [result("btree", false, { getHit: 300, reopen: 7 }), result("lmdb", true, { getHit: 80 })],
    [result("btree", false, { getHit: 200 }), result("lmdb", true, { getHit: 70 })],
  ];
  runs[2]![0]!.measurements.reopen = {
    workload: "reopen",
    value: NaN,
    ops: 0,
    seconds: 0,
    error: "Error: boom",
  };
  const out = combineRuns(runs);
  deepStrictEqual(out.map((r) => r.id), ["btree", "lmdb"]);
  const hit = out[0]!.measurements.getHit!;
  strictEqual(hit.value, 200);
  deepStrictEqual(hit.spread, { min: 100, max: 300, runs: 3 });
  const reopen = out[0]!.measurements.reopen!;
  strictEqual(reopen.value, 6);
  strictEqual(reopen.note, "1 of 3 runs failed: Error: boom");
  strictEqual(out[1]!.measurements.getHit!.value, 80);
});

Deno.test("leadingPeer: only peers count, and lower wins where lower is better", () => {
  const rs = [
    result("btree", false, { getHit: 500, reopen: 1 }),
    result("lmdb", true, { getHit: 300, reopen: 9 }),
    result("classic-level", true, { getHit: 200, reopen: 3 }),
  ];
  strictEqual(leadingPeer(rs, "getHit")?.id, "lmdb");
  strictEqual(leadingPeer(rs, "reopen")?.id, "classic-level");
  strictEqual(leadingPeer(rs, "scanFull"), undefined);
});

Deno.test("scale: milestones at 1/50, 1/5 and all; random keys distinct, odd-first, stable", () => {
  deepStrictEqual(scalePlan(10_000_000, 1).milestones, [200_000, 2_000_000, 10_000_000]);
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const k = scaleRandKey(i);
    strictEqual(k.length, 16);
    strictEqual(k[0]! & 1, 1);
    seen.add(k.join(","));
  }
  strictEqual(seen.size, 20_000);
  deepStrictEqual(scaleRandKey(12345), scaleRandKey(12345));
});
