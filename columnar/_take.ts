// Gathers rows of Arrow data by index, losslessly and recursively (apache-arrow has no
// take kernel): fixed-width values are copied word by word, variable-width ones by
// offsets, lists and maps gather their child ranges, structs gather each child.
import * as A from "apache-arrow";

type AnyData = A.Data<A.DataType>;

function isValid(data: AnyData, i: number): boolean {
  const bm = data.nullBitmap;
  if (!data.nullCount || !bm || bm.length === 0) return true;
  const j = data.offset + i;
  return ((bm[j >> 3]! >> (j & 7)) & 1) === 1;
}

function gatherValidity(data: AnyData, idx: ArrayLike<number>): [Uint8Array, number] {
  const n = idx.length;
  if (!data.nullCount) return [new Uint8Array(0), 0];
  const out = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (isValid(data, idx[i]!)) out[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  }
  return [nulls ? out : new Uint8Array(0), nulls];
}

/** Rows `idx` of `data` (any Arrow type apache-arrow can hold in one Data). */
export function takeData(data: AnyData, idx: ArrayLike<number>): AnyData {
  const type = data.type;
  const n = idx.length;
  const [nullBitmap, nullCount] = gatherValidity(data, idx);
  const base = { type, length: n, nullCount, nullBitmap };
  // deno-lint-ignore no-explicit-any
  const mk = (x: Record<string, unknown>): AnyData => A.makeData({ ...base, ...x } as any);

  if (A.DataType.isNull(type)) return A.makeData({ type, length: n });
  if (A.DataType.isBool(type)) {
    const src = data.values as Uint8Array;
    const out = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) {
      const j = data.offset + idx[i]!;
      if ((src[j >> 3]! >> (j & 7)) & 1) out[i >> 3]! |= 1 << (i & 7);
    }
    return mk({ data: out });
  }
  if (A.DataType.isUtf8(type) || A.DataType.isBinary(type)) {
    const offs = data.valueOffsets as Int32Array;
    const src = data.values as Uint8Array;
    const offsets = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const r = idx[i]!;
      total += offs[r + 1]! - offs[r]!;
      offsets[i + 1] = total;
    }
    const out = new Uint8Array(total);
    for (let i = 0; i < n; i++) {
      const r = idx[i]!;
      out.set(src.subarray(offs[r]!, offs[r + 1]!), offsets[i]!);
    }
    return mk({ valueOffsets: offsets, data: out });
  }
  if (A.DataType.isList(type) || A.DataType.isMap(type)) {
    const offs = data.valueOffsets as Int32Array;
    const offsets = new Int32Array(n + 1);
    const childIdx: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = idx[i]!;
      for (let k = offs[r]!; k < offs[r + 1]!; k++) childIdx.push(k);
      offsets[i + 1] = childIdx.length;
    }
    return mk({ valueOffsets: offsets, child: takeData(data.children[0]!, childIdx) });
  }
  if (A.DataType.isStruct(type)) {
    // apache-arrow slices struct children along with the parent, so indices stay local.
    return mk({ children: data.children.map((c) => takeData(c, idx)) });
  }
  if (A.DataType.isFixedSizeList(type)) {
    const size = (type as A.FixedSizeList).listSize;
    const childIdx: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = idx[i]!;
      for (let k = 0; k < size; k++) childIdx.push(r * size + k);
    }
    return mk({ child: takeData(data.children[0]!, childIdx) });
  }
  if (A.DataType.isDictionary(type)) {
    const src = data.values as Int32Array;
    // deno-lint-ignore no-explicit-any
    const out = new (src.constructor as any)(n) as Int32Array;
    for (let i = 0; i < n; i++) out[i] = src[idx[i]!]!;
    return mk({ data: out, dictionary: data.dictionary });
  }
  if (A.DataType.isUnion(type)) {
    throw new RangeError(`Cannot select rows of a ${type} column`);
  }
  // apache-arrow slices value and offset buffers (not bitmaps) when it slices data, so
  // only validity and boolean bits are addressed with `data.offset`.
  // Fixed width: ints, floats, dates, timestamps, times, decimals, durations, intervals,
  // fixed-size binary. `stride` is the number of array elements per row.
  const src = data.values as unknown as { [i: number]: number | bigint; length: number };
  const stride = data.stride || 1;
  // deno-lint-ignore no-explicit-any
  const out = new (src.constructor as any)(n * stride);
  for (let i = 0; i < n; i++) {
    const from = idx[i]! * stride;
    for (let k = 0; k < stride; k++) out[i * stride + k] = src[from + k];
  }
  return mk({ data: out });
}

