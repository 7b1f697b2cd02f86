// Reads of a B-tree store: point reads and scans of the current state (the
// write buffer over the tree), and snapshots, which pin the root, commit
// id, checkpoint and buffer they read until released.
import type { RawEntry, RawScanOptions, RawSnapshot } from "../../core/engine.ts";
import { overlay } from "./_buffer.ts";
import { lookup, scanTree } from "./_cursor.ts";
import { follow, followIfShared, publishPin, soloLook } from "./_share.ts";
import { checkOpen, type EngineCore, releaseFree } from "./_state.ts";

/** The stored value of a raw key. */
export function get(e: EngineCore, key: Uint8Array): Uint8Array | undefined {
  checkOpen(e, "get");
  const o = e.openers;
  if (o !== undefined && (o.solo ? ++e.soloReads > 1024 && soloLook(e, o) : true)) {
    follow(e);
  }
  if (e.buffer.size > 0) {
    const buffered = e.buffer.get(key, Infinity);
    if (buffered !== undefined) return buffered ?? undefined;
  }
  return lookup(e, e.root, key);
}

/** Raw entries in `[lo, hi)`. */
export function scan(
  e: EngineCore,
  lo: Uint8Array | undefined,
  hi: Uint8Array | undefined,
  opts?: RawScanOptions,
): Iterable<RawEntry> {
  checkOpen(e, "scan");
  followIfShared(e);
  const reverse = opts?.reverse === true;
  const keysOnly = opts?.keysOnly === true;
  const tree = scanTree(e, undefined, lo, hi, reverse, keysOnly);
  if (e.buffer.size === 0) return tree;
  return overlay(e.buffer.entries(lo, hi, reverse, Infinity), tree, reverse, keysOnly);
}

/** A pinned view: its pages are not reused until `release`. */
export function snapshot(e: EngineCore): RawSnapshot {
  checkOpen(e, "snapshot");
  followIfShared(e);
  const root = e.root;
  const txn = e.txn;
  const ckpt = e.viewCkpt;
  e.ckptPins.set(ckpt, (e.ckptPins.get(ckpt) ?? 0) + 1);
  // The buffer object is replaced (never emptied) at a checkpoint: it stays this view's.
  const buffer = e.buffer;
  e.pins.set(txn, (e.pins.get(txn) ?? 0) + 1);
  let released = false;
  return {
    get: (key) => {
      const buffered = buffer.get(key, txn);
      return buffered !== undefined ? buffered ?? undefined : lookup(e, root, key);
    },
    scan: (lo, hi, opts) => {
      const reverse = opts?.reverse === true;
      const keysOnly = opts?.keysOnly === true;
      const tree = scanTree(e, root, lo, hi, reverse, keysOnly);
      if (buffer.size === 0) return tree;
      return overlay(buffer.entries(lo, hi, reverse, txn), tree, reverse, keysOnly);
    },
    release: () => {
      if (released) return;
      released = true;
      const n = (e.pins.get(txn) ?? 1) - 1;
      if (n <= 0) e.pins.delete(txn);
      else e.pins.set(txn, n);
      const c = (e.ckptPins.get(ckpt) ?? 1) - 1;
      if (c <= 0) e.ckptPins.delete(ckpt);
      else e.ckptPins.set(ckpt, c);
      if (!e.closed) publishPin(e);
      releaseFree(e);
    },
  };
}
