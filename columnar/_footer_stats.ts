// Exact decimal statistics. hyparquet hands decimal min/max over as floating-point
// numbers (exact to about 15 digits only); pruning and `parquetMetadata` need the exact
// values, so the raw bytes are read again from the footer's Thrift compact encoding.
import type { AsyncBuffer, FileMetaData, SchemaElement, SchemaTree } from "hyparquet";
import { bytesToBigInt } from "./_decimal.ts";
import { isDecimal } from "./_raw_values.ts";

interface Cursor {
  bytes: Uint8Array;
  at: number;
}

type Thrift = { [field: number]: unknown } | unknown[] | Uint8Array | bigint | boolean | number;

function varint(c: Cursor): bigint {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    const b = c.bytes[c.at++];
    if (b === undefined) throw new RangeError("footer ends inside a varint");
    v |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
    shift += 7n;
  }
}

function zigzag(c: Cursor): bigint {
  const v = varint(c);
  return (v >> 1n) ^ -(v & 1n);
}

function value(c: Cursor, type: number): Thrift {
  switch (type) {
    case 1:
      return true;
    case 2:
      return false;
    case 3:
      return c.bytes[c.at++]!;
    case 4:
    case 5:
    case 6:
      return zigzag(c);
    case 7:
      c.at += 8;
      return 0;
    case 8: {
      const n = Number(varint(c));
      const out = c.bytes.subarray(c.at, c.at + n);
      c.at += n;
      return out;
    }
    case 9:
    case 10: {
      const head = c.bytes[c.at++]!;
      const n = head >> 4 === 15 ? Number(varint(c)) : head >> 4;
      const elem = head & 15;
      const out: unknown[] = [];
      // Booleans in a list take a byte each (1 = true).
      for (let i = 0; i < n; i++) {
        out.push(elem === 1 || elem === 2 ? c.bytes[c.at++] === 1 : value(c, elem));
      }
      return out;
    }
    case 11: {
      const n = Number(varint(c));
      if (n === 0) return [];
      const kinds = c.bytes[c.at++]!;
      for (let i = 0; i < n; i++) (value(c, kinds >> 4), value(c, kinds & 15));
      return [];
    }
    case 12:
      return struct(c);
    default:
      throw new RangeError(`footer holds unknown Thrift type ${type}`);
  }
}

function struct(c: Cursor): { [field: number]: unknown } {
  const out: { [field: number]: unknown } = {};
  let id = 0;
  for (;;) {
    const head = c.bytes[c.at++];
    if (head === undefined) throw new RangeError("footer ends inside a struct");
    if (head === 0) return out;
    const delta = head >> 4;
    id = delta ? id + delta : Number(zigzag(c));
    out[id] = value(c, head & 15);
  }
}

/** Raw statistics bytes of one column chunk (Parquet's `min_value`/`max_value`). */
export interface RawStats {
  min?: Uint8Array;
  max?: Uint8Array;
}

/**
 * Per row group, per column chunk (footer order), the raw `min_value`/`max_value`
 * bytes. `footer` is the Thrift-encoded FileMetaData (without length and magic).
 */
export function rawStatistics(footer: Uint8Array): RawStats[][] {
  const meta = struct({ bytes: footer, at: 0 });
  const groups = (meta[4] ?? []) as { [f: number]: unknown }[];
  return groups.map((g) =>
    ((g[1] ?? []) as { [f: number]: unknown }[]).map((chunk) => {
      const md = chunk[3] as { [f: number]: unknown } | undefined;
      const st = md?.[12] as { [f: number]: unknown } | undefined;
      const out: RawStats = {};
      if (st?.[6] instanceof Uint8Array) out.min = st[6];
      if (st?.[5] instanceof Uint8Array) out.max = st[5];
      return out;
    })
  );
}

/**
 * Replaces the decimal statistics hyparquet decoded as floats (in `metadata`, in place)
 * with exact unscaled bigints read from the footer's own bytes; where those cannot be
 * read, the decimal min/max are dropped (no pruning, never a wrong one).
 */
export async function exactDecimalStats(
  metadata: FileMetaData,
  tree: SchemaTree,
  buffer: AsyncBuffer,
): Promise<void> {
  const leaves = metadata.schema.filter((e) => !e.num_children && e.type);
  if (!leaves.some(isDecimal)) return;
  let raw: RawStats[][] | undefined;
  try {
    const end = buffer.byteLength - 8;
    const footer = await buffer.slice(end - metadata.metadata_length, end);
    raw = rawStatistics(new Uint8Array(footer));
  } catch {
    raw = undefined;
  }
  metadata.row_groups.forEach((g, gi) => {
    g.columns.forEach((c, ci) => {
      const m = c.meta_data;
      const e = m && leafElement(tree, m.path_in_schema);
      if (!m?.statistics || !e || !isDecimal(e)) return;
      const st = m.statistics;
      delete st.min;
      delete st.max;
      const r = raw?.[gi]?.[ci];
      const min = r?.min && decimalStat(e.type, r.min);
      const max = r?.max && decimalStat(e.type, r.max);
      if (min === undefined || max === undefined) {
        delete st.min_value;
        delete st.max_value;
      } else {
        st.min_value = min;
        st.max_value = max;
      }
    });
  });
}

/** The schema element of the leaf at `path`, if there is one. */
export function leafElement(tree: SchemaTree, path: string[]): SchemaElement | undefined {
  let node: SchemaTree | undefined = tree;
  for (const name of path) node = node?.children.find((c) => c.element.name === name);
  return node && !node.children.length ? node.element : undefined;
}

/** A raw decimal statistic (Parquet's plain encoding of the physical type) → bigint. */
function decimalStat(physical: SchemaElement["type"], b: Uint8Array): bigint | undefined {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (physical === "INT32") return b.length === 4 ? BigInt(view.getInt32(0, true)) : undefined;
  if (physical === "INT64") return b.length === 8 ? view.getBigInt64(0, true) : undefined;
  return b.length ? bytesToBigInt(b) : undefined;
}
