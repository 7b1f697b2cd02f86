/**
 * The `oxistore` command line: inspect and move stores of any engine.
 *
 * ```sh
 * deno task cli stat ./data.oxi
 * deno task cli put ./data.oxi greeting hello
 * deno task cli scan ./data.oxi --prefix user/ --limit 10
 * deno task cli backup ./data.oxi ./data.bak
 * deno task cli migrate ./data.oxi ./copy.sqlite --to denokv
 * ```
 *
 * @example
 * ```ts
 * import { main } from "@cooljapan/oxistore/cli";
 * const code = await main(["help"], { out: () => {}, err: () => {} });
 * console.log(code); // 0
 * ```
 *
 * @module
 */
import {
  detectBackend,
  migrate,
  openConfig,
  openReadOnly,
  STORE_KINDS,
  type StoreKind,
} from "./mod.ts";
import { StoreError } from "./core/error.ts";
import { toHex } from "./core/encoding.ts";
import type { KvStore } from "./core/kv.ts";

/** Where the CLI writes: one line at a time. */
export interface CliIo {
  /** Normal output (stdout). */
  out: (line: string) => void;
  /** Errors and progress (stderr). */
  err: (line: string) => void;
}

const USAGE = `usage: oxistore <command> [args]
  stat <path>                         engine, live keys, bytes on disk
  detect <path>                       which engine made the store
  get <path> <key>                    print a value (exit 1 if absent)
  put <path> <key> <value> [--kind k] write a value (creates a store of kind k, default btree)
  scan <path> [--prefix p] [--start a] [--end b] [--limit n] [--reverse]
  backup <path> <backup-file>         consistent copy, portable across engines
  restore <backup-file> <path> [--kind k]   replace the store's contents
  migrate <src> <dst> [--to k]        copy every live key (and TTL) into dst
kinds: ${STORE_KINDS.join(", ")}`;

class UsageError extends Error {}

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

function parse(args: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--reverse") flags.set("reverse", true);
    else if (a.startsWith("--")) {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`missing value for ${a}`);
      flags.set(a.slice(2), v);
    } else positional.push(a);
  }
  return { positional, flags };
}

function want(p: Parsed, n: number, what: string): string[] {
  if (p.positional.length !== n) throw new UsageError(`expected ${what}`);
  return p.positional;
}

function flag(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === "string" ? v : undefined;
}

