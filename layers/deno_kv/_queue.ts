// Private: durable queue delivery. Messages wait under QUEUE_READY_PREFIX ordered by the time
// they are due; a listener claims the first due one by moving it under QUEUE_LEASED_PREFIX with
// a lease (in one transaction, so with several processes one listener has it at a time), runs
// the handler, then deletes it, or puts it back due after the next backoff interval. A lease
// whose holder died (a crash, a killed process) runs out and the message is due again:
// at-least-once delivery, as Deno KV's queues.
import { StoreError } from "../../core/error.ts";
import type { KvStore, KvTxn } from "../../core/kv.ts";
import type { Committer } from "./_commit.ts";
import { decodeQueueMessage, encodeQueueMessage, type QueueMessage } from "./_queue_message.ts";
import { decodeValue } from "./_value_codec.ts";
import { MAX_WRITE_KEY_BYTES } from "./_key_codec.ts";
import { concat, QUEUE_LEASED_PREFIX, QUEUE_READY_PREFIX, u64be } from "./_record.ts";

const ID_BYTES = 10;

/** Timing of delivery. */
export interface QueueTiming {
  /** How long a claimed message stays with its listener before others may take it. */
  leaseMs: number;
  /** How often to look for messages other processes enqueued. */
  pollMs: number;
}

export class QueueWorker {
  readonly #store: KvStore;
  readonly #committer: Committer;
  readonly #timing: QueueTiming;
  #listening = false;
  #closed = false;
  #wake: (() => void) | undefined;
  #unsubscribe: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(store: KvStore, committer: Committer, timing: QueueTiming) {
    this.#store = store;
    this.#committer = committer;
    this.#timing = timing;
  }

  /** Delivers messages to `handler` until {@link close}. */
  listen(handler: (value: unknown) => Promise<void> | void): Promise<void> {
    if (this.#listening) return Promise.reject(new TypeError("Already listening"));
    this.#listening = true;
    this.#unsubscribe = this.#committer.onCommit((n) => {
      if (n.enqueued) this.#wake?.();
    });
    this.#loop = this.#run(handler).finally(() => this.#unsubscribe?.());
    return this.#loop;
  }

  /** Stops delivering; a handler already running finishes on its own. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  async #run(handler: (value: unknown) => Promise<void> | void): Promise<void> {
    while (!this.#closed) {
      let waitMs: number;
      try {
        await this.#releaseExpiredLeases();
        const claimed = await this.#claimDue();
        if (claimed) {
          await this.#deliver(claimed, handler);
          continue;
        }
        waitMs = await this.#msUntilNextDue();
      } catch (err) {
        if (this.#closed) return;
        if (err instanceof StoreError && err.kind === "TxnConflict") continue;
        throw err;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(waitMs, this.#timing.pollMs));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wake = done;
      });
      this.#wake = undefined;
    }
  }

  async #msUntilNextDue(): Promise<number> {
    for await (const [key] of this.#store.prefixScan(QUEUE_READY_PREFIX, { limit: 1 })) {
      return Math.max(0, readyAt(key) - Date.now());
    }
    return Infinity;
  }

  async #releaseExpiredLeases(): Promise<void> {
    const now = Date.now();
    for await (const [key, value] of this.#store.prefixScan(QUEUE_LEASED_PREFIX)) {
      if (leaseUntil(value) > now) continue;
      const txn = await this.#store.transaction();
      try {
        const current = await txn.get(key);
        if (current === undefined || leaseUntil(current) > now) continue;
        await txn.delete(key);
        await txn.put(readyKey(now, key.subarray(QUEUE_LEASED_PREFIX.length)), current.subarray(8));
        await txn.commit();
      } finally {
        await discard(txn);
      }
    }
  }

  /** Moves the first due message under a lease; its leased key, or undefined. */
  async #claimDue(): Promise<{ key: Uint8Array; message: QueueMessage } | undefined> {
    const hi = concat(QUEUE_READY_PREFIX, u64be(Date.now() + 1));
    for await (const [key] of this.#store.range(QUEUE_READY_PREFIX, hi, { limit: 1 })) {
      const txn = await this.#store.transaction();
      try {
        const stored = await txn.get(key);
        if (stored === undefined) return undefined;
        const leased = concat(QUEUE_LEASED_PREFIX, key.subarray(key.length - ID_BYTES));
        await txn.delete(key);
        await txn.put(leased, withLease(Date.now() + this.#timing.leaseMs, stored));
        await txn.commit();
        return { key: leased, message: decodeQueueMessage(stored) };
      } finally {
        await discard(txn);
      }
    }
    return undefined;
  }

  async #deliver(
    claimed: { key: Uint8Array; message: QueueMessage },
    handler: (value: unknown) => Promise<void> | void,
  ): Promise<void> {
    const { key, message } = claimed;
    const renew = setInterval(() => {
      const stored = withLease(Date.now() + this.#timing.leaseMs, encodeQueueMessage(message));
      this.#store.put(key, stored).catch(() => {});
    }, Math.max(10, this.#timing.leaseMs / 3));
    let failed = false;
    try {
      await handler(decodeValue(message.value));
    } catch {
      failed = true;
    } finally {
      clearInterval(renew);
    }
    if (this.#closed && failed) return; // the lease runs out; another listener retries it
    if (!failed) {
      await this.#store.delete(key);
      return;
    }
    const attempt = message.attempt + 1;
    const backoff = message.backoffSchedule[message.attempt];
    if (backoff !== undefined) {
      const txn = await this.#store.transaction();
      try {
        await txn.delete(key);
        await txn.put(
          readyKey(Date.now() + backoff, key.subarray(QUEUE_LEASED_PREFIX.length)),
          encodeQueueMessage({ ...message, attempt }),
        );
        await txn.commit();
      } finally {
        await discard(txn);
      }
      return;
    }
    // Out of retries: the message goes to keysIfUndelivered, in a commit of its own.
    await this.#committer.commit(
      [],
      [
        ...message.keysIfUndelivered.filter(writable).map((k) => ({
          type: "set" as const,
          key: k,
          value: message.value,
          expireIn: undefined,
        })),
        { type: "delete", key },
      ],
      [],
    );
  }
}

function readyKey(at: number, id: Uint8Array): Uint8Array {
  return concat(QUEUE_READY_PREFIX, u64be(at), id);
}

function readyAt(key: Uint8Array): number {
  return Number(
    new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(
      QUEUE_READY_PREFIX.length,
    ),
  );
}

function withLease(until: number, message: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + message.length);
  new DataView(out.buffer).setFloat64(0, until, true);
  out.set(message, 8);
  return out;
}

function leaseUntil(value: Uint8Array): number {
  return new DataView(value.buffer, value.byteOffset, value.byteLength).getFloat64(0, true);
}

/** Drops a transaction that did not commit (a committed one has nothing to drop). */
async function discard(txn: KvTxn): Promise<void> {
  try {
    await txn.rollback();
  } catch {
    // already committed or rolled back
  }
}

/** Keys Deno KV would refuse to write (empty, or over 2048 bytes) are skipped. */
function writable(key: Uint8Array): boolean {
  return key.length > 0 && key.length <= MAX_WRITE_KEY_BYTES;
}
