// Gathers rows of Arrow data by index and joins chunks, losslessly and recursively
// (apache-arrow has no take kernel). Each type's `take`/`concat` in the type table
// names one of the buffer layouts below: bits (booleans), offsets + bytes (text and
// binary), offsets + child (lists, maps), children (structs), fixed-size child (fixed-
// size lists), or — the default — fixed-width values (numbers, dates, decimals, …).
import * as A from "apache-arrow";
import { type AnyData, validAt } from "./_cells.ts";
import { behaviourOf } from "./_type_table.ts";

/** Makes Data of the column's type and gathered validity with these buffers. */
export type MakeData = (buffers: Record<string, unknown>) => AnyData;

function gatherValidity(data: AnyData, idx: ArrayLike<number>): [Uint8Array, number] {
  const n = idx.length;
  if (!data.nullCount) return [new Uint8Array(0), 0];
  const out = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (validAt(data, idx[i]!)) out[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  }
  return [nulls ? out : new Uint8Array(0), nulls];
}

function concatValidity(parts: AnyData[], n: number): [Uint8Array, number] {
  const nulls = parts.reduce((s, d) => s + d.nullCount, 0);
  if (!nulls) return [new Uint8Array(0), 0];
  const out = new Uint8Array((n + 7) >> 3);
  let pos = 0;
  for (const d of parts) {
    for (let i = 0; i < d.length; i++, pos++) {
      if (validAt(d, i)) out[pos >> 3]! |= 1 << (pos & 7);
    }
  }
  return [out, nulls];
}

function maker(
  type: A.DataType,
  length: number,
  [nullBitmap, nullCount]: [Uint8Array, number],
): MakeData {
  // deno-lint-ignore no-explicit-any
  return (x) => A.makeData({ type, length, nullCount, nullBitmap, ...x } as any);
}

/** Rows `idx` of `data` (any Arrow type apache-arrow can hold in one Data). */
export function takeData(data: AnyData, idx: ArrayLike<number>): AnyData {
  const mk = maker(data.type, idx.length, gatherValidity(data, idx));
  return (behaviourOf(data.type).take ?? takeFixedWidth)(data, idx, mk);
}

/** One Data holding the rows of `parts` (all of one type) in order. */
export function concatData(parts: AnyData[]): AnyData {
  if (parts.length === 1) return parts[0]!;
  const n = parts.reduce((s, d) => s + d.length, 0);
  const mk = maker(parts[0]!.type, n, concatValidity(parts, n));
  return (behaviourOf(parts[0]!.type).concat ?? concatFixedWidth)(parts, mk);
}

// ---- layouts ----

/** Null columns: only a length. */
export function takeNothing(data: AnyData, idx: ArrayLike<number>): AnyData {
  return A.makeData({ type: data.type as A.Null, length: idx.length });
}

export function concatNothing(parts: AnyData[]): AnyData {
  const length = parts.reduce((s, d) => s + d.length, 0);
  return A.makeData({ type: parts[0]!.type as A.Null, length });
}

/** Bits (booleans); bit positions count from `data.offset`, as validity does. */
export function takeBits(data: AnyData, idx: ArrayLike<number>, mk: MakeData): AnyData {
  const src = data.values as Uint8Array;
  const out = new Uint8Array((idx.length + 7) >> 3);
  for (let i = 0; i < idx.length; i++) {
    const j = data.offset + idx[i]!;
    if ((src[j >> 3]! >> (j & 7)) & 1) out[i >> 3]! |= 1 << (i & 7);
  }
  return mk({ data: out });
}

export function concatBits(parts: AnyData[], mk: MakeData): AnyData {
  const n = parts.reduce((s, d) => s + d.length, 0);
  const out = new Uint8Array((n + 7) >> 3);
  let pos = 0;
  for (const d of parts) {
    const src = d.values as Uint8Array;
    for (let i = 0; i < d.length; i++, pos++) {
      const j = d.offset + i;
      if ((src[j >> 3]! >> (j & 7)) & 1) out[pos >> 3]! |= 1 << (pos & 7);
    }
  }
  return mk({ data: out });
}

