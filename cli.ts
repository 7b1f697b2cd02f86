/**
 * The `oxistore` command line: inspect, copy and move stores of any engine.
 *
 * From a checkout, or straight from JSR (Deno KV stores need `--unstable-kv`):
 *
 * ```sh
 * deno run -A --unstable-kv jsr:@cooljapan/oxistore/cli stat ./data.oxi
 * deno task cli put ./data.oxi greeting hello --ttl 60000
 * deno task cli scan ./data.oxi --prefix=user/ --limit 10
 * deno task cli backup ./data.oxi ./data.bak
 * deno task cli migrate ./data.oxi ./copy.sqlite --to denokv
 * ```
 *
 * Exit codes: 0 done, 1 the command failed (one line on stderr, nothing new
 * left behind), 2 bad usage (the command's usage on stderr). `backup`,
 * `restore` and `migrate` show progress on stderr when it is a terminal, and
 * always end with a summary line.
 *
 * @example
 * ```ts
 * import { main } from "@cooljapan/oxistore/cli";
 * const out: string[] = [];
 * const code = await main(["--version"], { out: (l) => out.push(l), err: () => {} });
 * if (code !== 0 || !/^oxistore \d+\.\d+\.\d+/.test(out[0]!)) throw new Error(out[0]);
 * ```
 *
 * @module
 */
import meta from "./deno.json" with { type: "json" };
import { StoreError } from "./core/error.ts";
import { RUN } from "./cli/_commands.ts";
import { COMMANDS, globalUsage, parseCommand, UsageError, usageOf } from "./cli/_spec.ts";

/** Where the CLI writes: one line at a time. */
export interface CliIo {
  /** Normal output (stdout). */
  out: (line: string) => void;
  /** Errors, usage and summaries (stderr). */
  err: (line: string) => void;
  /**
   * Rewrites one progress line in place; give it only when stderr is a
   * terminal (progress is shown only then).
   */
  status?: (line: string) => void;
  /** Least time between two progress lines, in ms (default 200). */
  progressIntervalMs?: number;
}

const encoder = new TextEncoder();

/** The process's own streams; progress only when stderr is a terminal. */
function processIo(): CliIo {
  const io: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l) };
  if (Deno.stderr.isTerminal()) {
    io.status = (line) => Deno.stderr.writeSync(encoder.encode(`\r${line}\x1b[K`));
  }
  return io;
}

function kvFlagMissing(): boolean {
  return typeof (Deno as { openKv?: unknown }).openKv !== "function";
}

/**
 * Runs the CLI with `args`; returns the exit code (0 done, 1 failed, 2 bad
 * usage). Errors are one line on `io.err`, after a usage error the command's
 * usage.
 *
 * @example
 * ```ts
 * import { main } from "@cooljapan/oxistore/cli";
 * const err: string[] = [];
 * const code = await main(["scan", "x.oxi", "--limt", "3"], { out: () => {}, err: (l) => err.push(l) });
 * if (code !== 2 || !err[0]!.includes("--limt")) throw new Error(err.join("\n"));
 * ```
 */
export async function main(args: string[], io: CliIo = processIo()): Promise<number> {
  const [first, ...rest] = args;
  const sink = { ...io, intervalMs: io.progressIntervalMs ?? 200 };
  try {
    if (first === undefined || first === "-h" || first === "--help") {
      io.out(globalUsage());
      return 0;
    }
    if (first === "-V" || first === "--version") {
      io.out(`oxistore ${meta.version}`);
      return 0;
    }
    if (first === "help") {
      const spec = rest[0] === undefined ? undefined : COMMANDS.find((c) => c.name === rest[0]);
      if (rest[0] !== undefined && !spec) throw new UsageError(`unknown command "${rest[0]}"`);
      io.out(spec ? usageOf(spec) : globalUsage());
      return 0;
    }
    const spec = COMMANDS.find((c) => c.name === first);
    const run = RUN[first];
    if (!spec || !run) {
      throw new UsageError(
        first.startsWith("-") ? `unknown option "${first}"` : `unknown command "${first}"`,
      );
    }
    const parsed = parseCommand(spec, rest);
    if (parsed === "help") {
      io.out(usageOf(spec));
      return 0;
    }
    return await run(parsed, sink, spec);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`oxistore${err.command ? ` ${err.command.name}` : ""}: ${err.message}`);
      io.err(err.command ? usageOf(err.command) : globalUsage());
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    const kind = err instanceof StoreError ? `${err.kind}: ` : "";
    io.err(`oxistore: ${kind}${message}`);
    if (err instanceof StoreError && err.kind === "Unsupported" && kvFlagMissing()) {
      io.err(
        "oxistore: this is a Deno KV store; run the CLI with --unstable-kv, e.g. " +
          "deno run -A --unstable-kv jsr:@cooljapan/oxistore/cli " + args.join(" "),
      );
    }
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
