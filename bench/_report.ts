/**
 * Turns the measurements of bench/compare.ts into a terminal table, a
 * Markdown report and a hand-written SVG bar chart (log-scale ratios to
 * Deno KV), with no dependencies.
 *
 * @module
 */
import { leadingPeer } from "./_median.ts";
import {
  fmtNumber,
  type Measurement,
  WORKLOAD_INFO,
  type WorkloadId,
  WORKLOADS,
} from "./_workloads.ts";

/** Everything measured for one engine or anchor. */
export interface SubjectResult {
  id: string;
  label: string;
  setup: string;
  status: "ok" | "skipped" | "failed";
  /** An anchor (a store a user would otherwise pick), not an oxistore engine. */
  peer?: boolean;
  /** Why it was skipped or failed. */
  reason?: string;
  measurements: Partial<Record<WorkloadId, Measurement>>;
}

/** The raw-fsync figures measured beside the stores. */
export interface FsyncRates {
  appendPerSec: number;
  overwritePerSec: number;
  iterations: number;
}

/** What a report shows besides the results. */
export interface ReportMeta {
  command: string;
  date: string;
  deno: string;
  machine: string;
  quick: boolean;
  baselineId: string;
  /** The machine's load average during the run (other work skews the numbers). */
  load: string;
  /** How many whole runs each cell is the median of (1 when absent). */
  runs?: number;
}

/**
 * How many times better than the baseline a measurement is (>1 = better),
 * whichever way the workload counts; undefined when either side is missing.
 */
export function ratio(
  workload: WorkloadId,
  m: Measurement | undefined,
  base: Measurement | undefined,
): number | undefined {
  if (!m || !base || m.error || base.error) return undefined;
  if (!(m.value > 0) || !(base.value > 0)) return undefined;
  return WORKLOAD_INFO[workload].higherIsBetter ? m.value / base.value : base.value / m.value;
}

function fmtRatio(r: number): string {
  if (r >= 10) return `${r.toFixed(0)}×`;
  if (r >= 1) return `${r.toFixed(1)}×`;
  return r >= 0.01 ? `${r.toFixed(2)}×` : `${r.toPrecision(1)}×`;
}

/** How a number is shown in a cell. */
function fmtValue(w: WorkloadId, v: number): string {
  return w === "reopen" || w === "mpSeen" ? v.toFixed(1) : fmtNumber(v);
}

/**
 * Cells of the results table: one row per workload, one column per subject,
 * and a last column naming the peer that leads the row.
 */
function cells(results: SubjectResult[], baselineId: string, notes: string[]): string[][] {
  const base = results.find((r) => r.id === baselineId);
  const rows: string[][] = [];
  for (const w of WORKLOADS) {
    const info = WORKLOAD_INFO[w];
    if (!results.some((r) => r.measurements[w])) continue;
    const row = [info.title, info.unit];
    for (const r of results) {
      const m = r.measurements[w];
      if (!m) {
        row.push("—");
        continue;
      }
      if (m.error) {
        notes.push(`${r.label}, ${info.short}: ${m.error}`);
        row.push(`failed [${notes.length}]`);
        continue;
      }
      let cell = fmtValue(w, m.value);
      const q = r.id === baselineId || w === "fsyncNow"
        ? undefined
        : ratio(w, m, base?.measurements[w]);
      if (q !== undefined) cell += ` (${fmtRatio(q)})`;
      if (m.spread && m.spread.runs > 1) {
        cell += ` ${fmtValue(w, m.spread.min)}–${fmtValue(w, m.spread.max)}`;
      }
      if (m.note) {
        notes.push(`${r.label}, ${info.short}: ${m.note}`);
        cell += ` [${notes.length}]`;
      }
      row.push(cell);
    }
    row.push(w === "fsyncNow" ? "" : leadingPeer(results, w)?.label ?? "—");
    rows.push(row);
  }
  return rows;
}

/** How the cells read: median and spread when there were several runs. */
function cellLegend(meta: { runs?: number }, baseLabel: string): string {
  const runs = meta.runs ?? 1;
  return runs > 1
    ? `Each cell: the median of ${runs} runs (all subjects interleaved), in brackets how many ` +
      `times better than ${baseLabel}, then the lowest–highest of the runs.`
    : `Each cell: the measurement, and in brackets how many times better than ${baseLabel}.`;
}