/** Offsets (32-bit, or 64-bit for the large types) + bytes: text and binary. */
export function takeBytes(data: AnyData, idx: ArrayLike<number>, mk: MakeData): AnyData {
  const offs = data.valueOffsets as Int32Array | BigInt64Array;
  const at = (k: number) => Number(offs[k]!);
  const src = data.values as Uint8Array;
  const offsets = newOffsets(offs, idx.length + 1);
  let total = 0;
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    total += at(r + 1) - at(r);
    setOffset(offsets, i + 1, total);
  }
  const out = new Uint8Array(total);
  for (let i = 0, pos = 0; i < idx.length; i++) {
    const r = idx[i]!;
    out.set(src.subarray(at(r), at(r + 1)), pos);
    pos += at(r + 1) - at(r);
  }
  return mk({ valueOffsets: offsets, data: out });
}

function newOffsets(like: Int32Array | BigInt64Array, n: number): Int32Array | BigInt64Array {
  return like instanceof BigInt64Array ? new BigInt64Array(n) : new Int32Array(n);
}

function setOffset(offsets: Int32Array | BigInt64Array, i: number, v: number): void {
  if (offsets instanceof BigInt64Array) offsets[i] = BigInt(v);
  else offsets[i] = v;
}

/** Offsets + a child holding every item (lists, maps). */
export function takeOffsetsChild(data: AnyData, idx: ArrayLike<number>, mk: MakeData): AnyData {
  const offs = data.valueOffsets as Int32Array;
  const offsets = new Int32Array(idx.length + 1);
  const childIdx: number[] = [];
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    for (let k = offs[r]!; k < offs[r + 1]!; k++) childIdx.push(k);
    offsets[i + 1] = childIdx.length;
  }
  return mk({ valueOffsets: offsets, child: takeData(data.children[0]!, childIdx) });
}

/** Offsets + bytes or child: the ranges of each part, rebased one after another. */
function concatOffsets(parts: AnyData[], mk: MakeData, nested: boolean): AnyData {
  const n = parts.reduce((s, d) => s + d.length, 0);
  const offsets = newOffsets(parts[0]!.valueOffsets as Int32Array | BigInt64Array, n + 1);
  const bytes: Uint8Array[] = [];
  const children: AnyData[] = [];
  let pos = 0;
  let total = 0;
  for (const d of parts) {
    const offs = d.valueOffsets as Int32Array | BigInt64Array;
    const start = Number(offs[0]!);
    const end = Number(offs[d.length]!);
    for (let i = 0; i < d.length; i++) {
      setOffset(offsets, ++pos, total + Number(offs[i + 1]!) - start);
    }
    total += end - start;
    if (nested) children.push(d.children[0]!.slice(start, end - start));
    else bytes.push((d.values as Uint8Array).subarray(start, end));
  }
  if (nested) return mk({ valueOffsets: offsets, child: concatData(children) });
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of bytes) (out.set(b, at), at += b.length);
  return mk({ valueOffsets: offsets, data: out });
}

// Declarations, not constants: the type table's entries refer to these while the
// modules are still being evaluated (the table and this module import each other).
export function concatBytes(parts: AnyData[], mk: MakeData): AnyData {
  return concatOffsets(parts, mk, false);
}

export function concatOffsetsChild(parts: AnyData[], mk: MakeData): AnyData {
  return concatOffsets(parts, mk, true);
}

/** Children (structs); apache-arrow slices them with the parent, so indices stay local. */
export function takeChildren(data: AnyData, idx: ArrayLike<number>, mk: MakeData): AnyData {
  return mk({ children: data.children.map((c) => takeData(c, idx)) });
}

