// Runs the workload on a simulated disk: once to count its calls, then with
// the power cut at a chosen call (crash points) or with one call failing
// (faults), and checks what a reopen finds against the acknowledged commits.
import type { KvStore } from "../../core/kv.ts";
import { StoreError } from "../../core/error.ts";
import { type CallKind, type CutMode, type FaultCode, PowerCut, rng, SimDisk } from "./sim_disk.ts";
import { type Model, modelOf, type Step } from "./_workload.ts";

/** An engine under test. */
export interface Target {
  name: string;
  /** A real, empty directory; the simulated disk's paths live under it. */
  base: string;
  /** The store's path (under `base`). */
  path: string;
  steps: Step[];
  /** Opens (or creates) the store on `disk` through the engine's own file code. */
  open(disk: SimDisk): Promise<KvStore>;
  /** How a run starts, when not with {@link open} (the reopens after a cut still use it). */
  start?(disk: SimDisk): Promise<KvStore>;
  /** After a run: closes whatever else its steps opened (other handles of the store). */
  cleanup?(): Promise<void>;
  /** Throws when one of the engine's internal invariants does not hold. */
  check(store: KvStore): Promise<void>;
  /**
   * Opened with `syncWrites: false`: a commit is acknowledged only by the next
   * `flush()` (or clean close) that resolves; until then a crash may keep any
   * prefix of the commits since.
   */
  relaxed?: boolean;
}

interface Outcome {
  acked: Model;
  /** Steps that resolved, in order. */
  done: Step[];
  /** The last of `done` that are not acknowledged yet (relaxed targets). */
  pending: Step[];
  /** The step that was running when the run stopped. */
  inflight: Step | undefined;
  store: KvStore | undefined;
  err: unknown;
}

async function drive(t: Target, disk: SimDisk): Promise<Outcome> {
  const out: Outcome = {
    acked: new Map(),
    done: [],
    pending: [],
    inflight: undefined,
    store: undefined,
    err: undefined,
  };
  try {
    out.store = await (t.start ? t.start(disk) : t.open(disk));
    for (const step of t.steps) {
      out.inflight = step;
      if (step.reopen) {
        const s = out.store;
        out.store = undefined;
        await s.close();
        out.store = await t.open(disk);
      } else await step.run(out.store);
      out.done.push(step);
      out.pending.push(step);
      if (!t.relaxed || step.flush || step.reopen) {
        for (const p of out.pending) p.apply(out.acked);
        out.pending = [];
      }
      out.inflight = undefined;
    }
    const s = out.store;
    out.store = undefined;
    await s.close();
    for (const p of out.pending) p.apply(out.acked);
    out.pending = [];
  } catch (err) {
    out.err = err;
  }
  return out;
}

async function closeQuietly(store: KvStore | undefined): Promise<void> {
  try {
    await store?.close();
  } catch { /* the disk is gone or failing */ }
}

async function contents(store: KvStore): Promise<Model> {
  const m: Model = new Map();
  const dec = new TextDecoder();
  for await (const [k, v] of store.range()) m.set(dec.decode(k), dec.decode(v));
  return m;
}

function same(a: Model, b: Model): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function describe(found: Model, want: Model): string {
  const diff: string[] = [];
  for (const [k, v] of want) {
    if (found.get(k) !== v) {
      diff.push(`${k}: want ${v.slice(0, 24)}, got ${found.get(k)?.slice(0, 24)}`);
    }
  }
  for (const k of found.keys()) if (!want.has(k)) diff.push(`${k}: unexpected`);
  return diff.slice(0, 6).join("; ");
}

/**
 * Reopens after a cut or fault and checks the store holds one of `allowed`;
 * returns what it holds. With `cutOpen`, the power is then cut while the
 * store is still open (a clean close would make everything durable).
 */
async function verify(
  t: Target,
  disk: SimDisk,
  allowed: Model[],
  what: string,
  cutOpen = false,
): Promise<Model> {
  disk.cut();
  disk.reboot();
  let store: KvStore;
  try {
    store = await t.open(disk);
  } catch (err) {
    throw new Error(`${t.name} ${what}: reopen failed: ${err}`, { cause: err });
  }
  try {
    const found = await contents(store);
    if (!allowed.some((m) => same(found, m))) {
      throw new Error(
        `${t.name} ${what}: reopened store holds neither the acknowledged state nor it plus ` +
          `the commit in flight: ${describe(found, allowed[0]!)}`,
      );
    }
    await t.check(store);
    if (cutOpen) {
      disk.cutMode = "drop";
      disk.cut();
    }
    return found;
  } finally {
    await closeQuietly(store);
  }
}

/** Counts the workload's calls by kind (a clean run, checked like a point). */
export async function countCalls(
  t: Target,
): Promise<{ total: number; kinds: Record<string, number>; calls: CallKind[] }> {
  const disk = new SimDisk(t.base);
  disk.record = true;
  const out = await drive(t, disk);
  await t.cleanup?.();
  if (out.err !== undefined) throw out.err;
  const kinds: Record<string, number> = {};
  for (const c of disk.log) kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
  const total = disk.calls;
  const calls = disk.log.map((c) => c.kind);
  await verify(t, disk, [modelOf(t.steps)], "after a clean run");
  return { total, kinds, calls };
}

