/**
 * The `--scale` results of bench/compare.ts as a terminal table and a
 * Markdown report: per workload and store size, each subject's rate and what
 * share of its rate at the first milestone it keeps; the peak resident size.
 *
 * @module
 */
import type { ScalePlan, ScalePoint, ScaleWorkload } from "./_scale.ts";
import { fmtBytes, fmtNumber } from "./_workloads.ts";

/** Everything the scale run measured for one subject. */
export interface ScaleResult {
  id: string;
  label: string;
  setup: string;
  peer: boolean;
  status: "ok" | "skipped" | "failed";
  reason?: string;
  points: ScalePoint[];
  /** VmHWM of the subject's process at its last report, bytes. */
  peakRssBytes?: number;
  /** VmHWM before the store opened: what the process holds without it. */
  baseRssBytes?: number;
}

/** Header facts of a scale report. */
export interface ScaleMeta {
  command: string;
  date: string;
  deno: string;
  machine: string;
  load: string;
  plan: ScalePlan;
  /** Why the run did not happen (no disk room), if it did not. */
  skipped?: string;
}

const TITLES: Record<ScaleWorkload, string> = {
  seqLoad: "sequential load (batches of 1,000)",
  randLoad: "random-key load (batches of 1,000)",
  getHit: "random point reads, async API",
  getHitSync: "random point reads, synchronous API",
  scanShort: "50-key range scans",
};
const UNITS: Record<ScaleWorkload, string> = {
  seqLoad: "keys/s",
  randLoad: "keys/s",
  getHit: "reads/s",
  getHitSync: "reads/s",
  scanShort: "scans/s",
};
const ORDER: ScaleWorkload[] = ["seqLoad", "randLoad", "getHit", "getHitSync", "scanShort"];

/** 200000 → "200k", 10000000 → "10M". */
function fmtKeys(n: number): string {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 100 === 0) return `${n / 1e3}k`;
  return String(n);
}

/** Rows: workload × milestone, then peak RSS; one column per subject and the leading peer. */
function rows(results: ScaleResult[], meta: ScaleMeta, notes: string[]): string[][] {
  const out: string[][] = [];
  const limit = meta.plan.cacheSizeBytes + 128 * 2 ** 20;
  for (const w of ORDER) {
    if (!results.some((r) => r.points.some((p) => p.workload === w))) continue;
    meta.plan.milestones.forEach((milestone, mi) => {
      const what = w === "seqLoad" || w === "randLoad" ? "loading up to" : "at";
      const row = [`${TITLES[w]}, ${what} ${fmtKeys(milestone)} keys`, UNITS[w]];
      let best: { label: string; value: number } | undefined;
      for (const r of results) {
        const p = r.points.find((q) => q.workload === w && q.milestone === milestone);
        if (!p) {
          row.push("—");
          continue;
        }
        let cell = fmtNumber(p.value);
        const first = r.points.find((q) => q.workload === w);
        if (mi > 0 && first && first !== p) {
          cell += ` (${Math.round((100 * p.value) / first.value)}%)`;
        }
        if (p.note) {
          notes.push(`${r.label}, ${TITLES[w]} at ${fmtKeys(milestone)}: ${p.note}`);
          cell += ` [${notes.length}]`;
        }
        row.push(cell);
        if (r.peer && p.keys === milestone && (!best || p.value > best.value)) {
          best = { label: r.label, value: p.value };
        }
      }
      row.push(best?.label ?? "—");
      out.push(row);
    });
  }
  const rss = [
    `peak RSS, VmHWM (before the store opened) (goal: cache + 128 MiB = ${fmtBytes(limit)})`,
    "MiB",
  ];
  const mib = (n: number) => (n / 2 ** 20).toFixed(0);
  for (const r of results) {
    if (r.peakRssBytes === undefined) rss.push("—");
    else {
      rss.push(
        `${mib(r.peakRssBytes)}${r.peakRssBytes > limit ? " over" : ""}` +
          (r.baseRssBytes !== undefined ? ` (${mib(r.baseRssBytes)})` : ""),
      );
    }
  }
  rss.push("");
  out.push(rss);
  return out;
}

function intro(meta: ScaleMeta): string {
  const p = meta.plan;
  return `Scale: ${fmtKeys(p.milestones.at(-1)!)} keys of 16 bytes with 100-byte values, ` +
    `cache ${fmtBytes(p.cacheSizeBytes)}; each load phase capped at ${p.loadCapMs / 1000} s, ` +
    `each read or scan measurement at ${p.readCapMs / 1000} s (${p.reads} reads, ${p.scans} ` +
    `scans asked). Load rates are for the keys loaded since the previous size; in brackets, ` +
    `the share of the subject's rate at ${fmtKeys(p.milestones[0]!)} it keeps.`;
}

/** The scale table as padded text for the terminal. */
export function scaleTextTable(results: ScaleResult[], meta: ScaleMeta): string {
  if (meta.skipped) return `scale run skipped: ${meta.skipped}`;
  const shown = results.filter((r) => r.status !== "skipped");
  const notes: string[] = [];
  const table = [
    ["workload", "unit", ...shown.map((r) => r.label), "best peer"],
    ...rows(shown, meta, notes),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) =>
    row.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const out = [intro(meta), line(table[0]!), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const row of table.slice(1)) out.push(line(row));
  for (const [i, n] of notes.entries()) out.push(`[${i + 1}] ${n}`);
  for (const r of results) if (r.reason) out.push(`${r.label}: ${r.status}: ${r.reason}`);
  return out.join("\n");
}

/** The scale report as Markdown (bench/results/scale.md). */
export function scaleMarkdown(results: ScaleResult[], meta: ScaleMeta): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const out = [
    "# oxistore at scale, beside the peers",
    "",
    `Generated by \`${meta.command}\` on ${meta.date}, ${meta.deno}, ${meta.machine}; ` +
    `load average ${meta.load}.`,
    "",
  ];
  if (meta.skipped) return [...out, `Skipped: ${meta.skipped}`, ""].join("\n");
  const shown = results.filter((r) => r.status !== "skipped");
  const notes: string[] = [];
  out.push(
    intro(meta),
    "",
    `| workload | unit | ${shown.map((r) => esc(r.label)).join(" | ")} | best peer |`,
    `|---|---|${shown.map(() => "---:").join("|")}|---|`,
  );
  for (const row of rows(shown, meta, notes)) out.push(`| ${row.map(esc).join(" | ")} |`);
  out.push("");
  for (const [i, n] of notes.entries()) out.push(`${i + 1}. ${esc(n)}`);
  out.push("", "## How each subject is set up", "");
  for (const r of results) {
    const status = r.reason ? ` — ${r.status}: ${esc(r.reason)}` : "";
    out.push(`- **${esc(r.label)}**: ${esc(r.setup)}${status}`);
  }
  out.push(
    "",
    "Peak RSS is the whole child process: Deno, every module and the peers' native libraries " +
      "(the figure in brackets, taken before the store opened), and the garbage the input " +
      "generator leaves until V8 collects it, besides the store. lmdb reads " +
      "through mmap: its resident size counts the file pages the kernel keeps mapped, which " +
      "the kernel can drop under memory pressure.",
    "",
  );
  return out.join("\n");
}
