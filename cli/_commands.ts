// The commands: each opens what it needs through the facade, and a command
// that fails removes any store it created (nothing new is left behind).
import {
  destroy,
  detectBackend,
  migrate,
  openReadOnly,
  openWith,
  StoreError,
  type StoreKind,
} from "../mod.ts";
import type { KvStore } from "../core/kv.ts";
import { toHex } from "../core/encoding.ts";
import { countAllTrees } from "../core/migrate.ts";
import { backupToFile } from "./_backup_file.ts";
import { REPLICA_RUN } from "./_replica_commands.ts";
import { DENO_KV_RUN } from "./_deno_kv_commands.ts";
import { Progress, type ProgressSink } from "./_progress.ts";
import {
  type CommandSpec,
  kindOption,
  type Parsed,
  str,
  UsageError,
  wholeNumber,
} from "./_spec.ts";

/** Where a command writes. */
export interface CommandIo extends ProgressSink {
  out: (line: string) => void;
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

/** Whether anything is at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** A store to write into: the one at `path` (of any engine) or a new one of `kind`. */
interface Target {
  store: KvStore;
  kind: StoreKind;
  created: boolean;
}

async function openTarget(path: string, kind: StoreKind | undefined): Promise<Target> {
  if (await exists(path)) {
    const found = await detectBackend(path);
    if (kind !== undefined && kind !== found) {
      throw new StoreError(
        "InvalidInput",
        `Cannot write to ${path}: it is a ${found} store, not ${kind}`,
      );
    }
    return { store: await openWith(found, path), kind: found, created: false };
  }
  const k = kind ?? "btree";
  try {
    return { store: await openWith(k, path), kind: k, created: true };
  } catch (err) {
    await destroy(k, path).catch(() => {});
    throw err;
  }
}

/** Runs `work` on a target; a failure closes it and removes it if this command made it. */
async function writing<T>(
  path: string,
  kind: StoreKind | undefined,
  work: (store: KvStore) => Promise<T>,
): Promise<T> {
  const t = await openTarget(path, kind);
  try {
    const result = await work(t.store);
    await t.store.close();
    return result;
  } catch (err) {
    await t.store.close().catch(() => {});
    if (t.created) await destroy(t.kind, path).catch(() => {});
    throw err;
  }
}

type Command = (p: Parsed, io: CommandIo, spec: CommandSpec) => Promise<number>;

/** Each command by name; returns the exit code. */
export const RUN: Record<string, Command> = {
  ...REPLICA_RUN,
  ...DENO_KV_RUN,
  async detect(p, io) {
    io.out(await detectBackend(p.positionals[0]!));
    return 0;
  },

  async stat(p, io) {
    const path = p.positionals[0]!;
    await using store = await openReadOnly(path);
    io.out(`path: ${path}`);
    io.out(`kind: ${store.kind}`);
    io.out(`keys: ${await countAllTrees(store)}`);
    io.out(`bytes on disk: ${await store.sizeOnDisk()}`);
    return 0;
  },

  async get(p, io) {
    const [path, key] = p.positionals as [string, string];
    await using root = await openReadOnly(path);
    const tree = str(p, "tree");
    const value = await (tree === undefined ? root : root.tree(tree)).get(key);
    if (value === undefined) {
      io.err(`oxistore: no key "${key}" in ${path}${tree === undefined ? "" : ` (tree ${tree})`}`);
      return 1;
    }
    io.out(show(value));
    return 0;
  },

  async put(p, _io, spec) {
    const [path, key, value] = p.positionals as [string, string, string];
    const ttl = wholeNumber(p, "ttl", 1, spec);
    const kind = kindOption(p, "kind", spec);
    const tree = str(p, "tree");
    await writing(path, kind, async (root) => {
      const store = tree === undefined ? root : root.tree(tree);
      if (ttl === undefined) await store.put(key, value);
      else await store.putWithTtl(key, value, ttl);
    });
    return 0;
  },

  async scan(p, io, spec) {
    const path = p.positionals[0]!;
    const limit = wholeNumber(p, "limit", 0, spec);
    const prefix = str(p, "prefix");
    const start = str(p, "start");
    const end = str(p, "end");
    if (prefix !== undefined && (start !== undefined || end !== undefined)) {
      throw new UsageError("--prefix cannot be combined with --start or --end", spec);
    }
    const opts = { reverse: p.values.reverse === true, ...(limit === undefined ? {} : { limit }) };
    await using root = await openReadOnly(path);
    const tree = str(p, "tree");
    const store = tree === undefined ? root : root.tree(tree);
    const rows = prefix !== undefined
      ? store.prefixScan(prefix, opts)
      : store.range(start, end, opts);
    for await (const [k, v] of rows) io.out(`${show(k)}\t${show(v)}`);
    return 0;
  },

  async backup(p, io) {
    const [path, file] = p.positionals as [string, string];
    await using store = await openReadOnly(path);
    const progress = new Progress(io, "backup");
    try {
      const tally = await backupToFile(store, file, (t) => progress.update(t));
      progress.finish(`backup of ${path} written to ${file}`, tally);
    } finally {
      progress.stop();
    }
    return 0;
  },

  async restore(p, io, spec) {
    const [file, path] = p.positionals as [string, string];
    const kind = kindOption(p, "kind", spec);
    const progress = new Progress(io, "restore");
    try {
      const tally = await writing(path, kind, async (store) => {
        // Restore commits through the store, so its write counters are the progress.
        const written = () => {
          const m = store.metrics();
          return { keys: m.writes, bytes: m.bytesWritten };
        };
        progress.update(written());
        const ticker = setInterval(() => progress.update(written()), 100);
        try {
          await store.restore(file);
        } finally {
          clearInterval(ticker);
        }
        return written();
      });
      progress.finish(`${path} restored from ${file}`, tally);
    } finally {
      progress.stop();
    }
    return 0;
  },

  async migrate(p, io, spec) {
    const [src, dst] = p.positionals as [string, string];
    const to = kindOption(p, "to", spec);
    if (
      await exists(dst) && (await Deno.realPath(src).catch(() => src)) === await Deno.realPath(dst)
    ) {
      throw new UsageError(`<src> and <dst> are the same store (${src})`, spec);
    }
    await using from = await openReadOnly(src);
    const progress = new Progress(io, "migrate");
    try {
      const copied = await writing(
        dst,
        to,
        (into) => migrate(from, into, { onProgress: (t) => progress.update(t) }),
      );
      progress.finish(`migrated ${src} (${from.kind}) into ${dst}`, { keys: copied });
    } finally {
      progress.stop();
    }
    return 0;
  },
};
