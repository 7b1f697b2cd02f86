/**
 * Watch fan-out: every committed change goes to each watcher whose prefix
 * matches, in commit order, through an unbounded queue per watcher.
 *
 * @module
 */
import { hasPrefix } from "./bytes.ts";
import type { KvChange } from "./kv.ts";

interface Watcher {
  prefix: Uint8Array;
  strip: number;
  queue: KvChange[];
  wake: (() => void) | undefined;
  done: boolean;
}

/** The watchers of one store. */
export class WatchHub {
  #watchers = new Set<Watcher>();

  /** True when somebody is watching (so commits need to publish). */
  get active(): boolean {
    return this.#watchers.size > 0;
  }

  /**
   * Publishes one committed change; `rawKey` carries the tree prefix that
   * each watcher strips.
   */
  publish(rawKey: Uint8Array, value: Uint8Array | undefined): void {
    for (const w of this.#watchers) {
      if (!hasPrefix(rawKey, w.prefix)) continue;
      w.queue.push({ key: rawKey.slice(w.strip), value: value?.slice() });
      const wake = w.wake;
      w.wake = undefined;
      wake?.();
    }
  }

  /** Ends every watcher (the store closed). */
  closeAll(): void {
    for (const w of this.#watchers) this.#end(w);
  }

  #end(w: Watcher): void {
    w.done = true;
    this.#watchers.delete(w);
    const wake = w.wake;
    w.wake = undefined;
    wake?.();
  }

  /**
   * A watcher over raw keys starting with `rawPrefix`; yielded keys drop the
   * first `strip` bytes (the tree prefix).
   */
  subscribe(rawPrefix: Uint8Array, strip: number): AsyncIterableIterator<KvChange> {
    const w: Watcher = { prefix: rawPrefix, strip, queue: [], wake: undefined, done: false };
    this.#watchers.add(w);
    const end = () => this.#end(w);
    const iterator: AsyncIterableIterator<KvChange> = {
      async next(): Promise<IteratorResult<KvChange>> {
        while (true) {
          const change = w.queue.shift();
          if (change) return { value: change, done: false };
          if (w.done) return { value: undefined, done: true };
          await new Promise<void>((r) => (w.wake = r));
        }
      },
      return(): Promise<IteratorResult<KvChange>> {
        end();
        w.queue.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}
