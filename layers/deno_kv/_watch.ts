// Private: `watch` — the current entries first, then again whenever one of them changes.
// Commits of this process announce their keys; a poll catches other processes' commits.
import { keyId } from "../../core/_key_id.ts";
import type { Committer } from "./_commit.ts";
import type { KvEntryMaybe } from "./types.ts";

/** Reads the watched entries now. */
export type ReadEntries = () => Promise<KvEntryMaybe<unknown>[]>;

export function watchStream(
  keys: Uint8Array[],
  read: ReadEntries,
  committer: Committer,
  pollMs: number,
  raw: boolean,
  onClose: (stop: () => void) => () => void,
): ReadableStream<KvEntryMaybe<unknown>[]> {
  const ids = new Set(keys.map(keyId));
  let last: string | undefined;
  let stopped = false;
  let pending = true;
  let wake: (() => void) | undefined;
  const cleanups: (() => void)[] = [];
  const stop = () => {
    stopped = true;
    wake?.();
    for (const c of cleanups) c();
  };
  let touched = false;
  const signal = (byCommit: boolean) => {
    pending = true;
    touched ||= byCommit;
    wake?.();
  };
  return new ReadableStream<KvEntryMaybe<unknown>[]>({
    start() {
      cleanups.push(committer.onCommit((n) => {
        if (n.keys.some((k) => ids.has(keyId(k)))) signal(true);
      }));
      const timer = setInterval(() => signal(false), pollMs);
      cleanups.push(() => clearInterval(timer));
      cleanups.push(onClose(stop));
    },
    async pull(controller) {
      for (;;) {
        if (stopped) return controller.close();
        if (!pending) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        if (stopped) return controller.close();
        pending = false;
        const wasTouched = touched;
        touched = false;
        const entries = await read();
        const stamp = entries.map((e) => e.versionstamp ?? "-").join();
        // A poll wakes us without a change: only a new versionstamp is news, unless raw, where
        // every commit that wrote a watched key is.
        if (stamp !== last || (raw && wasTouched)) {
          last = stamp;
          controller.enqueue(entries);
          return;
        }
      }
    },
    cancel() {
      stop();
    },
  }, { highWaterMark: 0 });
}
