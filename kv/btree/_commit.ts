// Applying a commit to a B-tree file: append its ops to the commit log and
// to the write buffer (durable at the next sync), or, for a big batch of
// appends or large values, build its pages and make it its own checkpoint.
// With other openers around, the commit is made under the writer lock after
// catching up with theirs. Also the replay of the opened slot's log.
import type { RawOp } from "../../core/engine.ts";
import { StoreError } from "../../core/error.ts";
import { compareBytes } from "../../core/bytes.ts";
import {
  APPEND_MIN_OPS,
  BUFFER_MAX_BYTES,
  grownLogPages,
  LARGE_VALUE_BYTES,
} from "./_checkpoint.ts";
import { scanTree } from "./_cursor.ts";
import { checkpoint, checkpointOrFail } from "./_durable.ts";
import { decodeTip } from "./_follow.ts";
import { MAX_RAW_KEY } from "./_format.ts";
import { caughtUp, unlock, writeTip } from "./_share.ts";
import { build, checkOpen, type EngineCore, install } from "./_state.ts";

/**
 * Applies ops atomically: new pages for every changed node (in memory), a
 * log record, then the new root. A commit that cannot be logged is a
 * checkpoint instead.
 */
export function apply(e: EngineCore, ops: RawOp[]): void | Promise<void> {
  checkOpen(e, "apply");
  if (e.readOnly) {
    throw new StoreError("ReadOnly", `Cannot write to store at ${e.path}: opened read-only`);
  }
  if (e.failed !== undefined) {
    throw new StoreError(
      "Io",
      `Cannot write to store at ${e.path}: an earlier write or sync failed, so what is ` +
        `on disk is unknown; reopen the store`,
      { cause: e.failed },
    );
  }
  for (const op of ops) {
    if (op.key.length > MAX_RAW_KEY) {
      throw new StoreError(
        "InvalidInput",
        `Cannot write to store at ${e.path}: raw key of ${op.key.length} bytes is too long`,
      );
    }
  }
  if (e.memory) {
    const built = build(e, ops);
    if (built !== undefined) install(e, built[0], built[1]);
    return;
  }
  const o = e.openers;
  if (o === undefined || o.solo || o.locked) return applyFile(e, ops);
  if (o.tryLock()) {
    try {
      caughtUp(e);
      applyFile(e, ops);
    } finally {
      unlock(e);
    }
    return;
  }
  return (async () => {
    await o.lock();
    try {
      caughtUp(e);
      applyFile(e, ops);
    } finally {
      unlock(e);
    }
  })();
}

/** A commit to the file; another opener's commits, if any, are caught up with already. */
function applyFile(e: EngineCore, ops: RawOp[]): void {
  if (e.openers !== undefined) e.tipDirty = true;
  // A big batch of new keys past the end of the tree: written once, by a checkpoint.
  // Other openers learn of a commit by its log record: with them around,
  // every commit that fits in a log is logged (even if written twice).
  const shared = e.openers?.solo === false;
  if (!shared && appendsOnly(e, ops)) return direct(e, ops);
  let large = 0;
  for (const op of ops) large += (op.value?.length ?? 0) > 2048 ? op.value!.length : 0;
  if (shared && e.log === undefined) checkpointOrFail(e); // a log to append to
  // Large values would be written twice (log, then checkpoint): write them once.
  if ((!shared && large > LARGE_VALUE_BYTES) || e.log === undefined) {
    if (e.buffer.size > 0) checkpointOrFail(e);
    return direct(e, ops);
  }
  if (!append(e, ops)) {
    checkpointOrFail(e); // an empty (perhaps longer) log
    if (!append(e, ops)) return direct(e, ops);
  }
  e.txn++;
  e.buffer.add(ops, e.txn, e.pins.size > 0);
  if (e.buffer.bytes > BUFFER_MAX_BYTES) checkpointOrFail(e);
}

/**
 * A commit that is its own checkpoint, with nothing buffered: one durable
 * point holds it whole (the buffer only ever holds logged commits, so a
 * checkpoint may merge those in several steps).
 */
function direct(e: EngineCore, ops: RawOp[]): void {
  // Other openers cannot read this commit's ops: the tip counts it.
  if (e.openers?.solo === false) e.tip = { ...e.tip, direct: e.tip.direct + 1 };
  const built = build(e, ops);
  if (built === undefined) return;
  install(e, built[0], built[1]);
  checkpointOrFail(e);
}

/** True for a big batch of puts of keys all above the tree's last key, with nothing buffered. */
function appendsOnly(e: EngineCore, ops: RawOp[]): boolean {
  if (e.buffer.size > 0 || ops.length < APPEND_MIN_OPS) return false;
  let min: Uint8Array | undefined;
  for (const op of ops) {
    if (op.value === undefined) return false;
    if (min === undefined || compareBytes(op.key, min) < 0) min = op.key;
  }
  if (e.root.page === 0) return true;
  for (const [last] of scanTree(e, undefined, undefined, undefined, true, true)) {
    return compareBytes(min!, last) > 0;
  }
  return true;
}

/** Appends a commit's record; false when the log is full (it grows at the checkpoint). */
function append(e: EngineCore, ops: RawOp[]): boolean {
  if (e.log!.append(e.pager, ops)) return true;
  e.logPages = grownLogPages(e.logPages, e.space.pageCount);
  return false;
}

/**
 * Replays the opened slot's log (at open, before any other commit); a
 * writer then checkpoints, so new records never follow a torn one.
 */
export function recover(e: EngineCore, records: RawOp[][], withCheckpoint = true): void {
  // Records replay into the buffer: over a tree that a partial checkpoint
  // already merged some of them into, they give the same state again.
  for (const ops of records) {
    e.txn++;
    e.buffer.add(ops, e.txn, false);
  }
  if (withCheckpoint && !e.readOnly && e.log !== undefined) checkpoint(e, e.logPages);
  const o = e.openers;
  if (o !== undefined && o.locked) {
    const raw = o.readTip();
    if (raw !== undefined) e.tip = decodeTip(raw);
    writeTip(e);
  }
}
