// The write-ahead log: one file per memtable, a header, then records
// `u32 length ‖ u32 xxh32(payload) ‖ payload`. A payload is one commit:
// `varint count`, then per op `u8 kind (0 delete, 1 put) ‖ varint klen ‖ key
// [‖ varint vlen ‖ value]`. Group commit: `sync()` calls that arrive while an
// fdatasync is running share the next one.
import type { RawOp } from "../../core/engine.ts";
import { StoreError } from "../../core/error.ts";
import { ByteReader, ByteWriter, getU32, putU32 } from "./_coding.ts";
import type { LsmFile } from "./_fs.ts";
import { xxhash32 as checksum } from "../../core/xxhash32.ts";

const WAL_MAGIC = [0x4f, 0x58, 0x4c, 0x53, 0x4d, 0x57, 0x41, 0x4c]; // "OXLSMWAL"
const WAL_VERSION = 1;
const HEADER = 12;
/** Buffered bytes past which `add` writes through to the file. */
const WRITE_THROUGH = 1 << 20;

/** File name of WAL number `n`. */
export function walName(n: number): string {
  return `${String(n).padStart(6, "0")}.wal`;
}

/** Appends commits to one WAL file. */
export class WalWriter {
  readonly number: number;
  readonly #file: LsmFile;
  readonly #buf = new ByteWriter(1 << 16);
  #total = 0;
  #synced = 0;
  #inflight: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  /** fdatasync calls made. */
  syncs = 0;

  /**
   * A writer of a new log (`fresh`: writes its header), or of the log other
   * openers write to, whose records end at `at`.
   */
  constructor(file: LsmFile, number: number, fresh: boolean, at = 0) {
    this.#file = file;
    this.number = number;
    this.#total = this.#synced = at;
    if (fresh) {
      const h = new Uint8Array(HEADER);
      h.set(WAL_MAGIC);
      putU32(h, 8, WAL_VERSION);
      this.#buf.bytes(h);
      this.#total = HEADER;
    }
  }

  /** Encodes one commit into the log buffer. */
  add(ops: RawOp[]): void {
    const w = this.#buf;
    const start = w.len;
    w.ensure(8);
    w.len += 8;
    w.varint(ops.length);
    for (const op of ops) {
      w.byte(op.value === undefined ? 0 : 1);
      w.varint(op.key.length);
      w.bytes(op.key);
      if (op.value !== undefined) {
        w.varint(op.value.length);
        w.bytes(op.value);
      }
    }
    putU32(w.buf, start, w.len - start - 8);
    putU32(w.buf, start + 4, checksum(w.buf, start + 8, w.len));
    this.#total += w.len - start;
    if (w.len >= WRITE_THROUGH) this.writeOut();
  }

  /** The log file (other openers' records are read through it). */
  get file(): LsmFile {
    return this.#file;
  }

