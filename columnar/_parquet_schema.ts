// Parquet schema ↔ Arrow schema. Reading maps every physical/logical type hyparquet
// decodes onto the closest Arrow type; writing asks the type table for the Parquet
// elements of each Arrow type (hyparquet-writer encodes them; others are Unsupported).
import * as A from "apache-arrow";
import type { SchemaElement, SchemaTree } from "hyparquet";
import { fieldElements } from "./_type_table.ts";

const item = (name: string, type: A.DataType, nullable: boolean) =>
  new A.Field(name, type, nullable);

function isListGroup(node: SchemaTree): boolean {
  const e = node.element;
  if (e.converted_type !== "LIST" && e.logical_type?.type !== "LIST") return false;
  const rep = node.children[0];
  return node.children.length === 1 && rep?.element.repetition_type === "REPEATED";
}

function isMapGroup(node: SchemaTree): boolean {
  const e = node.element;
  if (
    e.converted_type !== "MAP" && e.converted_type !== "MAP_KEY_VALUE" &&
    e.logical_type?.type !== "MAP"
  ) return false;
  const kv = node.children[0];
  return node.children.length === 1 && kv?.element.repetition_type === "REPEATED" &&
    kv.children.length === 2;
}

function leafType(e: SchemaElement): A.DataType {
  const lt = e.logical_type;
  const ct = e.converted_type;
  if (ct === "DECIMAL" || lt?.type === "DECIMAL") {
    const precision = e.precision ?? (lt?.type === "DECIMAL" ? lt.precision : 38);
    const scale = e.scale ?? (lt?.type === "DECIMAL" ? lt.scale : 0);
    return new A.Decimal(scale, precision, precision > 38 ? 256 : 128);
  }
  switch (e.type) {
    case "BOOLEAN":
      return new A.Bool();
    case "INT32": {
      if (ct === "DATE" || lt?.type === "DATE") return new A.DateDay();
      if (ct === "TIME_MILLIS" || lt?.type === "TIME") return new A.TimeMillisecond();
      if (lt?.type === "INTEGER") return intType(lt.bitWidth, lt.isSigned);
      if (ct?.startsWith("UINT_")) return intType(Number(ct.slice(5)), false);
      if (ct?.startsWith("INT_")) return intType(Number(ct.slice(4)), true);
      return new A.Int32();
    }
    case "INT64": {
      if (lt?.type === "TIMESTAMP") {
        return new A.Timestamp(arrowUnit(lt.unit), lt.isAdjustedToUTC ? "UTC" : null);
      }
      if (ct === "TIMESTAMP_MILLIS") return new A.TimestampMillisecond("UTC");
      if (ct === "TIMESTAMP_MICROS") return new A.TimestampMicrosecond("UTC");
      if (lt?.type === "TIME") {
        return lt.unit === "NANOS" ? new A.TimeNanosecond() : new A.TimeMicrosecond();
      }
      if (ct === "TIME_MICROS") return new A.TimeMicrosecond();
      if (lt?.type === "INTEGER" && !lt.isSigned) return new A.Uint64();
      if (ct === "UINT_64") return new A.Uint64();
      return new A.Int64();
    }
    case "INT96":
      return new A.TimestampNanosecond(null);
    case "FLOAT":
      return lt?.type === "FLOAT16" ? new A.Float16() : new A.Float32();
    case "DOUBLE":
      return new A.Float64();
    case "BYTE_ARRAY":
      if (
        ct === "UTF8" || ct === "ENUM" || ct === "JSON" || lt?.type === "STRING" ||
        lt?.type === "ENUM" || lt?.type === "JSON"
      ) return new A.Utf8();
      return new A.Binary();
    case "FIXED_LEN_BYTE_ARRAY":
      if (lt?.type === "FLOAT16") return new A.Float16();
      return new A.FixedSizeBinary(e.type_length ?? 0);
    default:
      return new A.Binary();
  }
}

function intType(bits: number, signed: boolean): A.DataType {
  if (bits === 8) return signed ? new A.Int8() : new A.Uint8();
  if (bits === 16) return signed ? new A.Int16() : new A.Uint16();
  if (bits === 64) return signed ? new A.Int64() : new A.Uint64();
  return signed ? new A.Int32() : new A.Uint32();
}

function arrowUnit(unit: "MILLIS" | "MICROS" | "NANOS"): A.TimeUnit {
  if (unit === "MILLIS") return A.TimeUnit.MILLISECOND;
  if (unit === "MICROS") return A.TimeUnit.MICROSECOND;
  return A.TimeUnit.NANOSECOND;
}

/** The Arrow field of a Parquet schema node (hyparquet's schema tree). */
export function arrowField(node: SchemaTree): A.Field {
  const e = node.element;
  const nullable = e.repetition_type !== "REQUIRED";
  if (e.repetition_type === "REPEATED") {
    // A bare repeated field (legacy two-level list): a non-null list of its element.
    const inner = arrowField({ ...node, element: { ...e, repetition_type: "REQUIRED" } });
    return item(e.name, new A.List(item("element", inner.type, false)), false);
  }
  if (!node.children.length) return item(e.name, leafType(e), nullable);
  if (isListGroup(node)) {
    const rep = node.children[0]!;
    // Three-level list: rep has exactly one child that is the element (unless the legacy
    // rules say rep itself is the element: several children, or named "array"/"_tuple").
    const legacy = rep.children.length !== 1 || rep.element.name === "array" ||
      rep.element.name === `${e.name}_tuple` || !rep.children.length;
    const elem = legacy
      ? arrowField({ ...rep, element: { ...rep.element, repetition_type: "REQUIRED" } })
      : arrowField(rep.children[0]!);
    return item(e.name, new A.List(item("element", elem.type, elem.nullable)), nullable);
  }
  if (isMapGroup(node)) {
    const kv = node.children[0]!;
    const key = arrowField(kv.children[0]!);
    const value = arrowField(kv.children[1]!);
    const entries = new A.Struct<{ key: A.DataType; value: A.DataType }>([
      item("key", key.type, false),
      item("value", value.type, true),
    ]);
    return item(e.name, new A.Map_(new A.Field("entries", entries, false)), nullable);
  }
  return item(e.name, new A.Struct(node.children.map(arrowField)), nullable);
}

/** The Arrow schema of a Parquet file (top-level columns, optionally a subset). */
export function arrowSchema(tree: SchemaTree): A.Schema {
  return new A.Schema(tree.children.map(arrowField));
}

// ---- writing ----

/** Parquet schema elements (depth-first, with the root) for an Arrow schema. */
export function parquetElements(schema: A.Schema): SchemaElement[] {
  const out: SchemaElement[] = [{ name: "root", num_children: schema.fields.length }];
  for (const f of schema.fields) fieldElements(f.name, f.type, f.nullable, out);
  return out;
}
