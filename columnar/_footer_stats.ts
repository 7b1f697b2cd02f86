// The raw min/max bytes of column chunk statistics, read from the footer's Thrift
// compact encoding. hyparquet hands decimal statistics over as floating-point numbers
// (exact to about 15 digits only); pruning and `parquetMetadata` need the exact bytes.

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
