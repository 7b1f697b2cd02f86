// How an LSM engine starts on its directory: alone, it recovers the store
// (replays the logs into a table, or goes on from a clean close as it is);
// with other openers live, it attaches to their newest state and touches
// nothing. In memory there are no other openers: it only recovers.
import { MemCursor } from "./_cursor.ts";
import { build, kick } from "./_background.ts";
import { loadManifest, sortFiles } from "./_recovery.ts";
import { MANIFEST_NAME } from "./_manifest.ts";
import { Openers } from "../../core/_openers.ts";
import { decodeTip, JOBS_NAME, JobsLock, LOCK_NAME, READERS_NAME } from "./_shared.ts";
import { Memtable } from "../../core/_memtable.ts";
import { obsolete, publishPin, tick, writeTip } from "./_many_openers.ts";
import { applyMem, type LsmState, TICK_MS } from "./_state.ts";
import { readRecords, readWal, WAL_HEADER, walName, WalWriter } from "./_wal.ts";
import { openWal } from "./_writes.ts";

/**
 * Joins the directory's openers. Alone, the directory is as the last
 * opener (or a crash) left it: recover it. Otherwise it is live: take its
 * newest state as it is, touching nothing.
 */
export async function join(e: LsmState): Promise<void> {
  const dir = e.fs.path;
  const o = await Openers.join(dir, `${dir}/${LOCK_NAME}`, `${dir}/${READERS_NAME}`);
  e.openers = o;
  if (!e.readOnly) e.jobs = new JobsLock(`${dir}/${JOBS_NAME}`);
  e.vs.obsolete = (name) => obsolete(e, name, e.vs.edit);
  await o.lock();
  let alone: boolean;
  try {
    alone = o.others() === 0;
    // Others registered but no manifest yet: they are opening a new store
    // too (or were killed doing it). Whoever takes the lock first creates it.
    const creating = !e.readOnly && !e.fs.exists(MANIFEST_NAME);
    if (alone || creating) {
      await recover(e);
      // The tip may be stale (a crash, or a lone opener that never wrote
      // it): it is the recovered state now.
      writeTip(e);
    } else attach(e);
  } finally {
    o.unlock();
  }
  if (alone) o.trySolo();
  publishPin(e);
  e.timer = setInterval(() => tick(e), TICK_MS);
  Deno.unrefTimer(e.timer);
}

/** The newest state of a directory other openers have open (the writer lock is held). */
function attach(e: LsmState): void {
  const fs = e.fs;
  const state = loadManifest(fs, true);
  e.vs.load(state);
  const raw = e.openers!.readTip();
  let tip = raw === undefined ? undefined : decodeTip(raw);
  const wals = fs.list().map(walNumber).filter((n): n is number =>
    n !== undefined && n >= state.logNumber
  ).sort((a, b) => a - b);
  if (tip === undefined || !wals.includes(tip.wal)) {
    tip = { wal: wals.at(-1) ?? state.logNumber, end: Infinity, edit: state.edit };
  }
  e.walNo = tip.wal;
  e.walEnd = WAL_HEADER;
  for (const w of wals) {
    if (w > tip.wal) break;
    const name = walName(w);
    const bytes = fs.readFile(name);
    const to = w === tip.wal ? Math.min(tip.end, bytes.length) : bytes.length;
    const used = readRecords(bytes.subarray(WAL_HEADER, to), name, (ops) => applyMem(e, ops));
    if (w < tip.wal) {
      e.imms.push({ mem: e.mem, wal: w, bytes: bytes.length });
      e.mem = new Memtable();
    } else e.walEnd = WAL_HEADER + used;
  }
  const name = walName(e.walNo);
  if (e.readOnly) {
    if (fs.exists(name)) e.walReader = fs.open(name, false);
  } else if (fs.exists(name)) {
    e.wal = new WalWriter(fs.open(name, true), e.walNo, false, e.walEnd);
  } else {
    e.wal = new WalWriter(fs.create(name), e.walNo, true);
    e.wal.writeOut();
    fs.syncDir();
    e.walEnd = e.wal.size;
    e.tipDirty = true;
  }
  e.tip = raw === undefined ? tip : decodeTip(raw);
}

/** Recovers the store as the last opener (or a crash) left it: this opener is alone. */
export async function recover(e: LsmState): Promise<void> {
  const fs = e.fs;
  const state = loadManifest(fs, e.readOnly);
  e.vs.load(state);
  const { wals, nextFile } = sortFiles(fs, state, e.readOnly);
  e.vs.nextFile = nextFile;
  // A log cut short by a crash ends the replay, also when it is not the
  // newest one: a rotated log's last fdatasync runs in the background and
  // no later commit is acknowledged before it completes.
  e.walNo = Math.max(state.logNumber - 1, ...wals);
  let whole = true;
  for (const w of wals) {
    const name = walName(w);
    const { batches, torn, end } = readWal(fs.readFile(name), name, true);
    for (const ops of batches) applyMem(e, ops);
    e.walNo = w;
    e.walEnd = end;
    whole = !torn;
    if (torn) break;
  }
  if (e.readOnly) {
    if (fs.exists(walName(e.walNo))) e.walReader = fs.open(walName(e.walNo), false);
    return;
  }
  // After a clean close: one empty, whole log the manifest names. It goes on
  // as it is (no table to write, no manifest edit, no new log: a fast open).
  if (
    wals.length === 1 && wals[0] === state.logNumber && whole && e.mem.count === 0 &&
    e.walEnd === WAL_HEADER
  ) {
    e.wal = new WalWriter(fs.open(walName(wals[0]), true), wals[0], false, WAL_HEADER);
    // Compactions the tables may need start after the open (and its first reads).
    e.openKick = setTimeout(() => {
      e.openKick = undefined;
      kick(e);
    }, 0);
    return;
  }
  // The new log comes after every old one (they are all deleted below).
  e.walNo = Math.max(state.logNumber - 1, ...wals);
  await openWal(e);
  if (e.mem.count > 0) {
    const mem = e.mem;
    e.mem = new Memtable();
    const metas = await build(e, new MemCursor(mem, undefined, Infinity), "keep", false);
    await e.vs.install(metas.map((m) => [0, m]), new Set(), e.wal!.number);
    e.flushes++;
  } else {
    await e.vs.install([], new Set(), e.wal!.number);
  }
  for (const w of wals) fs.remove(walName(w));
  kick(e);
}

function walNumber(name: string): number | undefined {
  if (!name.endsWith(".wal")) return undefined;
  const n = Number(name.slice(0, -4));
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}
