/**
 * The `--scale` mode of bench/compare.ts end to end: the disk-room check,
 * one child process per subject (one after another), the report.
 *
 * @module
 */
import { emit, freeBytes, runInChild } from "./_child.ts";
import { peakRssBytes, runScale, type ScalePlan, type ScalePoint } from "./_scale.ts";
import {
  scaleMarkdown,
  type ScaleMeta,
  type ScaleResult,
  scaleTextTable,
} from "./_scale_report.ts";
import { fmtBytes, type SubjectFactory } from "./_workloads.ts";

/** Bytes on disk a subject may need at once, for `keys` keys: generous, LSM compactions included. */
function diskNeed(keys: number): number {
  return keys * 116 * 4 + 2 ** 30;
}

/** In the child: the scale workloads on one subject, each point a tagged line. */
export async function scaleChild(factory: SubjectFactory, plan: ScalePlan, tmp: string) {
  const log = (line: string) => console.error(line);
  // What the process holds before any store opens (Deno, the modules, the peers' native code)
  emit("baseRss", peakRssBytes());
  try {
    for await (const p of runScale(factory, { plan, dir: tmp, log })) {
      emit("point", p);
      emit("rss", peakRssBytes());
    }
  } catch (err) {
    emit("rss", peakRssBytes());
    emit(
      "fail",
      `${err instanceof Error ? err.name : "Error"}: ${String((err as Error)?.message ?? err)}`,
    );
  }
  emit("rss", peakRssBytes());
}

/** What the parent needs to run the scale mode. */
export interface ScaleRunArgs {
  script: string;
  /** Arguments every child gets (besides `--child id` and `--tmp`). */
  childArgs: string[];
  tmpRoot?: string;
  out: string;
  write: boolean;
  meta: Omit<ScaleMeta, "load"> & { load: () => string };
}

/** In the parent: every subject in turn, then the table and scale.md / scale.json. */
export async function scaleMain(
  subjects: { factory: SubjectFactory; peer: boolean }[],
  args: ScaleRunArgs,
): Promise<void> {
  const plan = args.meta.plan;
  const meta: ScaleMeta = { ...args.meta, load: args.meta.load() };
  const results: ScaleResult[] = [];
  const free = await freeBytes(args.tmpRoot ?? Deno.env.get("TMPDIR") ?? "/tmp");
  const need = diskNeed(plan.milestones.at(-1)!);
  if (free !== undefined && free < need) {
    meta.skipped = `needs about ${fmtBytes(need)} free under the temp folder, ` +
      `${fmtBytes(free)} available`;
  } else {
    console.error(
      `disk: ${free === undefined ? "unknown" : fmtBytes(free)} free, ` +
        `about ${fmtBytes(need)} needed at most`,
    );
    // Two load phases at their cap, reads and scans at each milestone, and slack
    // for making the inputs and for open/close.
    const deadlineMs = 2 * plan.loadCapMs + plan.milestones.length * 4 * plan.readCapMs +
      600_000;
    for (const { factory, peer } of subjects) {
      console.error(`\n${factory.label}:`);
      const t0 = performance.now();
      const r: ScaleResult = {
        id: factory.id,
        label: factory.label,
        setup: factory.setup,
        peer,
        status: "ok",
        points: [],
      };
      const exit = await runInChild(
        args.script,
        [...args.childArgs, "--child", factory.id],
        { id: factory.id, deadlineMs, ...(args.tmpRoot ? { tmpRoot: args.tmpRoot } : {}) },
        (kind, body) => {
          if (kind === "point") r.points.push(body as ScalePoint);
          else if (kind === "rss" && typeof body === "number") r.peakRssBytes = body;
          else if (kind === "baseRss" && typeof body === "number") r.baseRssBytes = body;
          else if (kind === "fail" || kind === "skip") {
            r.status = kind === "skip" ? "skipped" : r.points.length > 0 ? "ok" : "failed";
            r.reason = String(body);
          }
        },
      );
      if (!exit.ok) {
        r.reason = [r.reason, exit.why].filter(Boolean).join("; ");
        if (r.points.length === 0) r.status = "failed";
      }
      results.push(r);
      console.error(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
  }
  meta.load = `${meta.load} at the start, ${args.meta.load()} at the end`;
  console.log(`\n${scaleTextTable(results, meta)}`);
  console.log(`load average (1 min): ${meta.load}`);
  if (!args.write) return;
  await Deno.mkdir(args.out, { recursive: true });
  await Deno.writeTextFile(`${args.out}/scale.md`, scaleMarkdown(results, meta));
  await Deno.writeTextFile(
    `${args.out}/scale.json`,
    JSON.stringify({ meta, results }, null, 1) + "\n",
  );
  console.log(`wrote scale.md and scale.json in ${args.out}`);
}
