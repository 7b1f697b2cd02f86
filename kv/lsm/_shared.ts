// What the openers of one LSM directory share besides its tables, logs and
// manifest (see core/_openers.ts and docs/lsm.md "Many openers"): the writer
// lock file, whose tip names the newest commit, the reader slot directory,
// and the jobs lock (flushes, compactions and manifest edits, one process
// at a time).

/** The writer lock file; its first 32 bytes are the tip. */
export const LOCK_NAME = "LOCK";
/** Held by the one process that flushes and compacts. */
export const JOBS_NAME = "JOBS";
/** One slot file per opener (its pin: the oldest manifest edit it reads). */
export const READERS_NAME = "readers";
/** Names in a store directory that are not tables, logs or the manifest. */
export const SHARED_FILES: ReadonlySet<string> = new Set([LOCK_NAME, JOBS_NAME, READERS_NAME]);

/**
 * The newest commit of the store, as the last writer left it: the current
 * log, where its last whole record ends, and the manifest edit.
 */
export interface LsmTip {
  wal: number;
  end: number;
  edit: number;
}

/** The tip's payload (after its 4-byte hash). */
export function encodeTip(t: LsmTip): Uint8Array {
  const b = new Uint8Array(28);
  const dv = new DataView(b.buffer);
  dv.setFloat64(0, t.end, true);
  dv.setFloat64(8, t.wal, true);
  dv.setFloat64(16, t.edit, true);
  return b;
}

/** Reads a tip from the 32 bytes `Openers.readTip` returns. */
export function decodeTip(b: Uint8Array): LsmTip {
  const dv = new DataView(b.buffer, b.byteOffset + 4, 28);
  return {
    end: dv.getFloat64(0, true),
    wal: dv.getFloat64(8, true),
    edit: dv.getFloat64(16, true),
  };
}

/** True when two tips name the same state. */
export function sameTip(a: LsmTip, b: LsmTip): boolean {
  return a.wal === b.wal && a.end === b.end && a.edit === b.edit;
}

/**
 * The jobs lock: whoever holds it flushes and compacts (and so edits the
 * manifest). Counted, because this process runs a flush and a compaction at
 * once under one lock. Taken without waiting: a process that finds it taken
 * leaves the work to its holder (every process has the same memtables, so
 * any of them can flush; a holder that dies releases it with its file).
 */
export class JobsLock {
  readonly #file: Deno.FsFile | undefined;
  #count = 0;
  #waiting = false;

  /** `path` undefined: a store in memory, whose jobs need no lock. */
  constructor(path: string | undefined) {
    this.#file = path === undefined
      ? undefined
      : Deno.openSync(path, { read: true, write: true, create: true });
  }

  /** True while this process holds it. */
  get held(): boolean {
    return this.#count > 0;
  }

  /** True when this process holds it now (`fresh`: just taken). */
  tryAcquire(): { fresh: boolean } | undefined {
    if (this.#count > 0) {
      this.#count++;
      return { fresh: false };
    }
    if (this.#waiting) return undefined;
    if (this.#file !== undefined && !this.#file.tryLockSync(true)) return undefined;
    this.#count = 1;
    return { fresh: true };
  }

  /** Waits (off the event loop) until this process holds it. */
  async acquire(): Promise<{ fresh: boolean }> {
    const now = this.tryAcquire();
    if (now !== undefined) return now;
    this.#waiting = true;
    try {
      await this.#file!.lock(true);
    } finally {
      this.#waiting = false;
    }
    this.#count = 1;
    return { fresh: true };
  }

  release(): void {
    if (this.#count === 0) return;
    if (--this.#count === 0) this.#file?.unlockSync();
  }

  close(): void {
    this.#count = 0;
    try {
      this.#file?.close();
    } catch { /* closed */ }
  }
}
