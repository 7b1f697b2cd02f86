// What each command accepts and how its usage reads; the parser and the help
// text both come from this one table.
import { parseArgs } from "node:util";
import { STORE_KINDS, type StoreKind } from "../core/config.ts";

/** A parseArgs option: a string or a boolean flag. */
interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
}

/** One command: its positional arguments, options and help text. */
export interface CommandSpec {
  name: string;
  args: string[];
  summary: string;
  options: Record<string, OptionSpec & { help: string; value?: string }>;
}

const kinds = STORE_KINDS.join("|");

const tree = {
  type: "string" as const,
  value: "name",
  help: "a named tree instead of the default keyspace",
};

const replicaPrefix = {
  type: "string" as const,
  value: "p",
  help: "the replica's key prefix in the blob store (default replica)",
};

const REPLICA_COMMANDS: CommandSpec[] = [
  {
    name: "replicate",
    args: ["path", "url"],
    summary: "stream every commit to a blob store (s3://, gs://, az://, file://) until stopped",
    options: {
      prefix: replicaPrefix,
      interval: { type: "string", value: "ms", help: "upload pending commits this often (1000)" },
      retention: { type: "string", value: "ms", help: "keep restore points this long (7 days)" },
      "snapshot-interval": {
        type: "string",
        value: "ms",
        help: "a fresh snapshot this often (1 h)",
      },
    },
  },
  {
    name: "restore-replica",
    args: ["url", "path"],
    summary: "rebuild a store from a replica, as of --at or the newest commit",
    options: {
      prefix: replicaPrefix,
      at: { type: "string", value: "iso-time", help: "the moment to restore (default: newest)" },
      kind: { type: "string", value: "btree|lsm|denokv", help: "engine of the new store" },
    },
  },
];

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "stat",
    args: ["path"],
    summary: "engine, live keys (every tree), bytes on disk",
    options: {},
  },
  { name: "detect", args: ["path"], summary: "which engine made the store", options: {} },
  {
    name: "get",
    args: ["path", "key"],
    summary: "print a value (exit 1 when the key is absent)",
    options: { tree },
  },
  {
    name: "put",
    args: ["path", "key", "value"],
    summary: "write a value; creates a store of --kind where none is",
    options: {
      kind: { type: "string", value: kinds, help: "engine of a new store (default btree)" },
      ttl: { type: "string", value: "ms", help: "expire the key after this many milliseconds" },
      tree,
    },
  },
  {
    name: "scan",
    args: ["path"],
    summary: "print keys and values, tab-separated, in key order",
    options: {
      prefix: { type: "string", value: "p", help: "only keys starting with p" },
      start: { type: "string", value: "a", help: "first key (inclusive)" },
      end: { type: "string", value: "b", help: "last key (exclusive)" },
      limit: { type: "string", value: "n", help: "at most n rows" },
      reverse: { type: "boolean", help: "descending key order" },
      tree,
    },
  },
  {
    name: "backup",
    args: ["path", "backup-file"],
    summary: "consistent copy of every tree, portable across engines",
    options: {},
  },
  {
    name: "restore",
    args: ["backup-file", "path"],
    summary: "replace the store's contents with a backup's (creates the store if needed)",
    options: {
      kind: { type: "string", value: kinds, help: "engine of a new store (default btree)" },
    },
  },
  {
    name: "migrate",
    args: ["src", "dst"],
    summary: "copy every live key of every tree, with its TTL, into dst",
    options: {
      to: { type: "string", value: kinds, help: "engine of a new dst store (default btree)" },
    },
  },
  ...REPLICA_COMMANDS,
  {
    name: "import-denokv",
    args: ["deno-kv-file", "path"],
    summary: "copy a Deno KV database into a store, read back with openKv (deno-kv)",
    options: {
      kind: { type: "string", value: kinds, help: "engine of a new store (default btree)" },
    },
  },
  {
    name: "export-denokv",
    args: ["path", "deno-kv-file"],
    summary: "copy a store's Deno KV API entries into a Deno KV database",
    options: {},
  },
  { name: "help", args: ["[command]"], summary: "this text, or one command's", options: {} },
];

/** Bad usage: exit 2 with the command's usage on stderr. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: CommandSpec) {
    super(message);
  }
}

/** `oxistore <name> <args> [options]` with one line per option. */
export function usageOf(spec: CommandSpec): string {
  const opts = Object.entries(spec.options);
  const args = spec.args.map((a) => a.startsWith("[") ? a : `<${a}>`).join(" ");
  const lines = [`usage: oxistore ${spec.name} ${args}${opts.length ? " [options]" : ""}`];
  lines.push(`  ${spec.summary}`);
  for (const [name, o] of opts) {
    const left = `--${name}${o.value ? ` <${o.value}>` : ""}`;
    lines.push(`  ${left.padEnd(24)} ${o.help}`);
  }
  lines.push(`  ${"-h, --help".padEnd(24)} this help`);
  return lines.join("\n");
}

/** The global usage: every command on one line. */
export function globalUsage(): string {
  const lines = ["usage: oxistore <command> [args] [options]", "commands:"];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(15)} ${c.summary}`);
  lines.push(
    "options: -h, --help (global or per command), -V, --version",
    "A value or key that starts with '-' goes after '--': oxistore put db.oxi -- -k -1",
    `kinds: ${STORE_KINDS.join(", ")} (denokv needs deno run --unstable-kv)`,
  );
  return lines.join("\n");
}

/** What one command line asked for, checked against its spec. */
export interface Parsed {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

/** Strict parse of a command's arguments; unknown flags and missing values are UsageErrors. */
export function parseCommand(spec: CommandSpec, args: string[]): Parsed | "help" {
  const options: Record<string, OptionSpec> = { help: { type: "boolean", short: "h" } };
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    // node's text goes on about '--' positionals; its first sentence is the point.
    const first = (err as Error).message.split("\n")[0]!;
    throw new UsageError(first.replace(/\. To specify .*$/, ".").replace(/\.$/, ""), spec);
  }
  if (parsed.values.help === true) return "help";
  const want = spec.args.filter((a) => !a.startsWith("["));
  const max = spec.args.length;
  const n = parsed.positionals.length;
  if (n < want.length || n > max) {
    const got = n < want.length
      ? `missing <${spec.args[n]}>`
      : `unexpected argument "${parsed.positionals[max]}"`;
    throw new UsageError(got, spec);
  }
  return {
    positionals: parsed.positionals,
    values: parsed.values as Record<string, string | boolean | undefined>,
  };
}

/** A `--kind`-like option: one of the engines, or a UsageError. */
export function kindOption(p: Parsed, name: string, spec: CommandSpec): StoreKind | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!(STORE_KINDS as readonly string[]).includes(v)) {
    throw new UsageError(
      `--${name}: unknown kind "${v}" (expected ${STORE_KINDS.join(", ")})`,
      spec,
    );
  }
  return v as StoreKind;
}

/** A string option's value, if given. */
export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}

/** A whole-number option (>= `min`), or a UsageError. */
export function wholeNumber(
  p: Parsed,
  name: string,
  min: number,
  spec: CommandSpec,
): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be a whole number >= ${min}, got "${v}"`, spec);
  }
  return n;
}
