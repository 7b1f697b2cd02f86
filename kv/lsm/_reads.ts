// Reads of an LSM store: point reads of the live state, and scans and
// snapshots, which pin a view (sequence number, memtables, version) until
// released. A pinned view also pins the manifest edit it reads, which other
// openers learn of before they delete files.
import type { RawEntry, RawScanOptions, RawSnapshot } from "../../core/engine.ts";
import { StoreError } from "../../core/error.ts";
import { getIn, scanView, type View } from "./_read.ts";
import { follow, publishPin, reap, soloLook } from "./_many_openers.ts";
import { checkUsable, type LsmState } from "./_state.ts";

/** The memtable, the frozen ones newest first, and the current version. */
function liveView(e: LsmState): View {
  const mems = [e.mem];
  for (let i = e.imms.length - 1; i >= 0; i--) mems.push(e.imms[i]!.mem);
  return { seq: Infinity, mems, version: e.vs.current };
}

/** The stored value, or undefined. */
export function get(e: LsmState, key: Uint8Array): Uint8Array | undefined {
  checkUsable(e, "get");
  const o = e.openers;
  if (o !== undefined && (o.solo ? ++e.soloReads > 1024 && soloLook(e, o) : true)) {
    follow(e);
  }
  if (e.imms.length === 0) {
    const v = e.mem.get(key, Infinity);
    if (v !== undefined) return v.length === 0 ? undefined : v.slice();
    return getIn({ seq: Infinity, mems: [], version: e.vs.current }, key);
  }
  return getIn(liveView(e), key);
}

/** Pins the current state (after following other openers) until `unpin`. */
function pin(e: LsmState): View {
  const o = e.openers;
  if (o !== undefined && (!o.solo || soloLook(e, o))) follow(e);
  const view = liveView(e);
  view.seq = e.seq;
  view.version.refs++;
  e.pins++;
  const edit = view.version.edit;
  e.viewPins.set(edit, (e.viewPins.get(edit) ?? 0) + 1);
  return view;
}

function unpin(e: LsmState, view: View): void {
  e.pins--;
  const edit = view.version.edit;
  const n = (e.viewPins.get(edit) ?? 1) - 1;
  if (n <= 0) e.viewPins.delete(edit);
  else e.viewPins.set(edit, n);
  e.vs.unref(view.version);
  if (e.openers?.solo === false && !e.closed) {
    publishPin(e);
    reap(e);
  }
}

/** Entries in `[lo, hi)` as of the call (a pinned point-in-time view). */
export function* scan(
  e: LsmState,
  lo: Uint8Array | undefined,
  hi: Uint8Array | undefined,
  opts?: RawScanOptions,
): Generator<RawEntry> {
  checkUsable(e, "scan");
  const view = pin(e);
  try {
    yield* scanView(view, lo, hi, opts);
  } finally {
    unpin(e, view);
  }
}

/** A pinned view: sequence number, memtables and tables stay until release. */
export function snapshot(e: LsmState): RawSnapshot {
  checkUsable(e, "snapshot");
  const view = pin(e);
  let released = false;
  return {
    get: (key) => {
      if (released) throw new StoreError("InvalidInput", `Snapshot of ${e.path} released`);
      return getIn(view, key);
    },
    scan: (lo, hi, opts) => {
      if (released) throw new StoreError("InvalidInput", `Snapshot of ${e.path} released`);
      return scanView(view, lo, hi, opts);
    },
    release: () => {
      if (released) return;
      released = true;
      unpin(e, view);
    },
  };
}
