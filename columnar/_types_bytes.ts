// Per-type behaviour (see `_type_table.ts`) of text and bytes: Utf8, Binary, their
// large variants and FixedSizeBinary.
import * as A from "apache-arrow";
import { concatBytes, takeBytes } from "./_take.ts";
import { type AnyData, type Getter, isNullish, validAt } from "./_cells.ts";
import {
  type BuildContext,
  cannotCompare,
  type TypeBehaviour,
  vectorGetter,
} from "./_type_table.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Variable-width cells (Utf8, Binary) from strings or bytes. */
function buildVarWidth(c: BuildContext, text: boolean): AnyData {
  const parts: Uint8Array[] = new Array(c.n);
  let total = 0;
  for (let i = 0; i < c.n; i++) {
    const v = c.values[i];
    let b: Uint8Array;
    if (isNullish(v)) b = new Uint8Array(0);
    else if (typeof v === "string") b = encoder.encode(v);
    else if (v instanceof Uint8Array) b = v;
    else if (text && (typeof v === "number" || typeof v === "bigint")) {
      b = encoder.encode(String(v));
    } else b = c.bad(v);
    parts[i] = b;
    total += b.length;
  }
  const offsets = new Int32Array(c.n + 1);
  const data = new Uint8Array(total);
  let pos = 0;
  for (let i = 0; i < c.n; i++) {
    data.set(parts[i]!, pos);
    pos += parts[i]!.length;
    offsets[i + 1] = pos;
  }
  return c.mk({ valueOffsets: offsets, data });
}

const latin1 = new TextDecoder("latin1");

/**
 * The strings of a Utf8 column. When the bytes are all ASCII, one decode of the whole
 * buffer and a substring per cell is several times faster than a decode per cell.
 */
function utf8Strings(data: AnyData): (string | null)[] {
  const n = data.length;
  const offs = data.valueOffsets as Int32Array;
  const bytes = (data.values as Uint8Array).subarray(offs[0]!, offs[n]!);
  const base = offs[0]!;
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! > 0x7f) {
      ascii = false;
      break;
    }
  }
  const out = new Array<string | null>(n);
  const text = ascii ? latin1.decode(bytes) : "";
  for (let i = 0; i < n; i++) {
    if (!validAt(data, i)) out[i] = null;
    else if (ascii) out[i] = text.substring(offs[i]! - base, offs[i + 1]! - base);
    else out[i] = decoder.decode(bytes.subarray(offs[i]! - base, offs[i + 1]! - base));
  }
  return out;
}

const textElement = {
  type: "BYTE_ARRAY",
  converted_type: "UTF8",
  logical_type: { type: "STRING" },
} as const;

const utf8: TypeBehaviour = {
  build: (c) => buildVarWidth(c, true),
  key: vectorGetter,
  toKey: (type, v, column) => typeof v === "string" ? v : cannotCompare(type, v, column),
  stat: (_type, v) => v instanceof Uint8Array ? decoder.decode(v) : v,
  rawColumn: utf8Strings,
  parquet: (c) => c.leaf(textElement),
  take: takeBytes,
  concat: concatBytes,
  partition: () => ({ text: String, value: (text) => text }),
};

/** Binary cells as copies (the Arrow buffer may be reused). */
function bytesGetter(data: AnyData): Getter {
  const vec = A.makeVector(data);
  return (i) => (vec.get(i) as Uint8Array | null)?.slice() ?? null;
}

const bytesKey = (type: A.DataType, v: unknown, column: string) => {
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return encoder.encode(v);
  return cannotCompare(type, v, column);
};
const bytesStat = (_type: A.DataType, v: unknown) => typeof v === "string" ? encoder.encode(v) : v;

const binary: TypeBehaviour = {
  build: (c) => buildVarWidth(c, false),
  js: bytesGetter,
  key: bytesGetter,
  toKey: bytesKey,
  stat: bytesStat,
  parquet: (c) => c.leaf({ type: "BYTE_ARRAY" }),
  take: takeBytes,
  concat: concatBytes,
};

const fixedSizeBinary: TypeBehaviour<A.FixedSizeBinary> = {
  build(c) {
    const w = c.type.byteWidth;
    const data = new Uint8Array(c.n * w);
    for (let i = 0; i < c.n; i++) {
      const v = c.values[i];
      if (isNullish(v)) continue;
      if (!(v instanceof Uint8Array) || v.length !== w) c.bad(v);
      data.set(v as Uint8Array, i * w);
    }
    return c.mk({ data });
  },
  js: bytesGetter,
  key: bytesGetter,
  toKey: bytesKey,
  stat: bytesStat,
  parquet: (c) => c.leaf({ type: "FIXED_LEN_BYTE_ARRAY", type_length: c.type.byteWidth }),
};

/** The text and bytes entries of the type table. */
export const BYTES_TYPES: [A.Type, TypeBehaviour<never>][] = [
  [A.Type.Utf8, utf8],
  // Large variants (64-bit offsets): built by apache-arrow, written as their small twins.
  [A.Type.LargeUtf8, { parquet: (c) => c.leaf(textElement), take: takeBytes, concat: concatBytes }],
  [A.Type.Binary, binary],
  [A.Type.LargeBinary, {
    parquet: (c) => c.leaf({ type: "BYTE_ARRAY" }),
    take: takeBytes,
    concat: concatBytes,
  }],
  [A.Type.FixedSizeBinary, fixedSizeBinary],
];
