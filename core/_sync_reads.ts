// Private to core: the synchronous read path (`getSync`, `rangeSync`) of
// EngineStore, for engines whose raw reads answer without an I/O wait.
import type { Bytes } from "./bytes.ts";
import type { RawEntry, RawScanOptions } from "./engine.ts";
import { StoreError } from "./error.ts";
import type { KvEntry, RangeOptions } from "./kv.ts";
import { liveValue } from "./ttl.ts";
import { checkLimit, type ScanSource, type Shared } from "./_shared.ts";

/**
 * `Unsupported` for an engine that reads asynchronously only; `asyncOp` is
 * the method to use instead.
 */
export function noSyncReads(s: Shared, op: string, asyncOp: string): StoreError {
  return new StoreError(
    "Unsupported",
    `Cannot ${op} in store at ${s.engine.path}: the ${s.kind} engine reads asynchronously ` +
      `only; use the async ${asyncOp}`,
  );
}

/**
 * A view of `[lo, hi)` for a synchronous scan: the engine's own pinned
 * snapshot when it has one (no commit lock to wait for: a native pin is
 * taken in one synchronous step), else the engine's scan itself.
 */
export function pinnedSync(
  s: Shared,
  lo: Uint8Array | undefined,
  hi: Uint8Array | undefined,
  opts: RawScanOptions,
): ScanSource {
  const engine = s.engine;
  if (engine.snapshot === undefined) return { entries: engine.scan(lo, hi, opts) };
  const view = engine.snapshot();
  try {
    return { entries: view.scan(lo, hi, opts), release: () => view.release() };
  } catch (err) {
    view.release();
    throw err;
  }
}

/**
 * The synchronous twin of `scanLive`: the limit is checked now, the view is
 * pinned on the first `next()`, expired entries are skipped, the tree prefix
 * is stripped, reads are counted and errors name `op` and the store path.
 */
export function scanLiveSync(
  s: Shared,
  op: string,
  asyncOp: string,
  strip: number,
  opts: RangeOptions | undefined,
  open: ((opts: RawScanOptions) => ScanSource) | undefined,
  recheck: () => void,
): IterableIterator<KvEntry> {
  const limit = s.locate(op, () => checkLimit(opts?.limit));
  const reverse = opts?.reverse === true;
  const hint: RawScanOptions = limit === Infinity ? { reverse } : { reverse, limit };
  function* run(): Generator<KvEntry, undefined, undefined> {
    let source: ScanSource | undefined;
    try {
      recheck();
      if (!open || limit <= 0) return;
      source = open(hint);
      const entries = source.entries;
      if (!(Symbol.iterator in entries)) throw noSyncReads(s, op, asyncOp);
      const it = (entries as Iterable<RawEntry>)[Symbol.iterator]();
      const m = s.metrics;
      const now = Date.now();
      let n = 0;
      try {
        while (n < limit) {
          const r = it.next();
          if (r.done) return;
          const [key, stored] = r.value;
          const value: Bytes | undefined = liveValue(stored, now);
          if (value === undefined) continue;
          m.reads++;
          m.bytesRead += key.length + value.length;
          n++;
          yield [key.subarray(strip), value];
        }
      } finally {
        it.return?.();
      }
    } catch (err) {
      throw s.fail(op, err);
    } finally {
      source?.release?.();
    }
  }
  return run();
}
