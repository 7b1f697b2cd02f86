// Crash points and injected faults for the stores that sit on a
// LocalBlobStore (the blob store itself and datasets on a blob root): the
// same simulated disk as the engines' (sim_disk.ts), put under the store's
// `LocalFs` by sim_local_fs.ts. The workload runs once to count its calls,
// then with the power cut at call k, or with call k failing; a reopen must
// show every acknowledged step and, for the step in flight, its state before
// or after, whole.
import { StoreError } from "../../core/error.ts";
import { type CallKind, type CutMode, type FaultCode, PowerCut, SimDisk } from "./sim_disk.ts";
import { discardReal } from "./sim_local_fs.ts";
import { points } from "./_harness.ts";
import { rng } from "./sim_disk.ts";

/** One step of a workload; `apply` returns the model once the step resolved. */
export interface StoreStep<S, M> {
  name: string;
  run(store: S): Promise<void>;
  apply(model: M): M;
  /** The harness closes and reopens the store. */
  reopen?: true;
}

/** A store on a LocalBlobStore, under test. */
export interface StoreTarget<S, M> {
  name: string;
  /** A real, empty directory; the simulated disk's paths live under it. */
  base: string;
  /** The blob store's root (under `base`): rewritten from the simulated disk after a cut. */
  root: string;
  steps: StoreStep<S, M>[];
  empty(): M;
  /** Opens the store with its file calls on `disk` (mirrored to the real `root`). */
  open(disk: SimDisk): Promise<S>;
  /** After a power cut: powers `disk` back on and makes the real `root` hold what it kept. */
  restore(disk: SimDisk): void;
  close(store: S): Promise<void>;
  /** Throws unless the reopened store holds one of `allowed` (whole, listing agreeing with reads). */
  verify(store: S, allowed: M[], what: string): Promise<void>;
}

interface Outcome<S, M> {
  acked: M;
  /** The state if the step in flight had completed. */
  inflight: M | undefined;
  inflightName: string | undefined;
  store: S | undefined;
  err: unknown;
  /** The first faulted call, and whether the step it hit still resolved. */
  faultedStepResolved: boolean;
}

async function drive<S, M>(t: StoreTarget<S, M>, disk: SimDisk): Promise<Outcome<S, M>> {
  discardReal(t.root, t.base);
  discardReal(`${t.base}/.inodes`, t.base);
  const out: Outcome<S, M> = {
    acked: t.empty(),
    inflight: undefined,
    inflightName: undefined,
    store: undefined,
    err: undefined,
    faultedStepResolved: false,
  };
  try {
    out.inflightName = "open";
    out.inflight = out.acked;
    out.store = await t.open(disk);
    for (const step of t.steps) {
      out.inflightName = step.name;
      out.inflight = step.apply(out.acked);
      const faultedBefore = disk.faulted !== undefined;
      if (step.reopen) {
        const s = out.store;
        out.store = undefined;
        await t.close(s);
        out.store = await t.open(disk);
      } else await step.run(out.store);
      if (!faultedBefore && disk.faulted !== undefined) out.faultedStepResolved = true;
      out.acked = out.inflight;
      out.inflight = undefined;
      out.inflightName = undefined;
    }
    const s = out.store;
    out.store = undefined;
    out.inflightName = "close";
    out.inflight = out.acked;
    await t.close(s);
    out.inflightName = undefined;
    out.inflight = undefined;
  } catch (err) {
    out.err = err;
  }
  return out;
}

async function closeQuietly<S, M>(t: StoreTarget<S, M>, store: S | undefined): Promise<void> {
  if (store === undefined) return;
  try {
    await t.close(store);
  } catch { /* the disk is gone or failing */ }
}

/** Cuts the power (drop/scatter) or kills; brings the real root to what survived; reopens and checks. */
async function reopenAndVerify<S, M>(
  t: StoreTarget<S, M>,
  disk: SimDisk,
  allowed: M[],
  what: string,
): Promise<void> {
  disk.cut();
  if (disk.cutMode === "kill") disk.reboot();
  else t.restore(disk);
  let store: S;
  try {
    store = await t.open(disk);
  } catch (err) {
    throw new Error(`${t.name} ${what}: reopen failed: ${err}`, { cause: err });
  }
  try {
    await t.verify(store, allowed, `${t.name} ${what}`);
  } finally {
    await closeQuietly(t, store);
  }
}

