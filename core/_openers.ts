// Private to the on-disk engines: what several openers of one store (other
// processes, other isolates, other handles) share. Deno has no shared memory
// between processes and `flock` covers a whole file, so each concern is one
// small file:
//
// - the writer lock file: held (exclusively) only while a commit is appended
//   or a checkpoint/compaction is made; its first bytes are the "tip", a
//   hashed summary of the newest commit that readers check with one read;
// - one reader slot file per opener, in a directory: locked by its owner for
//   its lifetime (a slot whose lock can be taken belongs to a dead opener and
//   is removed), holding the oldest state the opener may still read (space is
//   reused only past every live slot's pin) and whether it runs "solo".
//
// Solo: an opener that finds no other live slot stops checking for commits
// made elsewhere (the cost of a lone store stays what it was). A newcomer
// first registers its slot, then waits until no live slot says solo; the solo
// opener notices the newcomer on its next tick (a timer, every few ms), hands
// its state over and clears the flag.
import { ioStoreError, StoreError } from "./error.ts";

/** Slot layout: f64 pin twice (a torn read never passes), u32 solo, u32 pid. */
const SLOT_BYTES = 24;
const TIP_BYTES = 32;
/** How long a newcomer waits for a solo opener to notice it. */
const SOLO_WAIT_MS = 10_000;

