// Hive-style partition directory names (`col=value`) and partition value text.
import type * as A from "apache-arrow";
import { fail } from "./_errors.ts";
import { behaviourOf, keyGetter } from "./_type_table.ts";

/** Directory value of a null partition value (Hive's convention). */
export const NULL_SEGMENT = "__HIVE_DEFAULT_PARTITION__";
/** Directory value of an empty string (which Hive cannot tell from null). */
export const EMPTY_SEGMENT = "__OXISTORE_EMPTY__";
const encoder = new TextEncoder();

/**
 * Escapes text for one path segment: bytes outside `[A-Za-z0-9_-]` (and a dot) are
 * `%XX`; a leading `_` or `.` is escaped too, so no value can spell a sentinel, `.`
 * or `..`.
 */
export function escapeSegment(text: string): string {
  let out = "";
  const bytes = encoder.encode(text);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const c = String.fromCharCode(b);
    const plain = /[A-Za-z0-9\-]/.test(c) || ((c === "_" || c === ".") && i > 0);
    out += plain ? c : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** The `col=value` directory for a partition value (text or null). */
export function partitionSegment(column: string, value: string | null): string {
  const v = value === null ? NULL_SEGMENT : value === "" ? EMPTY_SEGMENT : escapeSegment(value);
  return `${escapeSegment(column)}=${v}`;
}

/** Whether a column type can partition a dataset. */
export function isPartitionType(t: A.DataType): boolean {
  return behaviourOf(t).partition?.(t) !== undefined;
}

/** Text of each cell of a partition column (null for nulls). */
export function partitionTexts(data: A.Data<A.DataType>): (string | null)[] {
  const codec = behaviourOf(data.type).partition?.(data.type);
  if (!codec) return fail("InvalidInput", `Cannot partition by a column of type ${data.type}`);
  const get = keyGetter(data);
  const out: (string | null)[] = new Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = get(i);
    out[i] = v === null ? null : codec.text(v);
  }
  return out;
}

/** A partition text back to a value `buildData` stores in the column type. */
export function partitionValue(t: A.DataType, text: string | null, column: string): unknown {
  if (text === null) return null;
  const codec = behaviourOf(t).partition?.(t);
  if (!codec) return fail("Corruption", `Cannot restore partition column ${column} of type ${t}`);
  return codec.value(text);
}
