// A read-only follower: the replica's newest state in memory, kept current by
// polling the target for the next segment (one small listing per poll) and
// for a newer generation (a primary restarted or was restored).
import type { StoreKind } from "../core/config.ts";
import { StoreError, toStoreError } from "../core/error.ts";
import type { RawOp } from "../core/engine.ts";
import type { KvStore } from "../core/kv.ts";
import {
  type ReplicatedCommit,
  type ReplicationSink,
  replicationSink,
} from "../core/_replication.ts";
import { openInMemory } from "../mod.ts";
import {
  checkTarget,
  listGenerations,
  type ReplicaTarget,
  type SegmentRef,
  where,
} from "./_layout.ts";
import { leasedGeneration } from "./_lease.ts";
import { fetchCommits, fetchSnapshot, planRestore } from "./_plan.ts";

/** Options of {@link openReplica}. */
export interface OpenReplicaOptions {
  /** How often the target is asked for new commits, in ms (default 1000). */
  pollMs?: number;
  /** The in-memory engine that serves reads (default `"btree"`). */
  kind?: StoreKind;
}

const pad16 = (n: number) => String(n).padStart(16, "0");

/**
 * Opens a read-only store that follows a replica: it starts at the newest
 * uploaded state and applies new commits as they appear (within about
 * `2 × pollMs` plus the primary's upload interval), whole commits only and in
 * order. Writes throw `ReadOnly`; closing it stops the polling. A poll that
 * fails (target unreachable, a damaged segment) keeps the last good state and
 * tries again on the next poll.
 *
 * @example
 * ```ts
 * import { openInMemory } from "@cooljapan/oxistore";
 * import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
 * import { openReplica, replicate } from "@cooljapan/oxistore/replica";
 * const target = { store: new MemoryBlobStore(), prefix: "app" };
 * await using primary = await openInMemory();
 * const rep = await replicate(primary, target, { intervalMs: 20 });
 * await primary.put("k", "v1");
 * await rep.flush();
 * await using follower = await openReplica(target, { pollMs: 20 });
 * if (new TextDecoder().decode(await follower.get("k")) !== "v1") throw new Error("follows");
 * const refused = await follower.put("k", "x").then(() => false, () => true);
 * if (!refused) throw new Error("a follower is read-only");
 * await rep.stop();
 * ```
 */
export async function openReplica(
  target: ReplicaTarget,
  options: OpenReplicaOptions = {},
): Promise<KvStore> {
  const t = checkTarget(target, "open replica");
  const op = `follow ${where(t)}`;
  const pollMs = options.pollMs ?? 1000;
  if (typeof pollMs !== "number" || !Number.isFinite(pollMs) || pollMs <= 0) {
    throw new StoreError("InvalidInput", `Cannot ${op}: pollMs must be a positive number`);
  }
  const store = await openInMemory(options.kind ?? "btree", { readOnly: true });
  try {
    const follower = new Follower(t, replicationSink(store, op), op);
    await follower.catchUp();
    follower.start(pollMs);
    return store;
  } catch (err) {
    await store.close();
    throw toStoreError(err, op);
  }
}

class Follower {
  #t: ReplicaTarget;
  #sink: ReplicationSink;
  #op: string;
  #generation = "";
  #applied = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(t: ReplicaTarget, sink: ReplicationSink, op: string) {
    this.#t = t;
    this.#sink = sink;
    this.#op = op;
  }

  start(pollMs: number): void {
    this.#sink.onClose(() => clearTimeout(this.#timer));
    const tick = async () => {
      try {
        await this.catchUp();
      } catch {
        // Keep serving the last good state; the next poll tries again.
      }
      if (!this.#sink.closed) this.#timer = setTimeout(tick, pollMs);
    };
    this.#timer = setTimeout(tick, pollMs);
  }

  /** Applies what is new: a newer generation whole, then the next segments. */
  async catchUp(): Promise<void> {
    const newest = await this.#newestGeneration();
    if (newest !== undefined && newest !== this.#generation) {
      const plan = await planRestore(this.#t, Infinity);
      const entries = await fetchSnapshot(this.#t, plan.snapshot);
      const commits = await fetchCommits(this.#t, plan.segments, plan.snapshot.seq);
      if (this.#sink.closed) return;
      await this.#sink.replaceAll(entries, { atomic: true });
      this.#generation = plan.generation.id;
      this.#applied = plan.snapshot.seq;
      await this.#apply(commits);
    }
    while (this.#generation !== "" && !this.#sink.closed) {
      const next = await this.#nextSegment();
      if (!next) return;
      await this.#apply(await fetchCommits(this.#t, [next], this.#applied));
    }
  }

  /**
   * Applies commits in atomic steps of whole commits (up to about 4,096 ops
   * each): a reader sees the state after some commit, never part of one.
   */
  async #apply(commits: ReplicatedCommit[]) {
    let i = 0;
    while (i < commits.length && !this.#sink.closed) {
      const ops: RawOp[] = [];
      let last = i;
      do ops.push(...commits[last++]!.ops); while (last < commits.length && ops.length < 4096);
      await this.#sink.apply(ops);
      this.#applied = commits[last - 1]!.seq;
      i = last;
    }
  }

  /**
   * The newest generation with a snapshot. The lease names the generation
   * replicating now (one small read); a replica without one is listed whole.
   */
  async #newestGeneration(): Promise<string | undefined> {
    const named = await leasedGeneration(this.#t);
    if (named === undefined) {
      return (await listGenerations(this.#t)).filter((g) => g.snapshots.length > 0).at(-1)?.id;
    }
    if (named === this.#generation) return named;
    const snaps = await this.#t.store.list(`${this.#t.prefix}/gen/${named}/snap/`, { limit: 1 });
    // A generation whose first snapshot is not up yet: stay where we are.
    return snaps.items.length > 0 ? named : this.#generation || undefined;
  }

  /** The segment that starts right after the last applied commit, if uploaded. */
  async #nextSegment(): Promise<SegmentRef | undefined> {
    const prefix = `${this.#t.prefix}/gen/${this.#generation}/seg/${pad16(this.#applied + 1)}-`;
    const page = await this.#t.store.list(prefix, { limit: 1 });
    const item = page.items[0];
    if (!item) return undefined;
    const nums = item.key.slice(prefix.length - 17).split("-").map(Number);
    if (nums.length !== 4 || nums.some((n) => !Number.isSafeInteger(n))) {
      throw new StoreError("Corruption", `Cannot ${this.#op}: unexpected segment name ${item.key}`);
    }
    const [first, last, firstTime, lastTime] = nums as [number, number, number, number];
    return { key: item.key, first, last, firstTime, lastTime };
  }
}