function tipHash(b: Uint8Array): number {
  let h = 0x9e3779b1;
  for (let i = 4; i < TIP_BYTES; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

function readAll(file: Deno.FsFile, at: number, out: Uint8Array): number {
  file.seekSync(at, Deno.SeekMode.Start);
  let got = 0;
  while (got < out.length) {
    const n = file.readSync(out.subarray(got));
    if (n === null || n === 0) break;
    got += n;
  }
  return got;
}

function writeAll(file: Deno.FsFile, at: number, bytes: Uint8Array): void {
  file.seekSync(at, Deno.SeekMode.Start);
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}

/** What another opener's slot says. */
interface Peer {
  pin: number;
  solo: boolean;
  pid: number;
}

/** One opener's membership of a store's set of openers. */
export class Openers {
  readonly #path: string;
  readonly #dir: string;
  readonly #lockFile: Deno.FsFile;
  readonly #slot: Deno.FsFile;
  readonly #slotName: string;
  readonly #slotBytes = new Uint8Array(SLOT_BYTES);
  readonly #tip = new Uint8Array(TIP_BYTES);
  #pin = 0;
  #solo = false;
  #locked = false;
  #waiting = false;
  #closed = false;

  private constructor(
    path: string,
    dir: string,
    lockFile: Deno.FsFile,
    slot: Deno.FsFile,
    name: string,
  ) {
    this.#path = path;
    this.#dir = dir;
    this.#lockFile = lockFile;
    this.#slot = slot;
    this.#slotName = name;
  }

  /**
   * Registers a new opener of the store at `path` (for messages): `lockPath`
   * is the writer lock file, `dir` the reader slot directory. Its pin starts
   * at 0 (everything), so nothing it may read is reused before it says which
   * state it reads. Resolves once no other opener runs solo.
   */
  static async join(path: string, lockPath: string, dir: string): Promise<Openers> {
    let lockFile: Deno.FsFile | undefined;
    let slot: Deno.FsFile | undefined;
    try {
      Deno.mkdirSync(dir, { recursive: true });
      lockFile = Deno.openSync(lockPath, { read: true, write: true, create: true });
      // A slot is locked before it gets its name, so no scan sees it unlocked.
      const name = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
      const tmp = `${dir}/.new-${name}`;
      slot = Deno.openSync(tmp, { read: true, write: true, createNew: true });
      if (!slot.tryLockSync(true)) throw new Error("a new slot file is locked by someone else");
      const o = new Openers(path, dir, lockFile, slot, name);
      o.#writeSlot();
      Deno.renameSync(tmp, `${dir}/${name}`);
      await o.#waitForSolo();
      return o;
    } catch (err) {
      try {
        slot?.close();
        lockFile?.close();
      } catch { /* closing what opened */ }
      if (err instanceof StoreError) throw err;
      // A missing permission is Unsupported naming the flag, as on every engine.
      throw ioStoreError(err, `open store at ${path}`);
    }
  }

  async #waitForSolo(): Promise<void> {
    const deadline = Date.now() + SOLO_WAIT_MS;
    for (;;) {
      const solo = this.#peers().find((p) => p.solo);
      if (solo === undefined) return;
      if (Date.now() > deadline) {
        throw new StoreError(
          "Locked",
          `Cannot open store at ${this.#path}: process ${solo.pid} holds it alone and did not make room within ${
            SOLO_WAIT_MS / 1000
          } s (is its event loop blocked?)`,
        );
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  #writeSlot(): void {
    const dv = new DataView(this.#slotBytes.buffer);
    dv.setFloat64(0, this.#pin, true);
    dv.setFloat64(8, this.#pin, true);
    dv.setUint32(16, this.#solo ? 1 : 0, true);
    dv.setUint32(20, Deno.pid, true);
    writeAll(this.#slot, 0, this.#slotBytes);
  }

  /** Every other live opener's slot; dead ones are removed on the way. */
  #peers(): Peer[] {
    const out: Peer[] = [];
    let names: string[];
    try {
      names = [...Deno.readDirSync(this.#dir)].map((e) => e.name);
    } catch {
      return out;
    }
    for (const name of names) {
      if (name === this.#slotName) continue;
      const full = `${this.#dir}/${name}`;
      if (name.startsWith(".new-")) {
        // Killed between creating and naming its slot: never a reader.
        try {
          if (Date.now() - (Deno.statSync(full).mtime?.getTime() ?? 0) > 60_000) {
            Deno.removeSync(full);
          }
        } catch { /* gone */ }
        continue;
      }
      let f: Deno.FsFile;
      try {
        f = Deno.openSync(full, { read: true });
      } catch {
        continue; // removed meanwhile
      }
      try {
        if (f.tryLockSync(false)) {
          // Nobody holds it: its opener died (or just closed). It pins nothing.
          try {
            Deno.removeSync(full);
          } catch { /* removed meanwhile */ }
          continue;
        }
        const b = new Uint8Array(SLOT_BYTES);
        const n = readAll(f, 0, b);
        const dv = new DataView(b.buffer);
        const a = n === SLOT_BYTES ? dv.getFloat64(0, true) : 0;
        const pin = n === SLOT_BYTES && dv.getFloat64(8, true) === a ? a : 0;
        out.push({
          pin,
          solo: n === SLOT_BYTES && dv.getUint32(16, true) === 1,
          pid: dv.getUint32(20, true),
        });
      } finally {
        f.close();
      }
    }
    return out;
  }

  /** Number of other live openers. */
  others(): number {
    return this.#peers().length;
  }

  /** The oldest state another live opener may read (Infinity: none). */
  othersPin(): number {
    let min = Infinity;
    for (const p of this.#peers()) if (p.pin < min) min = p.pin;
    return min;
  }

  /** Says which oldest state this opener may still read (only ever rises). */
  publishPin(pin: number): void {
    if (pin === this.#pin || this.#closed) return;
    this.#pin = pin;
    this.#writeSlot();
  }

  /** True while this opener is the only one. */
  get solo(): boolean {
    return this.#solo;
  }

  /**
   * Becomes solo if no other opener is live: the flag is written first, then
   * the others are counted, so a newcomer either sees the flag (and waits)
   * or is counted here.
   */
  trySolo(): boolean {
    if (this.#solo) return true;
    this.#solo = true;
    this.#writeSlot();
    if (this.others() === 0) return true;
    this.leaveSolo();
    return false;
  }

  /** Stops running solo (a newcomer waits for this). */
  leaveSolo(): void {
    if (!this.#solo) return;
    this.#solo = false;
    this.#writeSlot();
  }

  /** Takes the writer lock if free now (never while a `lock()` of this opener is waiting). */
  tryLock(): boolean {
    if (this.#locked) throw new Error("writer lock taken twice");
    // flock on one file description is one lock: taking it here while a
    // waiting lock() gets it too would let one unlock release both.
    if (this.#waiting) return false;
    this.#locked = this.#lockFile.tryLockSync(true);
    return this.#locked;
  }

  /** Takes the writer lock, waiting (off the event loop) while another opener holds it. */
  async lock(): Promise<void> {
    if (this.tryLock()) return;
    this.#waiting = true;
    try {
      await this.#lockFile.lock(true);
    } finally {
      this.#waiting = false;
    }
    this.#locked = true;
  }

  /** True while this opener holds the writer lock. */
  get locked(): boolean {
    return this.#locked;
  }

  unlock(): void {
    if (!this.#locked) return;
    this.#locked = false;
    this.#lockFile.unlockSync();
  }

  /** The tip's payload (bytes 4–31), or undefined when torn or never written. */
  readTip(): Uint8Array | undefined {
    const b = this.#tip;
    for (let tries = 0; tries < 3; tries++) {
      if (readAll(this.#lockFile, 0, b) < TIP_BYTES) return undefined;
      if (new DataView(b.buffer).getUint32(0, true) === tipHash(b)) return b;
    }
    return undefined;
  }

  /** Writes the tip (the caller holds the writer lock); `payload` fills bytes 4–31. */
  writeTip(payload: Uint8Array): void {
    const b = new Uint8Array(TIP_BYTES);
    b.set(payload.subarray(0, TIP_BYTES - 4), 4);
    new DataView(b.buffer).setUint32(0, tipHash(b), true);
    writeAll(this.#lockFile, 0, b);
  }

  /** Leaves: the slot goes (nothing is pinned any more), then the lock file. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      Deno.removeSync(`${this.#dir}/${this.#slotName}`);
    } catch { /* a scan took it for dead */ }
    try {
      this.#slot.close();
    } finally {
      this.unlock();
      this.#lockFile.close();
    }
  }
}

/** What an engine keeps for the steps below (the B-tree's and the LSM's state both are one). */
export interface OpenerState {
  openers: Openers | undefined;
  /** Reads and commits since the last look for newcomers while solo. */
  soloReads: number;
  /** When a solo opener last looked for newcomers (epoch ms). */
  soloAt: number;
  /** Between beginCommit and endCommit. */
  inCommit: boolean;
  /** Open scans and snapshots of this opener. */
  busy: number;
  closed: boolean;
  readOnly: boolean;
}

/** An engine's own steps the shared ones call. */
export interface OpenerSteps<S extends OpenerState> {
  /** With the writer lock held: learn of every commit made elsewhere. */
  caughtUp(e: S): void;
  /** Releases the writer lock (publishing the tip when this opener changed the store). */
  unlock(e: S): void;
  /** A newcomer waits: publish what it needs and stop running solo. */
  handOver(e: S, o: Openers): void;
}

/**
 * How often a solo opener busy in a loop that never yields to timers looks
 * for newcomers (listing the reader slots): each look costs a directory
 * listing, 6% of a loop of short scans at 20 ms; a newcomer waits this much
 * longer, well inside the 10 s it waits for a solo opener to make room.
 */
const SOLO_LOOK_MS = 100;

/**
 * A solo opener whose program never yields to timers (a tight loop of
 * commits or reads) still looks for newcomers every few ms; true when it
 * handed solo mode over (the caller goes on as one of several openers).
 */
export function soloLook<S extends OpenerState>(e: S, o: Openers, steps: OpenerSteps<S>): boolean {
  e.soloReads = 0;
  const now = Date.now();
  if (now - e.soloAt < SOLO_LOOK_MS || e.busy > 0 || e.inCommit) return false;
  e.soloAt = now;
  if (o.others() === 0) return false;
  steps.handOver(e, o);
  return !o.solo;
}

/**
 * Before core builds a commit (a transaction validates there): takes the
 * writer lock and catches up, so the validation sees every commit made
 * anywhere, and nothing slips in before this commit's record.
 */
export function beginSharedCommit<S extends OpenerState>(
  e: S,
  steps: OpenerSteps<S>,
): void | Promise<void> {
  const o = e.openers;
  const solo = o !== undefined && o.solo && (++e.soloReads < 64 || !soloLook(e, o, steps));
  e.inCommit = true;
  if (o === undefined || solo || o.locked || e.closed || e.readOnly) return;
  const catchUpOrEnd = () => {
    try {
      steps.caughtUp(e);
    } catch (err) {
      endSharedCommit(e, steps);
      throw err;
    }
  };
  if (o.tryLock()) return catchUpOrEnd();
  return o.lock().then(catchUpOrEnd, (err) => {
    e.inCommit = false;
    throw err;
  });
}

/** After the commit (or its failure): releases the writer lock. */
export function endSharedCommit<S extends OpenerState>(e: S, steps: OpenerSteps<S>): void {
  e.inCommit = false;
  steps.unlock(e);
}
