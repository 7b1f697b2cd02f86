// Opening an LSM store once its arguments are checked, on any file system:
// Deno's in production (openLsm), the tests' simulated disk in tests/faults/,
// so the store directory's creation and its parent fsync run there too.
import type { StoreConfig } from "../../core/config.ts";
import { EngineStore } from "../../core/engine_store.ts";
import { StoreError, toStoreError } from "../../core/error.ts";
import type { KvStore } from "../../core/kv.ts";
import { type FsCalls, makeDirDurable } from "../../core/_fs_calls.ts";
import { DiskFs, MemFs } from "./_fs.ts";
import { LsmEngine } from "./lsm_engine.ts";
import type { LsmOptions } from "./lsm_options.ts";

function prepareDir(sys: FsCalls, path: string, readOnly: boolean): void {
  let info: { isDirectory: boolean };
  try {
    info = sys.statSync(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    if (readOnly) {
      throw new StoreError(
        "NotFound",
        `Cannot open LSM store at ${path} read-only: no store there`,
        { cause: err },
      );
    }
    // Its parent is fsynced too: a store whose open resolved survives a power cut.
    makeDirDurable(sys, path);
    return;
  }
  if (!info.isDirectory) {
    throw new StoreError(
      "Corruption",
      `Cannot open LSM store at ${path}: it is a file, not an oxistore LSM directory`,
    );
  }
}

/**
 * Opens (or creates) the store at `path` (undefined: in memory) through
 * `sys`; `config` and `path` are already checked. Every failure is a
 * StoreError naming the store.
 */
export async function openLsmOn(
  sys: FsCalls,
  path: string | undefined,
  config: StoreConfig,
  tuning: LsmOptions,
): Promise<{ store: KvStore; engine: LsmEngine }> {
  try {
    const readOnly = config.readOnly === true;
    if (path !== undefined) prepareDir(sys, path, readOnly);
    // An absolute path keeps working if the process changes directory later.
    const fs = path === undefined ? new MemFs() : new DiskFs(sys.realPathSync(path), sys);
    const opts: LsmOptions = { ...tuning };
    if (config.cacheSizeBytes !== undefined) opts.cacheSizeBytes = config.cacheSizeBytes;
    const engine = await LsmEngine.open(fs, readOnly && path !== undefined, opts);
    const store = new EngineStore(engine, {
      kind: "lsm",
      syncWrites: config.syncWrites ?? true,
      readOnly,
      mergeOperator: config.mergeOperator,
    });
    return { store, engine };
  } catch (err) {
    throw toStoreError(err, `open LSM store at ${path ?? ":memory:"}`);
  }
}