/** Rows `idx` of a record batch (indices local to the batch). */
export function takeBatch(batch: A.RecordBatch, idx: ArrayLike<number>): A.RecordBatch {
  const struct = takeData(batch.data as unknown as AnyData, idx);
  return new A.RecordBatch(batch.schema, struct as never);
}

function concatValidity(parts: AnyData[], n: number): [Uint8Array, number] {
  const nulls = parts.reduce((s, d) => s + d.nullCount, 0);
  if (!nulls) return [new Uint8Array(0), 0];
  const out = new Uint8Array((n + 7) >> 3);
  let pos = 0;
  for (const d of parts) {
    for (let i = 0; i < d.length; i++, pos++) {
      if (isValid(d, i)) out[pos >> 3]! |= 1 << (pos & 7);
    }
  }
  return [out, nulls];
}

/** One Data holding the rows of `parts` (all of one type) in order. */
export function concatData(parts: AnyData[]): AnyData {
  if (parts.length === 1) return parts[0]!;
  const type = parts[0]!.type;
  const n = parts.reduce((s, d) => s + d.length, 0);
  const [nullBitmap, nullCount] = concatValidity(parts, n);
  const base = { type, length: n, nullCount, nullBitmap };
  // deno-lint-ignore no-explicit-any
  const mk = (x: Record<string, unknown>): AnyData => A.makeData({ ...base, ...x } as any);
  if (A.DataType.isNull(type)) return A.makeData({ type, length: n });
  if (A.DataType.isBool(type)) {
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
  if (
    A.DataType.isUtf8(type) || A.DataType.isBinary(type) || A.DataType.isList(type) ||
    A.DataType.isMap(type)
  ) {
    const nested = A.DataType.isList(type) || A.DataType.isMap(type);
    const offsets = new Int32Array(n + 1);
    const bytes: Uint8Array[] = [];
    const children: AnyData[] = [];
    let pos = 0;
    let total = 0;
    for (const d of parts) {
      const offs = d.valueOffsets as Int32Array;
      const start = offs[0]!;
      const end = offs[d.length]!;
      for (let i = 0; i < d.length; i++) offsets[++pos] = total + offs[i + 1]! - start;
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
  if (A.DataType.isStruct(type)) {
    const fields = (type as A.Struct).children;
    return mk({ children: fields.map((_, k) => concatData(parts.map((d) => d.children[k]!))) });
  }
  if (A.DataType.isFixedSizeList(type)) {
    return mk({ child: concatData(parts.map((d) => d.children[0]!)) });
  }
  if (A.DataType.isDictionary(type) || A.DataType.isUnion(type)) {
    throw new RangeError(`Cannot combine chunks of a ${type} column`);
  }
  const stride = parts[0]!.stride || 1;
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

/** The whole table as one record batch (an empty batch for an empty table). */
export function combineBatches(table: A.Table): A.RecordBatch {
  const batches = table.batches.filter((b) => b.numRows > 0);
  if (batches.length === 1) return batches[0]!;
  if (batches.length === 0) {
    const children = table.schema.fields.map((f) => buildEmpty(f.type));
    const data = A.makeData({ type: new A.Struct(table.schema.fields), length: 0, children });
    return new A.RecordBatch(table.schema, data);
  }
  const data = concatData(batches.map((b) => b.data as unknown as AnyData));
  return new A.RecordBatch(table.schema, data as never);
}

function buildEmpty(type: A.DataType): AnyData {
  return A.vectorFromArray([], type).data[0] as AnyData;
}
