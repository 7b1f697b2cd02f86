/**
 * {@link KvListIterator}: the entries of a `list` call, fetched in batches, with a `cursor`.
 *
 * @module
 */
import type { KvEntry as RawEntry } from "../../core/kv.ts";
import type { KvEntry, KvListOptions, KvListSelector } from "./types.ts";
import { decodeKey, encodeReadKey } from "./_key_codec.ts";
import { decodeValue } from "./_value_codec.ts";
import {
  concat,
  ENTRIES_END,
  ENTRIES_START,
  recordIsLive,
  recordValueAt,
  recordVersionstamp,
} from "./_record.ts";
import { checkConsistency } from "./_validate.ts";
import { compareBytes } from "../../core/bytes.ts";
import { fromBase64Url, toBase64Url } from "../../core/encoding.ts";
import type { StoreReads } from "./_reads.ts";

const MAX_BATCH = 1000;
const DEFAULT_BATCH = 100;
const DEFAULT_BATCH_CAP = 500;

/** Byte range [lo, hi) of a selector, and the part every key in it shares (cursors omit it). */
interface Bounds {
  lo: Uint8Array;
  hi: Uint8Array;
  common: Uint8Array;
}

function selectorBounds(selector: KvListSelector): Bounds {
  const s = selector as { prefix?: unknown; start?: unknown; end?: unknown };
  const prefix = s.prefix === undefined ? undefined : encodeReadKey(s.prefix);
  const start = s.start === undefined ? undefined : encodeReadKey(s.start);
  const end = s.end === undefined ? undefined : encodeReadKey(s.end);
  let lo: Uint8Array;
  let hi: Uint8Array;
  if (prefix !== undefined) {
    if (start !== undefined && end !== undefined) {
      throw new TypeError(
        "Selector can not specify both 'start' and 'end' key when specifying 'prefix'",
      );
    }
    lo = concat(prefix, Uint8Array.of(0x00));
    hi = concat(prefix, Uint8Array.of(0xff));
    if (start !== undefined) {
      if (!startsWith(start, prefix)) {
        throw new TypeError("Start key is not in the keyspace defined by prefix");
      }
      lo = start;
    }
    if (end !== undefined) {
      if (!startsWith(end, prefix)) {
        throw new TypeError("End key is not in the keyspace defined by prefix");
      }
      hi = end;
    }
  } else if (start !== undefined && end !== undefined) {
    lo = start;
    hi = end;
  } else {
    throw new TypeError("Selector must specify either 'prefix' or both 'start' and 'end' key");
  }
  if (compareBytes(lo, hi) > 0) throw new TypeError("Start key is greater than end key");
  let n = 0;
  while (n < lo.length && n < hi.length && lo[n] === hi[n]) n++;
  return { lo, hi, common: lo.slice(0, n) };
}

/** `b` is a key under `prefix` (Deno KV: strictly longer, so the prefix itself is not). */
function startsWith(b: Uint8Array, prefix: Uint8Array): boolean {
  if (b.length <= prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[i] !== prefix[i]) return false;
  return true;
}

function encodeCursor(common: Uint8Array, key: Uint8Array): string {
  return toBase64Url(key.subarray(common.length), true);
}

function decodeCursor(common: Uint8Array, cursor: string): Uint8Array {
  let raw: Uint8Array;
  // Deno's decoder wants the padding; ours would take a cursor without it.
  if (cursor.length % 4 !== 0) throw new TypeError("invalid cursor");
  try {
    raw = fromBase64Url(cursor);
  } catch (err) {
    throw new TypeError("invalid cursor", { cause: err });
  }
  return concat(common, raw);
}

/**
 * The iterator `Kv.list` returns, as `Deno.KvListIterator`. Entries are fetched `batchSize`
 * at a time; `cursor` (after the first `next()`) resumes a later `list` after the last entry
 * seen, and is `""` once the iterator ran out.
 *
 * @example
 * ```ts
 * import { openKv } from "@cooljapan/oxistore/deno-kv";
 * await using kv = await openKv();
 * for (let i = 0; i < 5; i++) await kv.set(["n", i], i);
 * const page = kv.list<number>({ prefix: ["n"] }, { limit: 2 });
 * for await (const _ of page);
 * const rest = await Array.fromAsync(kv.list<number>({ prefix: ["n"] }, { cursor: page.cursor }));
 * if (rest.map((e) => e.value).join() !== "2,3,4") throw new Error("cursor lost its place");
 * ```
 */
export class KvListIterator<T> implements AsyncIterableIterator<KvEntry<T>> {
  readonly #reads: StoreReads;
  readonly #bounds: Bounds;
  readonly #limit: number | undefined;
  readonly #reverse: boolean;
  readonly #batchSize: number;
  #lo: Uint8Array;
  #hi: Uint8Array;
  #buffer: KvEntry<T>[] = [];
  #rawKeys: Uint8Array[] = [];
  #at = 0;
  #cursorKey: Uint8Array | undefined;
  #lastBatch = false;
  #done = false;
  #count = 0;
  #cursor: string | undefined;
  /** Entries a batch read (live or not), and the last one's key. */
  #raw = 0;
  #last: Uint8Array | undefined;

