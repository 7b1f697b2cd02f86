// Private: Deno KV's checks of options, with its messages and error classes.
import type { KvEnqueueOptions } from "./types.ts";
import { encodeKey } from "./_key_codec.ts";
import { encodeValue } from "./_value_codec.ts";
import type { PreparedEnqueue } from "./_commit.ts";

/** Deno KV's default retry delays of a queue message. */
export const DEFAULT_BACKOFF = [100, 1000, 5000, 30000, 60000];
const MAX_DELAY = 30 * 24 * 60 * 60 * 1000;
const MAX_BACKOFF_INTERVALS = 5;
const MAX_BACKOFF_MS = 3600 * 1000;

/** `expireIn`: a non-negative integer of milliseconds, or absent. */
export function checkExpireIn(expireIn: unknown): number | undefined {
  if (expireIn === undefined) return undefined;
  if (typeof expireIn !== "number" || !Number.isInteger(expireIn) || expireIn < 0) {
    throw new TypeError(`expireIn must be a non-negative integer: received ${String(expireIn)}`);
  }
  return expireIn;
}

/** An enqueue whose `keysIfUndelivered` are checked only at commit, as Deno does. */
export type PendingEnqueue = Omit<PreparedEnqueue, "keysIfUndelivered"> & {
  keysIfUndelivered: unknown;
};

/** An enqueue's message and options, checked and encoded now (as Deno does), but its keys. */
export function prepareEnqueue(value: unknown, options: KvEnqueueOptions = {}): PendingEnqueue {
  const delay = options.delay ?? 0;
  if (typeof delay !== "number" || Number.isNaN(delay)) {
    throw new TypeError(`Delay must be a number: received ${String(delay)}`);
  }
  if (delay < 0) throw new TypeError(`Delay must be >= 0: received ${delay}`);
  if (delay > MAX_DELAY) {
    throw new TypeError(`Delay cannot be greater than 30 days: received ${delay}`);
  }
  const backoffSchedule = options.backoffSchedule ?? DEFAULT_BACKOFF;
  if (backoffSchedule.length > MAX_BACKOFF_INTERVALS) {
    throw new TypeError(
      `Invalid backoffSchedule, max ${MAX_BACKOFF_INTERVALS} intervals allowed`,
    );
  }
  backoffSchedule.forEach((ms, i) => {
    if (typeof ms !== "number" || !(ms >= 0 && ms <= MAX_BACKOFF_MS)) {
      throw new TypeError(`Invalid backoffSchedule, interval at index ${i} is invalid`);
    }
  });
  return {
    value: encodeValue(value),
    delay,
    keysIfUndelivered: options.keysIfUndelivered ?? [],
    backoffSchedule: [...backoffSchedule],
  };
}

/**
 * Encodes an enqueue's `keysIfUndelivered` at commit. Deno checks only the parts' types (an
 * empty or oversize key is accepted; such a key is skipped when the message is given up).
 */
export function encodeUndeliveredKeys(e: PendingEnqueue): PreparedEnqueue {
  if (!Array.isArray(e.keysIfUndelivered)) {
    throw new TypeError(
      `serde_v8 error: invalid type; expected: array, got: ${typeof e.keysIfUndelivered}`,
    );
  }
  return { ...e, keysIfUndelivered: e.keysIfUndelivered.map(encodeKey) };
}

/** `consistency`: "strong", "eventual" or absent. */
export function checkConsistency(c: unknown): void {
  if (c !== undefined && c !== "strong" && c !== "eventual") {
    throw new TypeError(`unknown variant \`${String(c)}\`, expected \`strong\` or \`eventual\``);
  }
}
