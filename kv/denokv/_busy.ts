// Private to the Deno KV engine: retrying calls that fail because another
// process holds the SQLite database.
//
// Two processes committing to one local Deno KV file make Deno KV throw
// "database is locked" on about one commit in three: a commit with version
// checks reads first and then upgrades to a write lock, and SQLite refuses that
// upgrade at once (its busy handler does not run there) when another
// connection committed in between. Nothing was written, so the call can simply
// run again, as SQLite's own `busy_timeout` would do for a plain write.
import { StoreError } from "../../core/error.ts";

/** How long a busy database is retried before `Timeout`, by default (SQLite-like 5 s). */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

const FIRST_PAUSE_MS = 1;
const LONGEST_PAUSE_MS = 50;

/** True for Deno KV's "the SQLite database is busy" errors. */
export function isBusy(err: unknown): boolean {
  return err instanceof Error && /database is (locked|busy)|SQLITE_BUSY/i.test(err.message);
}

/**
 * Runs Deno KV calls, retrying the ones that fail only because the database
 * is busy, with growing randomised pauses, for at most `timeoutMs` in all;
 * then `Timeout`. Any other error passes through unchanged.
 */
export class BusyRetry {
  /** Busy failures absorbed so far (for tests and metrics). */
  retries = 0;

  /**
   * @param path the store, for messages
   * @param timeoutMs how long one call may keep retrying
   */
  constructor(readonly path: string, readonly timeoutMs: number = DEFAULT_BUSY_TIMEOUT_MS) {}

  /** `call()`, again while the database is busy; `what` names it in the Timeout message. */
  async run<T>(what: string, call: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    let pause = FIRST_PAUSE_MS;
    for (;;) {
      try {
        return await call();
      } catch (err) {
        if (!isBusy(err)) throw err;
        const left = deadline - Date.now();
        if (left <= 0) throw this.#timeout(what, err);
        this.retries++;
        // Jitter keeps competing processes from retrying in lockstep.
        await sleep(Math.min(left, pause * (0.5 + Math.random())));
        pause = Math.min(LONGEST_PAUSE_MS, pause * 2);
      }
    }
  }

  #timeout(what: string, cause: unknown): StoreError {
    return new StoreError(
      "Timeout",
      `Cannot ${what} in Deno KV store at ${this.path}: the database stayed locked by ` +
        `another process (or connection) for ${this.timeoutMs} ms; retry later`,
      { cause },
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