/** True when `err` is, or was caused by, a simulated power cut. */
export function isPowerCut(err: unknown): boolean {
  for (let e = err, i = 0; e !== undefined && e !== null && i < 8; i++) {
    if (e instanceof PowerCut) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Cuts the power (or kills the process) at call `k` (calls before it
 * completed), reopens, checks. After a kill, the state the reopen shows must
 * itself be durable: a power cut right after the reopen changes nothing.
 */
export async function crashPoint(
  t: Target,
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
  await closeQuietly(out.store);
  await t.cleanup?.();
  const acked = out.done.slice(0, out.done.length - out.pending.length);
  const allowed = [out.acked];
  for (let i = 1; i <= out.pending.length; i++) {
    allowed.push(modelOf([...acked, ...out.pending.slice(0, i)]));
  }
  if (out.inflight) allowed.push(modelOf([...out.done, out.inflight]));
  const what = `cut at call ${k} (${mode}, during ${out.inflight?.name ?? "-"})`;
  const seen = await verify(t, disk, allowed, what, mode === "kill");
  if (mode === "kill") await verify(t, disk, [seen], `${what}, then a power cut after the reopen`);
}

/** What one fault run saw, for the tallies. */
export interface FaultResult {
  surfaced: boolean;
  refusedAfterSync: boolean;
}

/**
 * Fails call `k` with `code`, then checks: the failure is a StoreError of the
 * right kind naming the store; reads give the acknowledged value or an error;
 * after a failed sync writes are refused until reopened; after the error
 * clears (and a power cut) a reopen holds every acknowledged commit.
 */
export async function faultPoint(t: Target, k: number, code: FaultCode): Promise<FaultResult> {
  const disk = new SimDisk(t.base, k);
  disk.faultAt = k;
  disk.faultCode = code;
  const out = await drive(t, disk);
  await t.cleanup?.();
  const at = `${t.name} ${code} at call ${k} (${disk.faulted?.kind ?? "not reached"})`;
  const result: FaultResult = { surfaced: false, refusedAfterSync: false };
  if (out.err === undefined) {
    await verify(t, disk, [out.acked], at);
    return result;
  }
  result.surfaced = true;
  const err = out.err;
  if (!(err instanceof StoreError)) {
    throw new Error(`${at}: not a StoreError: ${err}`, { cause: err });
  }
  const kinds = code === "ENOSPC" ? ["CapacityExceeded"] : ["Io", "Corruption"];
  if (!kinds.includes(err.kind)) {
    throw new Error(
      `${at}: ${out.inflight?.name} failed with ${err.kind}, want ${kinds}: ${err.message}`,
    );
  }
  if (!err.message.includes(t.path)) {
    throw new Error(`${at}: message does not name the store: ${err.message}`);
  }
  const after: Step[] = [];
  const store = out.store;
  try {
    await afterFailure(k, at, disk, out, store, after, result);
  } finally {
    await closeQuietly(store);
  }
  const base = [...out.done];
  const allowed = [modelOf([...base, ...after])];
  if (out.inflight) allowed.push(modelOf([...base, out.inflight, ...after]));
  await verify(t, disk, allowed, at);
  return result;
}

async function afterFailure(
  k: number,
  at: string,
  disk: SimDisk,
  out: Outcome,
  store: KvStore | undefined,
  after: Step[],
  result: FaultResult,
): Promise<void> {
  if (store !== undefined) {
    // Reads keep working: the acknowledged value, or an error — never another value.
    const dec = new TextDecoder();
    const keys = [...out.acked.keys()];
    const pick = rng(k);
    for (let i = 0; i < Math.min(8, keys.length); i++) {
      const key = keys[Math.floor(pick() * keys.length)]!;
      let got: Uint8Array | undefined;
      try {
        got = await store.get(key);
      } catch (e) {
        if (e instanceof StoreError && (e.kind === "Io" || e.kind === "Corruption")) continue;
        throw new Error(`${at}: get ${key} after the failure threw ${e}`, { cause: e });
      }
      const inflightValue = out.inflight
        ? modelOf([...out.done, out.inflight]).get(key)
        : undefined;
      const v = got === undefined ? undefined : dec.decode(got);
      if (v !== out.acked.get(key) && v !== inflightValue) {
        throw new Error(`${at}: get ${key} after the failure gave a wrong value`);
      }
    }
    const extra: Step = {
      name: "put after the failure",
      run: (s) => s.put("after-failure", "x"),
      apply: (m) => void m.set("after-failure", "x"),
    };
    try {
      await extra.run(store);
      after.push(extra);
      if (disk.faulted?.kind === "sync") {
        throw new Error(`${at}: a write after a failed fsync was accepted (fsyncgate)`);
      }
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      if (disk.faulted?.kind === "sync") {
        if (!/reopen/.test(e.message)) {
          throw new Error(
            `${at}: refusal after a failed fsync does not say to reopen: ${e.message}`,
          );
        }
        result.refusedAfterSync = true;
      }
    }
  }
}

/** The points to visit: all of 1..total, or a seeded sample of `sample` of them. */
export function points(total: number, sample: number, seed: number): number[] {
  const all = Array.from({ length: total }, (_, i) => i + 1);
  if (sample >= total) return all;
  const r = rng(seed);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, sample).sort((a, b) => a - b);
}

/** Which error each call kind gets in the fault runs. */
export function faultCodes(kind: CallKind): FaultCode[] {
  return kind === "write" || kind === "truncate" || kind === "create" || kind === "mkdir"
    ? ["EIO", "ENOSPC"]
    : ["EIO"];
}