  /**
   * Other openers appended up to `end` (the caller holds the writer lock):
   * the next record goes there, over whatever a killed writer left past it.
   */
  resumeAt(end: number): void {
    this.writeOut();
    this.#file.resumeAt(end);
    this.#total = end;
    if (this.#synced > end) this.#synced = end;
  }

  /** Hands buffered bytes to the OS. */
  writeOut(): void {
    if (this.#buf.len === 0) return;
    this.#file.append(this.#buf.view());
    this.#buf.reset();
  }

  /** Bytes logged so far (header included). */
  get size(): number {
    return this.#total;
  }

  /** Durable up to everything added before the call; concurrent calls share fsyncs. */
  sync(): Promise<void> {
    if (this.#synced >= this.#total) return Promise.resolve();
    if (this.#queued) return this.#queued;
    if (this.#inflight) {
      const run = () => {
        this.#queued = undefined;
        return this.#run();
      };
      this.#queued = this.#inflight.then(run, run);
      return this.#queued;
    }
    return this.#run();
  }

  #run(): Promise<void> {
    const target = this.#total;
    if (this.#synced >= target) return Promise.resolve();
    this.writeOut();
    this.syncs++;
    const p: Promise<void> = this.#file.syncData().then(() => {
      if (target > this.#synced) this.#synced = target;
    }).finally(() => {
      if (this.#inflight === p) this.#inflight = undefined;
    });
    this.#inflight = p;
    return p;
  }

  /** Waits for running syncs, then makes everything durable (no more adds after this). */
  async finish(): Promise<void> {
    this.writeOut();
    while (this.#inflight || this.#queued) {
      try {
        await (this.#queued ?? this.#inflight);
      } catch { /* reported to its own callers; retried below */ }
    }
    if (this.#synced < this.#total) {
      const target = this.#total;
      this.syncs++;
      await this.#file.syncData();
      this.#synced = target;
    }
  }

  close(): void {
    this.#file.close();
  }
}

/** One replayed commit. */
export type WalBatch = RawOp[];

/**
 * Decodes a WAL file. With `tornOk`, a damaged record at the very end (or a
 * zero-filled tail) is a write cut short by a crash: the replay stops there
 * and `torn` is true. Damage anywhere else is `Corruption`.
 */
export function readWal(
  bytes: Uint8Array,
  name: string,
  tornOk: boolean,
): { batches: WalBatch[]; torn: boolean; end: number } {
  const batches: WalBatch[] = [];
  let end = HEADER;
  const torn = walRecords(
    bytes,
    name,
    tornOk,
    (start, to) => {
      batches.push(decodeBatch(bytes.subarray(start, to)));
      end = to;
    },
  );
  return { batches, torn, end };
}

/** Where one logged op's key and value lie in the log bytes (`vlen` -1 = delete). */
export type OpVisitor = (koff: number, klen: number, voff: number, vlen: number) => void;

/**
 * Visits every op of a complete WAL file in log order without copying
 * (the worker's flush reads a frozen log this way).
 */
export function walOps(bytes: Uint8Array, name: string, visit: OpVisitor): void {
  walRecords(bytes, name, false, (start, end) => {
    const r = new ByteReader(bytes, start);
    const count = r.varint();
    for (let i = 0; i < count; i++) {
      const kind = r.byte();
      if (kind > 1) throw new RangeError(`unknown op kind ${kind}`);
      const klen = r.varint();
      const koff = r.pos;
      r.bytes(klen);
      if (kind === 1) {
        const vlen = r.varint();
        visit(koff, klen, r.pos, vlen);
        r.bytes(vlen);
      } else visit(koff, klen, 0, -1);
    }
    if (r.pos !== end) throw new RangeError("trailing bytes");
  });
}

/**
 * Applies the whole records of `bytes` (a slice of a log starting at a
 * record boundary) in order, stopping at the first damaged or cut-short one;
 * returns the bytes consumed. Another opener's log is read this way: up to
 * the end its tip names, every record is whole unless a crash cut the log.
 */
export function readRecords(
  bytes: Uint8Array,
  name: string,
  onBatch: (ops: WalBatch) => void,
): number {
  let pos = 0;
  const n = bytes.length;
  while (pos + 8 <= n) {
    const len = getU32(bytes, pos);
    const end = pos + 8 + len;
    if (len === 0 || end > n || checksum(bytes, pos + 8, end) !== getU32(bytes, pos + 4)) break;
    let ops: WalBatch;
    try {
      ops = decodeBatch(bytes.subarray(pos + 8, end));
    } catch (err) {
      throw new StoreError(
        "Corruption",
        `Cannot read write-ahead log ${name}: undecodable record`,
        { cause: err },
      );
    }
    onBatch(ops);
    pos = end;
  }
  return pos;
}

/** Size of a log's header: its first record starts here. */
export const WAL_HEADER = HEADER;

/** Visits whole records; returns true when it stopped at a torn tail. */
function walRecords(
  bytes: Uint8Array,
  name: string,
  newest: boolean,
  onRecord: (start: number, end: number) => void,
): boolean {
  const bad = (why: string) =>
    new StoreError("Corruption", `Cannot replay write-ahead log ${name}: ${why}`);
  if (bytes.length < HEADER) {
    if (newest && WAL_MAGIC.every((b, i) => i >= bytes.length || bytes[i] === b)) return true;
    throw bad("file too short for its header");
  }
  // A header a power cut lost (never synced, so nothing in this log was acknowledged).
  if (newest && lostSector(bytes, 0, HEADER)) return true;
  for (let i = 0; i < 8; i++) if (bytes[i] !== WAL_MAGIC[i]) throw bad("bad magic bytes");
  if (getU32(bytes, 8) !== WAL_VERSION) throw bad(`unknown version ${getU32(bytes, 8)}`);
  let pos = HEADER;
  const n = bytes.length;
  const tornOk = (from: number): boolean => {
    if (!newest) return false;
    for (let i = from; i < n; i++) if (bytes[i] !== 0) return false;
    return true;
  };
  while (pos < n) {
    if (pos + 8 > n) {
      if (newest) return true;
      throw bad(`truncated record header at byte ${pos}`);
    }
    const len = getU32(bytes, pos);
    const crc = getU32(bytes, pos + 4);
    const end = pos + 8 + len;
    if (len === 0 || end > n) {
      if (newest && (end > n || tornOk(pos) || lostSector(bytes, pos, Math.min(end, n)))) {
        return true;
      }
      throw bad(`bad record length at byte ${pos}`);
    }
    if (checksum(bytes, pos + 8, end) !== crc) {
      if (newest && (end === n || tornOk(end) || lostSector(bytes, pos, end))) return true;
      throw bad(`checksum mismatch in record at byte ${pos}`);
    }
    try {
      onRecord(pos + 8, end);
    } catch (err) {
      throw new StoreError(
        "Corruption",
        `Cannot replay write-ahead log ${name}: undecodable record at byte ${pos}`,
        { cause: err },
      );
    }
    pos = end;
  }
  return false;
}

/** Disk sector: a power cut leaves each one of an unsynced write old or new. */
const SECTOR = 512;

/**
 * True when a sector overlapping `[from, to)` holds only zeros from `from`
 * (or its start) to its end: an appended write whose sector a power cut left
 * old. A record damaged that way was never synced, so none after it was
 * acknowledged either; a bit flip leaves no such run of zeros.
 */
function lostSector(bytes: Uint8Array, from: number, to: number): boolean {
  const n = bytes.length;
  for (let s = Math.floor(from / SECTOR) * SECTOR; s < Math.min(to, n); s += SECTOR) {
    let zero = true;
    for (let i = Math.max(from, s); i < Math.min(s + SECTOR, n) && zero; i++) zero = bytes[i] === 0;
    if (zero) return true;
  }
  return false;
}

function decodeBatch(payload: Uint8Array): WalBatch {
  const r = new ByteReader(payload);
  const count = r.varint();
  const ops: RawOp[] = [];
  for (let i = 0; i < count; i++) {
    const kind = r.byte();
    if (kind > 1) throw new RangeError(`unknown op kind ${kind}`);
    const key = r.bytes(r.varint()).slice();
    const value = kind === 1 ? r.bytes(r.varint()).slice() : undefined;
    ops.push({ key, value });
  }
  if (!r.done) throw new RangeError("trailing bytes");
  return ops;
}
