/**
 * A FIFO async mutex with a synchronous fast path.
 *
 * @module
 */

/** Serialises async critical sections in arrival order. */
export class Mutex {
  #locked = false;
  #waiters: (() => void)[] = [];

  /** Runs `fn` once every earlier holder has finished. */
  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.#locked) await new Promise<void>((r) => this.#waiters.push(r));
    this.#locked = true;
    try {
      return await fn();
    } finally {
      const next = this.#waiters.shift();
      if (next) next();
      else this.#locked = false;
    }
  }
}
