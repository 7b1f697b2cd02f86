// How the reader asks hyparquet for raw cells (the footer with some annotations removed)
// and turns those cells and footer statistics into what the Arrow builders expect.
import * as A from "apache-arrow";
import type { SchemaElement } from "hyparquet";
import { bytesToBigInt } from "./_decimal.ts";

/** Whether an element annotates a map (group or key-value group). */
export function isMapElement(e: SchemaElement): boolean {
  return e.converted_type === "MAP" || e.converted_type === "MAP_KEY_VALUE" ||
    e.logical_type?.type === "MAP";
}

/** Whether a type contains a map or a decimal: values the reader must convert. */
export function needsConversion(t: A.DataType): boolean {
  return A.DataType.isMap(t) || A.DataType.isDecimal(t) ||
    t.children?.some((c) => needsConversion(c.type)) === true;
}

/**
 * A value decoded without map and decimal annotations → what `buildData` expects:
 * every map group as `{ key, value }[]` (keeping entry order, duplicate keys and key
 * types), every decimal as its exact unscaled bigint.
 */
export function builderValue(t: A.DataType, v: unknown): unknown {
  if (v === null || v === undefined) return v;
  if (A.DataType.isDecimal(t)) return unscaledValue(v);
  if (A.DataType.isMap(t)) {
    const kv = (t as A.Map_).children[0]!.type as A.Struct;
    const [kt, vt] = [kv.children[0]!.type, kv.children[1]!.type];
    const list = Object.values(v as Record<string, unknown>)[0];
    if (!Array.isArray(list)) return v;
    return list.map((e) => {
      const parts = Object.values(e as Record<string, unknown>);
      return { key: builderValue(kt, parts[0]), value: builderValue(vt, parts[1]) };
    });
  }
  if (A.DataType.isList(t) && Array.isArray(v)) {
    const ct = (t as A.List).children[0]!.type;
    return v.map((x) => builderValue(ct, x));
  }
  if (A.DataType.isStruct(t) && typeof v === "object") {
    const o: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    for (const f of (t as A.Struct).children) o[f.name] = builderValue(f.type, o[f.name]);
    return o;
  }
  return v;
}

/** Whether an element is a decimal. */
export function isDecimal(e: SchemaElement): boolean {
  return e.converted_type === "DECIMAL" || e.logical_type?.type === "DECIMAL";
}

/** A raw decimal cell (int, bigint or big-endian two's-complement bytes) → bigint. */
function unscaledValue(v: unknown): unknown {
  if (v instanceof Uint8Array) return bytesToBigInt(v);
  if (typeof v === "number") return BigInt(v);
  return v;
}

/** Whether an element is a UTF-8 string column. */
export function isText(e: SchemaElement): boolean {
  return e.type === "BYTE_ARRAY" &&
    (e.converted_type === "UTF8" || e.logical_type?.type === "STRING");
}