/** The table as padded plain text for the terminal. */
export function textTable(results: SubjectResult[], baselineId: string): string {
  const shown = results.filter((r) => r.status !== "skipped");
  const notes: string[] = [];
  const header = ["workload", "unit", ...shown.map((r) => r.label), "best peer"];
  const rows = [header, ...cells(shown, baselineId, notes)];
  rows[0]![0] = "workload  (× = times better than Deno KV)";
  const widths = header.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) =>
    row.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const out = [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const row of rows.slice(1)) out.push(line(row));
  for (const [i, n] of notes.entries()) out.push(`[${i + 1}] ${n}`);
  for (const r of results) {
    if (r.status !== "ok") out.push(`${r.status} ${r.label}: ${r.reason ?? "not available"}`);
    else if (r.reason) out.push(`${r.label}: ${r.reason} (measurements before it are kept)`);
  }
  return out.join("\n");
}

/** The whole report as Markdown (bench/results/compare.md). */
export function markdownReport(
  results: SubjectResult[],
  fsync: FsyncRates | undefined,
  meta: ReportMeta,
): string {
  const shown = results.filter((r) => r.status !== "skipped");
  const notes: string[] = [];
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const baseLabel = results.find((r) => r.id === meta.baselineId)?.label ?? meta.baselineId;
  const out = [
    "# oxistore vs the anchors",
    "",
    `Generated by \`${meta.command}\` on ${meta.date}, ${meta.deno}, ${meta.machine}; ` +
    `load average ${meta.load}.` +
    (meta.quick ? " **Quick run** (about a tenth of the full counts): a smoke test." : ""),
    "",
    cellLegend(meta, baseLabel) +
    " Above 1× is better, whichever way the unit counts; the last column names the peer" +
    " (not an oxistore engine) that leads the row. Keys 16 bytes, values 100 bytes;" +
    " every write is a durable commit unless said otherwise. Numbers from a shared 2-core" +
    " machine are noisy: compare ratios, not absolutes.",
    "",
    `| workload | unit | ${shown.map((r) => esc(r.label)).join(" | ")} | best peer |`,
    `|---|---|${shown.map(() => "---:").join("|")}|---|`,
  ];
  for (const row of cells(shown, meta.baselineId, notes)) {
    out.push(`| ${row.map(esc).join(" | ")} |`);
  }
  out.push("");
  if (notes.length > 0) {
    for (const [i, n] of notes.entries()) out.push(`${i + 1}. ${esc(n)}`);
    out.push("");
  }
  if (fsync) {
    out.push(
      "## The device's own limit",
      "",
      `Raw \`fdatasync\` on this machine (${fsync.iterations} iterations, \`Deno.FsFile\` sync calls):`,
      "",
      `- 4 KiB append + fdatasync: **${fmtNumber(fsync.appendPerSec)}/s**` +
        ` (${(1e6 / fsync.appendPerSec).toFixed(0)} µs each)`,
      `- 4 KiB overwrite + fdatasync: **${fmtNumber(fsync.overwritePerSec)}/s**` +
        ` (${(1e6 / fsync.overwritePerSec).toFixed(0)} µs each)`,
      "",
      "A store that makes each single-key commit durable by itself cannot beat these rates" +
        " (workload 3); only group commit (3b) can.",
      "",
    );
  }
  const details = shown.flatMap((r) =>
    WORKLOADS.flatMap((w) => {
      const m = r.measurements[w];
      return m?.detail ? [`- ${esc(r.label)}, ${WORKLOAD_INFO[w].short}: ${esc(m.detail)}`] : [];
    })
  );
  if (details.length > 0) out.push("## Details", "", ...details, "");
  out.push("## How each subject is set up", "");
  for (const r of results) {
    const status = r.status !== "ok"
      ? ` — **${r.status}**: ${r.reason ?? ""}`
      : r.reason
      ? ` — ${r.reason} (the measurements before it are kept)`
      : "";
    out.push(`- **${esc(r.label)}**: ${esc(r.setup)}${status}`);
  }
  out.push("");
  return out.join("\n");
}

const COLORS: Record<string, string> = {
  btree: "#1f77b4",
  lsm: "#ff7f0e",
  denokv: "#2ca02c",
  sqlite: "#9467bd",
  lmdb: "#8c564b",
  "deno-kv": "#7f7f7f",
  "classic-level": "#e377c2",
};
const FALLBACK_COLORS = ["#17becf", "#bcbd22", "#e377c2", "#d62728"];

