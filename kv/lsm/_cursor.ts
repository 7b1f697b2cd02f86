// Allocation-free forward cursors for flushes, compactions and scans. A
// cursor exposes its current key as `key[0..klen)` and value as
// `vbuf[voff..voff+vlen)` (vlen 0 = tombstone); both stay valid until
// `next()`. Creating a typed-array view per entry costs more than the rest of
// the work, so the hot paths pass offsets instead.
import { BlockCursor } from "./_block.ts";
import { type Leaf, type Memtable, visible } from "../../core/_memtable.ts";
import type { TableReader } from "./_table_reader.ts";
import type { Table } from "./_version.ts";
import { findTable } from "./_version.ts";

/** A forward cursor over sorted entries. */
export interface Cursor {
  valid: boolean;
  key: Uint8Array;
  klen: number;
  vbuf: Uint8Array;
  voff: number;
  vlen: number;
  next(): void;
}

const EMPTY = new Uint8Array(0);

/** Compares `a[0..alen)` with `b[0..blen)`. */
export function cmpKey(a: Uint8Array, alen: number, b: Uint8Array, blen: number): number {
  const n = alen < blen ? alen : blen;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return alen === blen ? 0 : alen < blen ? -1 : 1;
}

/** Entries of a memtable at `seq`, from `lo`; re-seeks if inserts move positions. */
export class MemCursor implements Cursor {
  valid = true;
  key: Uint8Array = EMPTY;
  klen = 0;
  vbuf: Uint8Array = EMPTY;
  voff = 0;
  vlen = 0;
  readonly #m: Memtable;
  readonly #seq: number;
  readonly #lo: Uint8Array | undefined;
  #li: number;
  #i: number;
  #shape: number;
  #started = false;