export function concatChildren(parts: AnyData[], mk: MakeData): AnyData {
  const kids = parts[0]!.children.length;
  return mk({
    children: Array.from({ length: kids }, (_, k) => concatData(parts.map((d) => d.children[k]!))),
  });
}

/** A child of `listSize` items per row (fixed-size lists). */
export function takeFixedChild(data: AnyData, idx: ArrayLike<number>, mk: MakeData): AnyData {
  const size = (data.type as A.FixedSizeList).listSize;
  const childIdx: number[] = [];
  for (let i = 0; i < idx.length; i++) {
    for (let k = 0; k < size; k++) childIdx.push(idx[i]! * size + k);
  }
  return mk({ child: takeData(data.children[0]!, childIdx) });
}

export function concatFixedChild(parts: AnyData[], mk: MakeData): AnyData {
  return mk({ child: concatData(parts.map((d) => d.children[0]!)) });
}

/** Dictionary indices, sharing the dictionary. */
export function takeIndices(data: AnyData, idx: ArrayLike<number>, mk: MakeData): AnyData {
  const src = data.values as Int32Array;
  // deno-lint-ignore no-explicit-any
  const out = new (src.constructor as any)(idx.length) as Int32Array;
  for (let i = 0; i < idx.length; i++) out[i] = src[idx[i]!]!;
  return mk({ data: out, dictionary: data.dictionary });
}

/** For layouts this module does not handle (unions; chunks with different dictionaries). */
export function cannot(what: string) {
  return (data: AnyData | AnyData[]): never => {
    const type = Array.isArray(data) ? data[0]!.type : data.type;
    throw new RangeError(`Cannot ${what} of a ${type} column`);
  };
}

// apache-arrow slices value and offset buffers (not bitmaps) when it slices data, so
// only validity and boolean bits are addressed with `data.offset`. `stride` is the
// number of array elements per row.
function takeFixedWidth(data: AnyData, idx: ArrayLike<number>, mk: MakeData): AnyData {
  const src = data.values as unknown as { [i: number]: number | bigint; length: number };
  const stride = data.stride || 1;
  // deno-lint-ignore no-explicit-any
  const out = new (src.constructor as any)(idx.length * stride);
  for (let i = 0; i < idx.length; i++) {
    const from = idx[i]! * stride;
    for (let k = 0; k < stride; k++) out[i * stride + k] = src[from + k];
  }
  return mk({ data: out });
}

function concatFixedWidth(parts: AnyData[], mk: MakeData): AnyData {
  const stride = parts[0]!.stride || 1;
  const n = parts.reduce((s, d) => s + d.length, 0);
  const first = parts[0]!.values as unknown as { constructor: unknown };
  // deno-lint-ignore no-explicit-any
  const out = new (first.constructor as any)(n * stride);
  let at = 0;
  for (const d of parts) {
    const src = (d.values as unknown as { subarray(a: number, b: number): ArrayLike<number> })
      .subarray(0, d.length * stride);
    out.set(src, at);
    at += d.length * stride;
  }
  return mk({ data: out });
}

/** Rows `idx` of a record batch (indices local to the batch). */
export function takeBatch(batch: A.RecordBatch, idx: ArrayLike<number>): A.RecordBatch {
  const struct = takeData(batch.data as unknown as AnyData, idx);
  return new A.RecordBatch(batch.schema, struct as never);
}

/** The whole table as one record batch (an empty batch for an empty table). */
export function combineBatches(table: A.Table): A.RecordBatch {
  const batches = table.batches.filter((b) => b.numRows > 0);
  if (batches.length === 1) return batches[0]!;
  if (batches.length === 0) {
    const children = table.schema.fields.map((f) =>
      A.vectorFromArray([], f.type).data[0] as AnyData
    );
    const data = A.makeData({ type: new A.Struct(table.schema.fields), length: 0, children });
    return new A.RecordBatch(table.schema, data);
  }
  const data = concatData(batches.map((b) => b.data as unknown as AnyData));
  return new A.RecordBatch(table.schema, data as never);
}
