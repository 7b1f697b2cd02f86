// Progress of long commands: a line on stderr that rewrites itself while the
// work runs (only when stderr is a terminal), and one summary line always.

/** How fast and how far: the figures every progress and summary line shows. */
export interface Tally {
  keys?: number;
  bytes?: number;
}

/** Where progress goes. `status` rewrites one terminal line; undefined when not a terminal. */
export interface ProgressSink {
  err: (line: string) => void;
  status?: ((line: string) => void) | undefined;
  /** Least time between two status lines (ms). */
  intervalMs: number;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** `1536` → `"1.5 KiB"`. */
export function formatBytes(n: number): string {
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${UNITS[i]}`;
}

function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

function describe(t: Tally, ms: number): string {
  const secs = Math.max(ms, 1) / 1000;
  const parts: string[] = [];
  if (t.keys !== undefined) parts.push(`${formatCount(t.keys)} key${t.keys === 1 ? "" : "s"}`);
  if (t.bytes !== undefined) parts.push(formatBytes(t.bytes));
  const rates: string[] = [];
  if (t.keys !== undefined) rates.push(`${formatCount(Math.round(t.keys / secs))} keys/s`);
  if (t.bytes !== undefined) rates.push(`${formatBytes(Math.round(t.bytes / secs))}/s`);
  if (rates.length) parts.push(rates.join(", "));
  parts.push(`${(ms / 1000).toFixed(1)} s elapsed`);
  return parts.join(", ");
}

/** One command's progress: `update` as the work goes, `finish` once at the end. */
export class Progress {
  readonly #sink: ProgressSink;
  readonly #what: string;
  readonly #start = performance.now();
  #last = -Infinity;
  #tally: Tally = {};
  #timer: ReturnType<typeof setInterval> | undefined;
  #shown = false;

  constructor(sink: ProgressSink, what: string) {
    this.#sink = sink;
    this.#what = what;
    // A ticker keeps the elapsed time moving while a step reports nothing.
    if (sink.status) this.#timer = setInterval(() => this.#show(), Math.max(sink.intervalMs, 250));
  }

  /** New figures; shown when the interval has passed (terminal only). */
  update(tally: Tally): void {
    this.#tally = { ...this.#tally, ...tally };
    if (performance.now() - this.#last >= this.#sink.intervalMs) this.#show();
  }

  #show(): void {
    if (!this.#sink.status) return;
    this.#last = performance.now();
    this.#shown = true;
    this.#sink.status(`${this.#what}: ${describe(this.#tally, this.#last - this.#start)}`);
  }

  /** Stops the ticker; clears the status line. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#shown) this.#sink.status?.("");
  }

  /** Stops and writes the summary line: `<done>: <figures>`. */
  finish(done: string, tally: Tally = {}): void {
    this.stop();
    const t = { ...this.#tally, ...tally };
    this.#sink.err(`${done}: ${describe(t, performance.now() - this.#start)}`);
  }
}