function kindFlag(p: Parsed, name: string): StoreKind | undefined {
  const v = flag(p, name);
  if (v === undefined) return undefined;
  if (!(STORE_KINDS as readonly string[]).includes(v)) {
    throw new UsageError(`unknown kind "${v}" (expected ${STORE_KINDS.join(", ")})`);
  }
  return v as StoreKind;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Text when the bytes are UTF-8 without control characters, else `0x…` hex. */
function show(bytes: Uint8Array): string {
  try {
    const s = decoder.decode(bytes);
    // deno-lint-ignore no-control-regex
    if (!/[\u0000-\u0008\u000e-\u001f\u007f]/.test(s)) return s;
  } catch {
    // not UTF-8
  }
  return "0x" + toHex(bytes);
}

/** Opens an existing store of any engine, or creates one of `kind`. */
async function openOrCreate(path: string, kind: StoreKind | undefined): Promise<KvStore> {
  try {
    const found = await detectBackend(path);
    if (kind !== undefined && kind !== found) {
      throw new UsageError(`${path} is a ${found} store, not ${kind}`);
    }
    return await openConfig(path, { kind: found });
  } catch (err) {
    if (err instanceof StoreError && err.kind === "NotFound") {
      return await openConfig(path, { kind: kind ?? "btree" });
    }
    throw err;
  }
}

function progress(io: CliIo, what: string): (n: number, done?: boolean) => void {
  let last = Date.now();
  return (n, done = false) => {
    const now = Date.now();
    if (done || now - last >= 500) {
      last = now;
      io.err(`${what}: ${n} keys${done ? ", done" : "…"}`);
    }
  };
}

async function run(p: Parsed, io: CliIo): Promise<number> {
  const [command] = p.positional.splice(0, 1);
  switch (command) {
    case undefined:
    case "help":
    case "--help":
      io.out(USAGE);
      return 0;
    case "detect": {
      const [path] = want(p, 1, "detect <path>");
      io.out(await detectBackend(path!));
      return 0;
    }
    case "stat": {
      const [path] = want(p, 1, "stat <path>");
      await using store = await openReadOnly(path!);
      io.out(`path: ${path}`);
      io.out(`kind: ${store.kind}`);
      io.out(`keys: ${await store.count()}`);
      io.out(`bytes on disk: ${await store.sizeOnDisk()}`);
      return 0;
    }
    case "get": {
      const [path, key] = want(p, 2, "get <path> <key>");
      await using store = await openReadOnly(path!);
      const value = await store.get(key!);
      if (value === undefined) {
        io.err(`oxistore: no key "${key}" in ${path}`);
        return 1;
      }
      io.out(show(value));
      return 0;
    }
    case "put": {
      const [path, key, value] = want(p, 3, "put <path> <key> <value>");
      await using store = await openOrCreate(path!, kindFlag(p, "kind"));
      await store.put(key!, value!);
      return 0;
    }
    case "scan": {
      const [path] = want(p, 1, "scan <path>");
      const limitText = flag(p, "limit");
      const limit = limitText === undefined ? undefined : Number(limitText);
      if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
        throw new UsageError(`--limit must be a whole number >= 0, got "${limitText}"`);
      }
      const prefix = flag(p, "prefix");
      const reverse = p.flags.get("reverse") === true;
      const opts = { reverse, ...(limit === undefined ? {} : { limit }) };
      await using store = await openReadOnly(path!);
      const iter = prefix !== undefined
        ? store.prefixScan(prefix, opts)
        : store.range(flag(p, "start"), flag(p, "end"), opts);
      let n = 0;
      const tick = progress(io, "scan");
      for await (const [k, v] of iter) {
        io.out(`${show(k)}\t${show(v)}`);
        tick(++n);
      }
      return 0;
    }
    case "backup": {
      const [path, dst] = want(p, 2, "backup <path> <backup-file>");
      await using store = await openReadOnly(path!);
      await store.backup(dst!);
      io.err(`backup of ${path} written to ${dst}`);
      return 0;
    }
    case "restore": {
      const [backup, path] = want(p, 2, "restore <backup-file> <path>");
      await using store = await openOrCreate(path!, kindFlag(p, "kind"));
      await store.restore(backup!);
      io.err(`${path} restored from ${backup}: ${await store.count()} keys`);
      return 0;
    }
    case "migrate": {
      const [src, dst] = want(p, 2, "migrate <src> <dst>");
      await using from = await openReadOnly(src!);
      await using to = await openOrCreate(dst!, kindFlag(p, "to"));
      const copied = await migrate(from, to);
      progress(io, "migrate")(copied, true);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/**
 * Runs the CLI with `args`; returns the exit code (0 ok, 1 failure, 2 bad
 * usage). Errors are one line on `io.err`.
 *
 * @example
 * ```ts
 * import { main } from "@cooljapan/oxistore/cli";
 * const lines: string[] = [];
 * await main(["nonsense"], { out: () => {}, err: (l) => lines.push(l) });
 * console.log(lines[0]); // "oxistore: unknown command "nonsense" (try: oxistore help)"
 * ```
 */
export async function main(
  args: string[],
  io: CliIo = { out: console.log, err: console.error },
): Promise<number> {
  try {
    return await run(parse(args), io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`oxistore: ${err.message} (try: oxistore help)`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    const kind = err instanceof StoreError ? `${err.kind}: ` : "";
    io.err(`oxistore: ${kind}${message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