function xml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/**
 * A grouped bar chart: per speed workload, one bar per subject showing its
 * ratio to the baseline on a log scale (the baseline is the 1× line).
 */
export function svgChart(results: SubjectResult[], meta: ReportMeta): string {
  const base = results.find((r) => r.id === meta.baselineId);
  const subjects = results.filter((r) => r.status !== "skipped" && r.id !== meta.baselineId);
  const workloads = WORKLOADS.filter((w) => WORKLOAD_INFO[w].speed);
  const ratios = subjects.map((r) =>
    workloads.map((w) => ratio(w, r.measurements[w], base?.measurements[w]))
  );
  const all = ratios.flat().filter((q): q is number => q !== undefined);
  const lo = Math.min(-1, Math.floor(Math.log10(Math.min(...all, 1))));
  const hi = Math.max(1, Math.ceil(Math.log10(Math.max(...all, 1))));
  const width = 960;
  const left = 64;
  const right = 16;
  const top = 70;
  const plotH = 300;
  const bottom = 64;
  const height = top + plotH + bottom;
  const groupW = (width - left - right) / workloads.length;
  const barW = Math.min(18, (groupW - 12) / Math.max(1, subjects.length));
  const y = (q: number) => top + ((hi - Math.log10(q)) / (hi - lo)) * plotH;
  const baseLabel = base?.label ?? meta.baselineId;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="22" font-size="16" font-weight="600">` +
    `Throughput relative to ${xml(baseLabel)} (log scale, higher is better)</text>`,
  ];
  for (let d = lo; d <= hi; d++) {
    const yy = y(10 ** d).toFixed(1);
    const label = d >= 0 ? `${10 ** d}×` : `${(10 ** d).toFixed(-d)}×`;
    out.push(
      `<line x1="${left}" x2="${width - right}" y1="${yy}" y2="${yy}" ` +
        `stroke="${d === 0 ? "#333" : "#ddd"}" stroke-width="${d === 0 ? 1.5 : 1}"/>`,
      `<text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle" ` +
        `fill="#555">${label}</text>`,
    );
  }
  workloads.forEach((w, gi) => {
    const gx = left + gi * groupW;
    const x0 = gx + (groupW - barW * subjects.length) / 2;
    subjects.forEach((_, si) => {
      const q = ratios[si]![gi];
      if (q === undefined) return;
      const y1 = y(q);
      const y0 = y(1);
      const color = COLORS[subjects[si]!.id] ?? FALLBACK_COLORS[si % FALLBACK_COLORS.length]!;
      out.push(
        `<rect x="${(x0 + si * barW).toFixed(1)}" y="${Math.min(y0, y1).toFixed(1)}" ` +
          `width="${(barW - 2).toFixed(1)}" height="${
            Math.max(1, Math.abs(y1 - y0)).toFixed(1)
          }" ` +
          `fill="${color}"><title>${xml(subjects[si]!.label)}, ` +
          `${WORKLOAD_INFO[w].short}: ${fmtRatio(q)}</title></rect>`,
      );
    });
    out.push(
      `<text x="${(gx + groupW / 2).toFixed(1)}" y="${top + plotH + 18}" ` +
        `text-anchor="middle" fill="#222">${xml(WORKLOAD_INFO[w].short)}</text>`,
    );
  });
  let lx = left;
  const legend = [
    ...subjects.map((r, i) => ({
      label: r.label,
      color: COLORS[r.id] ?? FALLBACK_COLORS[i % FALLBACK_COLORS.length]!,
    })),
  ];
  for (const item of legend) {
    out.push(
      `<rect x="${lx}" y="36" width="12" height="12" fill="${item.color}"/>`,
      `<text x="${lx + 16}" y="46">${xml(item.label)}</text>`,
    );
    lx += 28 + item.label.length * 7;
  }
  out.push(
    `<text x="${lx}" y="46" fill="#555">— ${xml(baseLabel)} = 1×</text>`,
    `<text x="${left}" y="${height - 16}" fill="#777" font-size="11">` +
      `${xml(meta.command)} · ${xml(meta.date)} · ${xml(meta.deno)}` +
      `${meta.quick ? " · quick run" : ""}</text>`,
    "</svg>",
    "",
  );
  return out.join("\n");
}
