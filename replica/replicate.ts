// The primary side: stream every commit of a store to a blob target, in
// order, as checksummed segments after a snapshot, under a lease that keeps
// two primaries out of one replica.
import { encodeBackup } from "../core/backup_format.ts";
import type { RawEntry } from "../core/engine.ts";
import { StoreError, toStoreError } from "../core/error.ts";
import type { KvStore } from "../core/kv.ts";
import { type ReplicatedCommit, replicationSource } from "../core/_replication.ts";
import { Lease } from "./_lease.ts";
import {
  checkTarget,
  newGenerationId,
  type ReplicaTarget,
  segmentKey,
  snapshotKey,
  where,
} from "./_layout.ts";
import { pruneReplica } from "./_retention.ts";
import { encodeSegment } from "./_segment.ts";

/** Options of {@link replicate}. */
export interface ReplicateOptions {
  /** How often pending commits are uploaded as one segment, in ms (default 1000). */
  intervalMs?: number;
  /** How long restore points are kept, in ms (default 7 days). */
  retentionMs?: number;
  /** How often a fresh snapshot is uploaded, in ms (default 1 hour). */
  snapshotIntervalMs?: number;
}

/** What has not reached the target yet. */
export interface ReplicationLag {
  /** Commits applied locally and not yet uploaded. */
  commits: number;
  /** Age of the oldest of them in ms (0 when none). */
  ms: number;
}

/** A running replication, from {@link replicate}. */
export interface Replication {
  /** The generation this replication writes (a new one per `replicate` call). */
  readonly generation: string;
  /** What is not on the target yet. */
  lag(): ReplicationLag;
  /** Resolves when every commit made before the call is on the target. */
  flush(): Promise<void>;
  /** Uploads what is pending, releases the lease and stops following the store. */
  stop(): Promise<void>;
}

const MAX_SEGMENT_BYTES = 16 << 20;
const MAX_BACKOFF_MS = 5_000;

function positive(v: number | undefined, fallback: number, name: string, op: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new StoreError("InvalidInput", `Cannot ${op}: ${name} must be a positive number`);
  }
  return v;
}

/**
 * Streams `store` to `target`: a snapshot now, then every commit in order as
 * checksummed segments every `intervalMs`, a fresh snapshot every
 * `snapshotIntervalMs`, and pruning past `retentionMs`. Commits never wait
 * for the target: an unreachable target only makes `lag()` grow, and
 * uploads resume with backoff. A second `replicate` to a target whose lease
 * is live fails with `Locked`. B-tree and LSM stores only: the Deno KV engine
 * gives `Unsupported` (back it up with `backup({ store, key })` instead).
 *
 * @example
 * ```ts
 * import { openInMemory } from "@cooljapan/oxistore";
 * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
 * import { replicate, restoreReplica } from "@cooljapan/oxistore/replica";
 * const target = { store: new MemoryBlobStore(), prefix: "replicas/app" };
 * await using store = await openInMemory();
 * const rep = await replicate(store, target, { intervalMs: 50 });
 * await store.put("user/1", "ada");
 * await rep.flush();
 * await rep.stop();
 * const dir = await Deno.makeTempDir();
 * await restoreReplica(target, `${dir}/restored.oxi`);
 * await using copy = await openInMemory(); // (open the restored file with open())
 * if (rep.lag().commits !== 0) throw new Error("everything is on the target");
 * ```
 */