function isPowerCut(err: unknown): boolean {
  for (let e = err, i = 0; e !== undefined && e !== null && i < 8; i++) {
    if (e instanceof PowerCut) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The workload's calls, counted by kind (a clean run, then checked after a cut). */
export async function countStoreCalls<S, M>(
  t: StoreTarget<S, M>,
): Promise<{ total: number; kinds: Record<string, number>; calls: CallKind[] }> {
  const disk = new SimDisk(t.base);
  disk.record = true;
  const out = await drive(t, disk);
  if (out.err !== undefined) throw out.err;
  const kinds: Record<string, number> = {};
  for (const c of disk.log) kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
  const result = { total: disk.calls, kinds, calls: disk.log.map((c) => c.kind) };
  disk.cutMode = "drop";
  await reopenAndVerify(t, disk, [out.acked], "after a clean run and a power cut");
  return result;
}

/** Cuts the power at call `k` (calls before it completed), reopens, checks. */
export async function storeCrashPoint<S, M>(
  t: StoreTarget<S, M>,
  k: number,
  mode: CutMode,
  salt = 0,
): Promise<void> {
  const disk = new SimDisk(
    t.base,
    (k * 3 + ["drop", "scatter", "kill"].indexOf(mode)) * 7919 + salt,
  );
  disk.cutAt = k;
  disk.cutMode = mode;
  const out = await drive(t, disk);
  if (out.err !== undefined && !isPowerCut(out.err)) {
    throw new Error(`${t.name} cut at call ${k}: the run failed before the cut: ${out.err}`, {
      cause: out.err,
    });
  }
  await closeQuietly(t, out.store);
  const allowed = out.inflight === undefined ? [out.acked] : [out.acked, out.inflight];
  await reopenAndVerify(t, disk, allowed, `cut at call ${k} (${mode}, during ${out.inflightName})`);
}

/** What one fault run saw. */
export interface StoreFaultResult {
  surfaced: boolean;
  kind: CallKind | undefined;
}

/**
 * Fails call `k` with `code`: the step fails with a StoreError of the right
 * kind naming the store (`Io`; `CapacityExceeded` for ENOSPC); no step
 * resolves after a failed file or directory fsync; after the fault (and a
 * power cut) a reopen holds every acknowledged step.
 */
export async function storeFaultPoint<S, M>(
  t: StoreTarget<S, M>,
  k: number,
  code: FaultCode,
): Promise<StoreFaultResult> {
  const disk = new SimDisk(t.base, k);
  disk.faultAt = k;
  disk.faultCode = code;
  const out = await drive(t, disk);
  const kind = disk.faulted?.kind;
  const at = `${code} at call ${k} (${kind ?? "not reached"}, during ${out.inflightName})`;
  if (out.faultedStepResolved && (kind === "sync" || kind === "dirsync")) {
    throw new Error(`${at}: a step resolved after its fsync failed`);
  }
  if (out.err !== undefined) {
    const err = out.err;
    if (!(err instanceof StoreError)) {
      throw new Error(`${at}: not a StoreError: ${err}`, { cause: err });
    }
    const want = code === "ENOSPC" ? "CapacityExceeded" : "Io";
    if (err.kind !== want) {
      throw new Error(`${at}: failed with ${err.kind}, want ${want}: ${err.message}`);
    }
    // Creating the root fsyncs its parent: that failure names the parent.
    if (!err.message.includes(t.root) && !err.message.includes(t.base)) {
      throw new Error(`${at}: message does not name the store: ${err.message}`);
    }
    // Reads go on while the disk is failing: the store in hand still gives whole blobs.
    if (out.store !== undefined) {
      const allowed = out.inflight === undefined ? [out.acked] : [out.acked, out.inflight];
      await t.verify(out.store, allowed, `${at}, reading after the failure`);
    }
  }
  await closeQuietly(t, out.store);
  const allowed = out.err !== undefined && out.inflight !== undefined
    ? [out.acked, out.inflight]
    : [out.acked];
  disk.cutMode = "drop";
  disk.faultAt = -1;
  await reopenAndVerify(t, disk, allowed, `${at}, reopened after the fault and a power cut`);
  return { surfaced: out.err !== undefined, kind };
}

/** How much to run. */
export interface StoreBudget {
  crashSample: number;
  allModes: boolean;
  allCodes: boolean;
  /** Extra scatter cuts where a directory fsync is in flight. */
  dirMixes: number;
  seconds: number;
}

/**
 * The CI budget: every call once, a power cut (drop or scatter) or a kill
 * chosen by a seeded coin, and a scatter cut at least wherever a directory
 * fsync is in flight (where unsynced renames can land out of order).
 */
export const BLOB_CI: StoreBudget = {
  crashSample: 1000,
  allModes: false,
  allCodes: false,
  dirMixes: 1,
  seconds: Infinity,
};

/** What a run covered. */
export interface StoreTally {
  target: string;
  calls: number;
  kinds: Record<string, number>;
  crashRuns: number;
  faultRuns: number;
  faultsSurfaced: number;
}

/** Power cuts at every call (or a seeded sample); throws at the first bad point. */
export async function storeCrashPoints<S, M>(
  t: StoreTarget<S, M>,
  b: StoreBudget,
  seed = 1,
): Promise<StoreTally> {
  const c = await countStoreCalls(t);
  const tally: StoreTally = {
    target: t.name,
    calls: c.total,
    kinds: c.kinds,
    crashRuns: 0,
    faultRuns: 0,
    faultsSurfaced: 0,
  };
  const coin = rng(seed);
  const end = performance.now() + b.seconds * 1000;
  for (const k of points(c.total, b.crashSample, seed)) {
    if (performance.now() > end) break;
    const all: CutMode[] = ["drop", "scatter", "kill"];
    const modes = b.allModes ? all : [all[Math.floor(coin() * all.length)]!];
    if (c.calls[k - 1] === "dirsync") {
      for (let i = modes.includes("scatter") ? 1 : 0; i < b.dirMixes; i++) modes.push("scatter");
    }
    for (const [i, mode] of modes.entries()) {
      await storeCrashPoint(t, k, mode, seed * 1000 + i);
      tally.crashRuns++;
    }
  }
  return tally;
}

/** Fails every call in turn (EIO everywhere, ENOSPC on writes, creates and mkdirs). */
export async function storeFaultRuns<S, M>(
  t: StoreTarget<S, M>,
  b: StoreBudget,
): Promise<StoreTally> {
  const c = await countStoreCalls(t);
  const tally: StoreTally = {
    target: t.name,
    calls: c.total,
    kinds: c.kinds,
    crashRuns: 0,
    faultRuns: 0,
    faultsSurfaced: 0,
  };
  const end = performance.now() + b.seconds * 1000;
  for (let k = 1; k <= c.total; k++) {
    if (performance.now() > end) break;
    const kind = c.calls[k - 1]!;
    const codes: FaultCode[] = kind === "write" || kind === "create" || kind === "mkdir"
      ? ["EIO", "ENOSPC"]
      : ["EIO"];
    for (const code of b.allCodes ? codes : [codes[k % codes.length]!]) {
      const r = await storeFaultPoint(t, k, code);
      tally.faultRuns++;
      if (r.surfaced) tally.faultsSurfaced++;
    }
  }
  return tally;
}

/** One line for the log and the report. */
export function storeSummary(t: StoreTally): string {
  const kinds = Object.entries(t.kinds).map(([k, n]) => `${k} ${n}`).join(", ");
  const parts = [`${t.target}: workload ${t.calls} calls (${kinds})`];
  if (t.crashRuns > 0) parts.push(`${t.crashRuns} power cuts or kills`);
  if (t.faultRuns > 0) parts.push(`${t.faultRuns} injected faults (${t.faultsSurfaced} surfaced)`);
  return parts.join("; ");
}