  /** @internal Made by `Kv.list`. */
  constructor(reads: StoreReads, selector: KvListSelector, options: KvListOptions = {}) {
    this.#reads = reads;
    const { limit, batchSize, reverse, consistency, cursor } = options;
    if (limit !== undefined && !(limit > 0 && Number.isInteger(limit))) {
      throw new Error(`Limit must be a positive integer: received ${limit}`);
    }
    let batch = batchSize ?? limit ?? DEFAULT_BATCH;
    if (!(batch > 0 && Number.isInteger(batch))) {
      throw new Error(`batchSize must be a positive integer: received ${batch}`);
    }
    if (batchSize === undefined && batch > DEFAULT_BATCH_CAP) batch = DEFAULT_BATCH_CAP;
    if (batch > MAX_BATCH) throw new TypeError(`Too many entries (max ${MAX_BATCH})`);
    checkConsistency(consistency);
    this.#bounds = selectorBounds(selector);
    this.#limit = limit;
    this.#reverse = reverse ?? false;
    this.#batchSize = batch;
    this.#lo = this.#bounds.lo;
    this.#hi = this.#bounds.hi;
    // Deno takes an empty cursor as none.
    if (cursor !== undefined && cursor !== "") {
      this.#cursor = cursor;
      const at = decodeCursor(this.#bounds.common, cursor);
      if (compareBytes(at, this.#bounds.lo) < 0 || compareBytes(at, this.#bounds.hi) > 0) {
        throw new TypeError("cursor out of bounds");
      }
      if (this.#reverse) this.#hi = at;
      else this.#lo = concat(at, Uint8Array.of(0x00));
    }
    // Bookkeeping keys start with 0x00 and sort below every entry: never list them.
    if (compareBytes(this.#lo, ENTRIES_START) < 0) this.#lo = ENTRIES_START;
    if (compareBytes(this.#hi, ENTRIES_END) > 0) this.#hi = ENTRIES_END;
  }

  /** Where a later `list` with the same selector resumes; `""` at the end. */
  get cursor(): string {
    if (this.#cursor === undefined && this.#cursorKey !== undefined) {
      this.#cursor = encodeCursor(this.#bounds.common, this.#cursorKey);
    }
    if (this.#cursor === undefined) throw new Error("Cannot get cursor before first iteration");
    return this.#cursor;
  }

  /** The next entry. */
  next(): Promise<IteratorResult<KvEntry<T>, undefined>> {
    // From the fetched batch without an async function's machinery (most calls).
    if (
      !this.#done && this.#at < this.#buffer.length &&
      (this.#limit === undefined || this.#count < this.#limit)
    ) return Promise.resolve(this.#take());
    return this.#nextSlow();
  }

  #take(): IteratorResult<KvEntry<T>, undefined> {
    const entry = this.#buffer[this.#at];
    const rawKey = this.#rawKeys[this.#at++];
    if (entry === undefined || rawKey === undefined) {
      this.#done = true;
      this.#cursor = "";
      this.#cursorKey = undefined;
      return { done: true, value: undefined };
    }
    this.#count++;
    // The cursor text is made only when asked for.
    this.#cursor = undefined;
    this.#cursorKey = rawKey;
    return { done: false, value: entry };
  }

  async #nextSlow(): Promise<IteratorResult<KvEntry<T>, undefined>> {
    if (this.#done || (this.#limit !== undefined && this.#count >= this.#limit)) {
      return { done: true, value: undefined };
    }
    while (this.#at >= this.#buffer.length && !this.#lastBatch) {
      this.#buffer = [];
      this.#rawKeys = [];
      this.#at = 0;
      await this.#pull();
    }
    return this.#take();
  }

  async #pull(): Promise<void> {
    if (compareBytes(this.#lo, this.#hi) >= 0) {
      this.#lastBatch = true;
      return;
    }
    const now = Date.now();
    const before = this.#raw;
    this.#last = undefined;
    const scan = this.#reads.range(this.#lo, this.#hi, {
      reverse: this.#reverse,
      limit: this.#batchSize,
    });
    // A store that reads synchronously is iterated without a promise per entry.
    if (Symbol.iterator in scan) { for (const e of scan) this.#add(e, now); }
    else for await (const e of scan) this.#add(e, now);
    const raw = this.#raw - before;
    const last = this.#last;
    if (last !== undefined) {
      if (this.#reverse) this.#hi = last;
      else this.#lo = concat(last, Uint8Array.of(0x00));
    }
    if (raw < this.#batchSize) this.#lastBatch = true;
  }

  /** One entry of a batch (expired ones are skipped, yet move the batch on). */
  #add([key, rec]: RawEntry, now: number): void {
    this.#raw++;
    this.#last = key;
    if (!recordIsLive(rec, now)) return;
    this.#buffer.push({
      key: decodeKey(key),
      value: decodeValue(rec, recordValueAt(rec)) as T,
      versionstamp: recordVersionstamp(rec),
    });
    this.#rawKeys.push(key);
  }

  /** This iterator. */
  [Symbol.asyncIterator](): this {
    return this;
  }
}