export async function replicate(
  store: KvStore,
  target: ReplicaTarget,
  options: ReplicateOptions = {},
): Promise<Replication> {
  const op0 = "replicate store";
  const t = checkTarget(target, op0);
  const source = replicationSource(store, op0);
  const op = `replicate store at ${source.path} to ${where(t)}`;
  if (source.kind === "denokv") {
    throw new StoreError(
      "Unsupported",
      `Cannot ${op}: the Deno KV engine has no commit log to stream; copy it off the machine ` +
        `with store.backup({ store, key }) (or Deno Deploy's own KV backups)`,
    );
  }
  const intervalMs = positive(options.intervalMs, 1000, "intervalMs", op);
  const retentionMs = positive(options.retentionMs, 7 * 86_400_000, "retentionMs", op);
  const snapshotIntervalMs = positive(
    options.snapshotIntervalMs,
    3_600_000,
    "snapshotIntervalMs",
    op,
  );
  const gen = newGenerationId();
  const leaseMs = Math.max(30_000, intervalMs * 10);
  const lease = await Lease.take(t, gen, leaseMs, op).catch((err) => {
    throw toStoreError(err, op);
  });
  const r = new Replicator(t, source, gen, lease, {
    intervalMs,
    retentionMs,
    snapshotIntervalMs,
    leaseMs,
  }, op);
  try {
    await r.begin();
  } catch (err) {
    await r.abort();
    throw toStoreError(err, op);
  }
  return r;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface Settings {
  intervalMs: number;
  retentionMs: number;
  snapshotIntervalMs: number;
  leaseMs: number;
}

class Replicator implements Replication {
  readonly generation: string;
  #t: ReplicaTarget;
  #source: ReturnType<typeof replicationSource>;
  #lease: Lease;
  #cfg: Settings;
  #op: string;
  #pending: ReplicatedCommit[] = [];
  #seen = 0;
  #uploaded = 0;
  #waiters: Waiter[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #backoff = 0;
  #snapshotAt = 0;
  #failed: StoreError | undefined;
  #stopped = false;

  constructor(
    t: ReplicaTarget,
    source: ReturnType<typeof replicationSource>,
    gen: string,
    lease: Lease,
    cfg: Settings,
    op: string,
  ) {
    this.#t = t;
    this.#source = source;
    this.generation = gen;
    this.#lease = lease;
    this.#cfg = cfg;
    this.#op = op;
  }

  async begin(): Promise<void> {
    const { seq, view } = await this.#source.start((c) => {
      // A commit of another opener whose ops are unknown keeps the chain of
      // commit numbers whole as an empty commit; a fresh snapshot follows.
      if (c.ops === undefined) this.#snapshotAt = -Infinity;
      this.#pending.push({ seq: c.seq, timeMs: c.timeMs, ops: c.ops ?? [] });
      this.#seen = c.seq;
    });
    this.#seen = this.#uploaded = seq;
    try {
      await this.#uploadSnapshot(seq, view.entries());
    } finally {
      view.release();
    }
    await pruneReplica(this.#t, this.#cfg.retentionMs);
    this.#schedule(this.#cfg.intervalMs);
  }

  lag(): ReplicationLag {
    const oldest = this.#pending[0];
    return { commits: this.#seen - this.#uploaded, ms: oldest ? Date.now() - oldest.timeMs : 0 };
  }

  flush(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#uploaded >= this.#seen) return Promise.resolve();
    const p = new Promise<void>((resolve, reject) =>
      this.#waiters.push({ seq: this.#seen, resolve, reject })
    );
    if (!this.#stopped) this.#schedule(0);
    return p;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    let error: unknown;
    if (!this.#failed) {
      for (let attempt = 0; attempt < 3 && this.#pending.length > 0; attempt++) {
        try {
          await this.#uploadPending();
        } catch (err) {
          error = err;
        }
      }
    }
    this.#source.stop();
    if (this.#pending.length > 0 || this.#failed) {
      const why = this.#failed ??
        new StoreError(
          "Io",
          `Cannot ${this.#op}: stopped with ${this.#pending.length} commits not uploaded`,
          { cause: error },
        );
      this.#settle(why);
      throw why;
    }
    await this.#lease.write(true).catch(() => {});
    this.#settle();
  }

  async abort(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#source.stop();
    await this.#lease.write(true).catch(() => {});
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running ??= this.#cycle().finally(() => (this.#running = undefined));
    }, ms);
  }

  async #cycle(): Promise<void> {
    if (this.#stopped || this.#failed) return;
    try {
      await this.#uploadPending();
      const now = Date.now();
      if (now - this.#lease.renewedAt >= this.#cfg.leaseMs / 3) await this.#lease.write(false);
      if (now - this.#snapshotAt >= this.#cfg.snapshotIntervalMs) {
        const { seq, view } = await this.#source.pin();
        try {
          await this.#uploadSnapshot(seq, view.entries());
        } finally {
          view.release();
        }
        await pruneReplica(this.#t, this.#cfg.retentionMs);
      }
      this.#backoff = 0;
    } catch (err) {
      if (err instanceof StoreError && err.kind === "Locked") {
        this.#failed = err;
        this.#source.stop();
        this.#settle(this.#failed);
        return;
      }
      // The target is unreachable or failing: keep everything, retry later.
      this.#backoff = Math.min(MAX_BACKOFF_MS, Math.max(100, this.#backoff * 2));
    }
    if (this.#source.closed && this.#pending.length === 0) {
      this.#stopped = true;
      this.#source.stop();
      await this.#lease.write(true).catch(() => {});
      this.#settle();
      return;
    }
    if (!this.#stopped) {
      this.#schedule(
        this.#backoff > 0
          ? this.#backoff
          : this.#waiters.length > 0 && this.#pending.length > 0
          ? 0
          : this.#cfg.intervalMs,
      );
    }
  }

  async #uploadPending(): Promise<void> {
    while (this.#pending.length > 0) {
      // A segment holds only commits that are durable locally, so a restore
      // never shows a commit the primary could still lose in a power cut.
      await this.#source.sync();
      let bytes = 0;
      let n = 0;
      while (n < this.#pending.length && (n === 0 || bytes < MAX_SEGMENT_BYTES)) {
        for (const o of this.#pending[n]!.ops) bytes += o.key.length + (o.value?.length ?? 0) + 9;
        n++;
      }
      const batch = this.#pending.slice(0, n);
      const first = batch[0]!;
      const last = batch[n - 1]!;
      const key = segmentKey(
        this.#t,
        this.generation,
        first.seq,
        last.seq,
        Math.floor(first.timeMs),
        Math.floor(last.timeMs),
      );
      await this.#t.store.put(key, encodeSegment(batch));
      this.#pending.splice(0, n);
      this.#uploaded = last.seq;
      this.#settle();
    }
  }

  async #uploadSnapshot(seq: number, entries: AsyncGenerator<RawEntry>) {
    const now = Date.now();
    const key = snapshotKey(this.#t, this.generation, seq, now);
    await this.#t.store.put(key, ReadableStream.from(encodeBackup(entries)));
    this.#snapshotAt = now;
  }

  #settle(error?: unknown): void {
    const keep: Waiter[] = [];
    for (const w of this.#waiters) {
      if (error !== undefined) w.reject(error);
      else if (w.seq <= this.#uploaded) w.resolve();
      else keep.push(w);
    }
    this.#waiters = keep;
  }
}
