// Private to the package: the narrow view of an EngineStore that replication
// needs (a feed of commits in order, a snapshot pinned at an exact commit,
// and a way to apply whole commits to a follower), so replica/ never touches
// core's shared state directly.
import type { RawEntry, RawOp, RawReader } from "./engine.ts";
import { rootState } from "./engine_store.ts";
import { StoreError } from "./error.ts";
import type { KvStore } from "./kv.ts";
import { RAW_USER_HI, RAW_USER_LO } from "./keyspace.ts";
import { storedIsExpired } from "./ttl.ts";
import type { Shared } from "./_shared.ts";

/** One commit as replication sees it: raw keys, stored values (TTL header included). */
export interface ReplicatedCommit {
  seq: number;
  timeMs: number;
  ops: readonly RawOp[];
}

/**
 * What the feed reports: a commit, or (`ops` undefined) a commit another
 * opener made whose ops could not be read — the replica needs a new snapshot.
 */
export interface FedCommit {
  seq: number;
  timeMs: number;
  ops: readonly RawOp[] | undefined;
}

/** A store's commits and snapshots, for a replicator. */
export interface ReplicationSource {
  readonly path: string;
  readonly kind: string;
  /**
   * Pins a view at the current commit and, atomically with it, starts
   * calling `feed` with every later commit. Returns the view's commit number.
   */
  start(feed: (c: FedCommit) => void): Promise<{ seq: number; view: Snapshot }>;
  /** Pins a view at the current commit (for a later snapshot). */
  pin(): Promise<{ seq: number; view: Snapshot }>;
  /** Stops the feed. */
  stop(): void;
  /** Makes every commit applied so far durable. */
  sync(): Promise<void>;
  /** True once the store closed. */
  readonly closed: boolean;
}

/** A pinned view with its live raw entries. */
export interface Snapshot {
  entries(): AsyncGenerator<RawEntry>;
  release(): void;
}

/** Where a follower or a restore applies whole commits. */
export interface ReplicationSink {
  /**
   * Replaces every user key with `entries`: one atomic commit with `atomic`,
   * else commits of `batchOps` ops (default: restore's 256).
   */
  replaceAll(
    entries: AsyncIterable<RawEntry> | Iterable<RawEntry>,
    options?: { atomic?: boolean; batchOps?: number },
  ): Promise<void>;
  /** Applies one commit atomically (not synced: call `sync`). */
  apply(ops: readonly RawOp[]): Promise<void>;
  sync(): Promise<void>;
  /** Runs `fn` once when the store closes. */
  onClose(fn: () => void): void;
  readonly closed: boolean;
}

function sharedOf(store: KvStore, op: string): Shared {
  const s = rootState(store);
  if (!s) {
    throw new StoreError(
      "Unsupported",
      `Cannot ${op}: replication needs a store opened by oxistore's open functions (the root ` +
        `handle, not a tree handle or a layer; replicate the store under the layers instead)`,
    );
  }
  return s;
}

async function* liveEntries(view: RawReader): AsyncGenerator<RawEntry> {
  const now = Date.now();
  const lo = new Uint8Array([RAW_USER_LO]);
  const hi = new Uint8Array([RAW_USER_HI]);
  for await (const e of view.scan(lo, hi)) if (!storedIsExpired(e[1], now)) yield e;
}

/** The replication view of `store`; `Unsupported` for anything but a root engine store. */
export function replicationSource(store: KvStore, op: string): ReplicationSource {
  const s = sharedOf(store, op);
  let feed: ((seq: number, ops: readonly RawOp[] | undefined) => void) | undefined;
  const pinNow = () => {
    const view = s.pin();
    return {
      seq: s.seq,
      view: { entries: () => liveEntries(view), release: () => view.release() },
    };
  };
  return {
    path: s.engine.path,
    kind: s.kind,
    get closed() {
      return s.closed;
    },
    start: (fn) =>
      s.lock.run(() => {
        feed = (seq, ops) => fn({ seq, timeMs: Date.now(), ops });
        s.feeds.add(feed);
        return pinNow();
      }),
    pin: () => s.lock.run(pinNow),
    stop: () => {
      if (feed) s.feeds.delete(feed);
    },
    sync: async () => {
      if (!s.closed) await s.engine.sync();
    },
  };
}

/** The apply side of `store` (a follower's or a restore's own store). */
export function replicationSink(store: KvStore, op: string): ReplicationSink {
  const s = sharedOf(store, op);
  return {
    get closed() {
      return s.closed;
    },
    replaceAll: (entries, options) => s.replaceAll(entries, options),
    apply: (ops) => s.lock.run(() => s.applyLocked(ops as RawOp[])),
    sync: async () => await s.engine.sync(),
    onClose: (fn) => s.closeHooks.add(fn),
  };
}
