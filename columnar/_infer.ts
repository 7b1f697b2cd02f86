// Schema inference for `ColumnarTable.fromRows` when no schema is given.
import * as A from "apache-arrow";

function inferType(values: unknown[]): A.DataType {
  const first = values.find((v) => v !== null && v !== undefined);
  if (first === undefined) return new A.Utf8();
  if (typeof first === "number") return new A.Float64();
  if (typeof first === "bigint") return new A.Int64();
  if (typeof first === "string") return new A.Utf8();
  if (typeof first === "boolean") return new A.Bool();
  if (first instanceof Date) return new A.TimestampMillisecond("UTC");
  if (first instanceof Uint8Array) return new A.Binary();
  if (Array.isArray(first)) {
    const items = values.flatMap((v) => Array.isArray(v) ? v : []);
    return new A.List(new A.Field("item", inferType(items), true));
  }
  if (first instanceof Map) {
    const entries = values.flatMap((v) => v instanceof Map ? [...v] : []);
    const key = inferType(entries.map(([k]) => k));
    const value = inferType(entries.map(([, v]) => v));
    return new A.Map_(
      new A.Field(
        "entries",
        new A.Struct<{ key: A.DataType; value: A.DataType }>([
          new A.Field("key", key, false),
          new A.Field("value", value, true),
        ]),
        false,
      ),
    );
  }
  if (typeof first === "object") {
    const names = new Set<string>();
    for (const v of values) {
      if (v && typeof v === "object") Object.keys(v).forEach((k) => names.add(k));
    }
    return new A.Struct(
      [...names].map((name) =>
        new A.Field(
          name,
          inferType(values.map((v) => (v as Record<string, unknown> | null)?.[name])),
          true,
        )
      ),
    );
  }
  return new A.Utf8();
}

/**
 * Infers a schema from rows: numbers → Float64, bigints → Int64, strings → Utf8,
 * booleans → Bool, Dates → Timestamp(ms, UTC), bytes → Binary, arrays → List,
 * Maps → Map, objects → Struct; an all-null column → Utf8. Every field is nullable;
 * columns appear in first-seen order.
 */
export function inferSchema(rows: Record<string, unknown>[]): A.Schema {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    for (const k of Object.keys(r)) if (!seen.has(k)) (seen.add(k), names.push(k));
  }
  return new A.Schema(names.map((n) => new A.Field(n, inferType(rows.map((r) => r[n])), true)));
}
