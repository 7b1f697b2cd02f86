// Private to core: snapshot views, the conflict log and the before-image
// overlay that gives snapshots to engines without native MVCC.
import { compareBytes } from "./bytes.ts";
import { keyId } from "./_key_id.ts";

// Engines imported the key id from here before it had its own module.
export { keyId };
import type { RawEngine, RawEntry, RawScanOptions, RawSnapshot } from "./engine.ts";
import type { Mutex } from "./mutex.ts";

function inRange(key: Uint8Array, lo: Uint8Array | undefined, hi: Uint8Array | undefined): boolean {
  return (lo === undefined || compareBytes(key, lo) >= 0) &&
    (hi === undefined || compareBytes(key, hi) < 0);
}

/**
 * Remembers, while transactions are open, the commit sequence number of each
 * key written, so a commit can tell whether anything it read or wrote changed
 * after it began.
 */
export class ConflictLog {
  #open = new Map<number, number>();
  #nextToken = 0;
  #last = new Map<string, { key: Uint8Array; seq: number }>();

  /** Registers an open transaction that began after commit `seq`. */
  begin(seq: number): number {
    const token = this.#nextToken++;
    this.#open.set(token, seq);
    return token;
  }

  /** A commit whose keys are unknown (made elsewhere) came at `seq`: it conflicts with all. */
  #allAt = -1;

  /** Forgets a finished transaction, and with the last one every record. */
  end(token: number): void {
    this.#open.delete(token);
    if (this.#open.size === 0) {
      // Map#clear allocates a new table even when empty; commits end their token twice.
      if (this.#last.size > 0) this.#last.clear();
      this.#allAt = -1;
    } else if (this.#last.size > 4096) {
      const oldest = Math.min(...this.#open.values());
      for (const [id, r] of this.#last) if (r.seq <= oldest) this.#last.delete(id);
    }
  }

  /** Notes a committed write when somebody may need to know. */
  record(key: Uint8Array, seq: number): void {
    if (this.#open.size > 0) this.#last.set(keyId(key), { key, seq });
  }

  /** Notes a commit that may have changed any key. */
  recordAll(seq: number): void {
    if (this.#open.size > 0) this.#allAt = seq;
  }

  /** True when `key` was committed after `seq`. */
  changedSince(id: string, seq: number): boolean {
    if (this.#allAt > seq) return true;
    const r = this.#last.get(id);
    return r !== undefined && r.seq > seq;
  }

  /** True when some key in `[lo, hi)` was committed after `seq`. */
  rangeChangedSince(lo: Uint8Array | undefined, hi: Uint8Array | undefined, seq: number): boolean {
    if (this.#allAt > seq) return true;
    for (const r of this.#last.values()) {
      if (r.seq > seq && inRange(r.key, lo, hi)) return true;
    }
    return false;
  }
}

const CHUNK = 256;

/**
 * A snapshot for engines without native MVCC: before each commit core saves
 * the old value of every key the commit touches into each open overlay, so
 * reads answer from the overlay for changed keys and from the live engine for
 * the rest. Its cost is one read per written key while snapshots are open,
 * and memory for the old values until the snapshot is released.
 */
export class OverlaySnapshot implements RawSnapshot {
  readonly #engine: RawEngine;
  readonly #lock: Mutex;
  readonly #onRelease: (s: OverlaySnapshot) => void;
  readonly #saved = new Map<string, { key: Uint8Array; value: Uint8Array | undefined }>();
  #released = false;

  constructor(engine: RawEngine, lock: Mutex, onRelease: (s: OverlaySnapshot) => void) {
    this.#engine = engine;
    this.#lock = lock;
    this.#onRelease = onRelease;
  }

  /** Saves the current value of `key` unless an older one is already saved. */
  async preserve(key: Uint8Array): Promise<void> {
    const id = keyId(key);
    if (this.#saved.has(id)) return;
    this.#saved.set(id, { key, value: await this.#engine.get(key) });
  }

  get(key: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    const saved = this.#saved.get(keyId(key));
    if (saved) return saved.value?.slice();
    return this.#engine.get(key);
  }

  async *scan(
    lo: Uint8Array | undefined,
    hi: Uint8Array | undefined,
    opts?: RawScanOptions,
  ): AsyncGenerator<RawEntry> {
    const reverse = opts?.reverse ?? false;
    const source = this.#engine.scan(lo, hi, opts);
    const it = Symbol.asyncIterator in source
      ? (source as AsyncIterable<RawEntry>)[Symbol.asyncIterator]()
      : (source as Iterable<RawEntry>)[Symbol.iterator]();
    // The engine's side of the range already passed (exclusive), per direction.
    let passed: Uint8Array | undefined;
    let finished = false;
    // A short scan reads a short first chunk; long ones read CHUNK at a time.
    let chunk = Math.min(CHUNK, Math.max(8, (opts?.limit ?? CHUNK) + 1));
    while (!finished) {
      // Read a chunk and the matching overlay entries with no commit between.
      const out = await this.#lock.run(async () => {
        const got: RawEntry[] = [];
        while (got.length < chunk) {
          const r = await it.next();
          if (r.done) {
            finished = true;
            break;
          }
          got.push(r.value);
        }
        const edge = finished ? undefined : got[got.length - 1]![0];
        if (this.#saved.size === 0) { // nothing committed since the pin: the engine's view is ours
          passed = edge;
          chunk = CHUNK;
          return got;
        }
        const extra: RawEntry[] = [];
        for (const s of this.#saved.values()) {
          if (s.value === undefined || !inRange(s.key, lo, hi)) continue;
          const c1 = passed === undefined ? 1 : compareBytes(s.key, passed) * (reverse ? -1 : 1);
          const c2 = edge === undefined ? -1 : compareBytes(s.key, edge) * (reverse ? -1 : 1);
          if (c1 > 0 && c2 <= 0) extra.push([s.key, s.value.slice()]);
        }
        const merged: RawEntry[] = [];
        for (const e of got) {
          if (!this.#saved.has(keyId(e[0]))) merged.push(e);
        }
        merged.push(...extra);
        merged.sort((a, b) => compareBytes(a[0], b[0]) * (reverse ? -1 : 1));
        passed = edge;
        chunk = CHUNK;
        return merged;
      });
      yield* out;
    }
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#saved.clear();
    this.#onRelease(this);
  }
}