  constructor(m: Memtable, lo: Uint8Array | undefined, seq: number) {
    this.#m = m;
    this.#seq = seq;
    this.#lo = lo;
    [this.#li, this.#i] = lo === undefined ? [0, 0] : m.seekPos(lo, false);
    this.#shape = m.shape;
    this.next();
  }

  next(): void {
    const m = this.#m;
    if (this.#shape !== m.shape) {
      this.#shape = m.shape;
      [this.#li, this.#i] = this.#started
        ? m.seekPos(this.key, true)
        : this.#lo === undefined
        ? [0, 0]
        : m.seekPos(this.#lo, false);
    }
    const leaves: Leaf[] = m.leaves;
    while (true) {
      const leaf = leaves[this.#li];
      if (leaf === undefined) {
        this.valid = false;
        return;
      }
      if (this.#i >= leaf.keys.length) {
        this.#li++;
        this.#i = 0;
        continue;
      }
      const i = this.#i++;
      const e = visible(leaf.ents[i], this.#seq);
      if (e === undefined) continue;
      const key = leaf.keys[i]!;
      this.key = key;
      this.klen = key.length;
      this.vbuf = e.value;
      this.voff = 0;
      this.vlen = e.value.length;
      this.#started = true;
      return;
    }
  }
}

/** Entries of one table from `lo`. */
export class TableCursor implements Cursor {
  valid = true;
  key: Uint8Array;
  klen = 0;
  vbuf: Uint8Array = EMPTY;
  voff = 0;
  vlen = 0;
  readonly #t: TableReader;
  #bi: number;
  #c: BlockCursor | undefined;

  constructor(t: TableReader, lo: Uint8Array | undefined, scratch?: Uint8Array) {
    this.#t = t;
    this.key = scratch ?? new Uint8Array(4096);
    this.#bi = lo === undefined ? 0 : t.blockFor(lo);
    if (this.#bi >= t.blockCount) {
      this.valid = false;
      return;
    }
    const c = this.#open();
    let found: boolean;
    try {
      found = lo === undefined ? c.step() : c.seek(lo);
    } catch (err) {
      throw t.corrupt(this.#bi, err);
    }
    if (found) this.#load(c);
    else this.#advanceBlock();
  }

  #open(): BlockCursor {
    const t = this.#t;
    try {
      const c = new BlockCursor(t.block(this.#bi), this.key);
      this.#c = c;
      return c;
    } catch (err) {
      throw t.corrupt(this.#bi, err);
    }
  }

  #load(c: BlockCursor): void {
    this.klen = c.klen;
    this.vbuf = c.b;
    this.voff = c.vOff;
    this.vlen = c.vLen;
  }

  #advanceBlock(): void {
    while (true) {
      this.#bi++;
      if (this.#bi >= this.#t.blockCount) {
        this.valid = false;
        return;
      }
      const c = this.#open();
      let ok: boolean;
      try {
        ok = c.step();
      } catch (err) {
        throw this.#t.corrupt(this.#bi, err);
      }
      if (ok) {
        this.#load(c);
        return;
      }
    }
  }

  next(): void {
    const c = this.#c!;
    let ok: boolean;
    try {
      ok = c.step();
    } catch (err) {
      throw this.#t.corrupt(this.#bi, err);
    }
    if (ok) this.#load(c);
    else this.#advanceBlock();
  }
}

/** Entries of a sorted, disjoint level from `lo`, table after table. */
export class LevelCursor implements Cursor {
  valid = true;
  key: Uint8Array = EMPTY;
  klen = 0;
  vbuf: Uint8Array = EMPTY;
  voff = 0;
  vlen = 0;
  readonly #tables: Table[];
  #ti: number;
  #c: TableCursor | undefined;
  readonly #scratch = new Uint8Array(4096);

  constructor(tables: Table[], lo: Uint8Array | undefined) {
    this.#tables = tables;
    this.#ti = lo === undefined ? 0 : findTable(tables, lo);
    this.#settle(lo);
  }

  #settle(lo: Uint8Array | undefined): void {
    while (this.#ti < this.#tables.length) {
      const c = this.#c ?? new TableCursor(this.#tables[this.#ti]!.reader, lo, this.#scratch);
      if (c.valid) {
        this.#c = c;
        this.key = c.key;
        this.klen = c.klen;
        this.vbuf = c.vbuf;
        this.voff = c.voff;
        this.vlen = c.vlen;
        return;
      }
      this.#c = undefined;
      this.#ti++;
      lo = undefined;
    }
    this.valid = false;
  }

  next(): void {
    this.#c!.next();
    this.#settle(undefined);
  }
}

/**
 * Merges cursors, newest first: on equal keys the lowest-index cursor wins
 * and the others skip that key.
 */
export class MergeCursor implements Cursor {
  valid = true;
  key: Uint8Array = EMPTY;
  klen = 0;
  vbuf: Uint8Array = EMPTY;
  voff = 0;
  vlen = 0;
  readonly #kids: Cursor[];
  readonly #eq: boolean[];

  constructor(kids: Cursor[]) {
    this.#kids = kids;
    this.#eq = kids.map(() => false);
    this.#pick();
  }

  #pick(): void {
    const kids = this.#kids, eq = this.#eq;
    let best: Cursor | undefined;
    for (let i = 0; i < kids.length; i++) {
      const k = kids[i]!;
      eq[i] = false;
      if (!k.valid) continue;
      if (best === undefined) {
        best = k;
        eq[i] = true;
        continue;
      }
      const c = cmpKey(k.key, k.klen, best.key, best.klen);
      if (c < 0) {
        for (let j = 0; j < i; j++) eq[j] = false;
        best = k;
        eq[i] = true;
      } else if (c === 0) eq[i] = true;
    }
    if (best === undefined) {
      this.valid = false;
      return;
    }
    this.key = best.key;
    this.klen = best.klen;
    this.vbuf = best.vbuf;
    this.voff = best.voff;
    this.vlen = best.vlen;
  }

  next(): void {
    const kids = this.#kids, eq = this.#eq;
    for (let i = 0; i < kids.length; i++) if (eq[i]) kids[i]!.next();
    this.#pick();
  }
}

/** True when the cursor's key is at or past `hi`. */
export function atOrPast(c: Cursor, hi: Uint8Array | undefined): boolean {
  return hi !== undefined && cmpKey(c.key, c.klen, hi, hi.length) >= 0;
}

/** `key[0..klen)` as a fresh array. */
export function copyKey(c: Cursor): Uint8Array {
  return c.key.slice(0, c.klen);
}
