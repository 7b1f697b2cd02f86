// Parquet schema ↔ Arrow schema. Reading maps every physical/logical type hyparquet
// decodes onto the closest Arrow type; writing maps Arrow types onto Parquet elements
// that hyparquet-writer encodes (or refuses with Unsupported).
import * as A from "apache-arrow";
import type { SchemaElement, SchemaTree } from "hyparquet";
import { fail } from "./_errors.ts";

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

function rep(nullable: boolean): "OPTIONAL" | "REQUIRED" {
  return nullable ? "OPTIONAL" : "REQUIRED";
}

/** Bytes needed for a two's-complement decimal of `precision` digits. */
export function decimalBytes(precision: number): number {
  let n = 1;
  while (2n ** BigInt(8 * n - 1) < 10n ** BigInt(precision)) n++;
  return n;
}

function unsupported(name: string, type: A.DataType): never {
  return fail(
    "Unsupported",
    `Cannot write column ${name} as Parquet: type ${type} is not supported`,
  );
}

/** Parquet schema elements (depth-first, with the root) for an Arrow schema. */
export function parquetElements(schema: A.Schema): SchemaElement[] {
  const out: SchemaElement[] = [{ name: "root", num_children: schema.fields.length }];
  for (const f of schema.fields) fieldElements(f.name, f.type, f.nullable, out);
  return out;
}

function fieldElements(
  name: string,
  type: A.DataType,
  nullable: boolean,
  out: SchemaElement[],
): void {
  const r = rep(nullable);
  const leaf = (e: Omit<SchemaElement, "name" | "repetition_type">) =>
    out.push({ name, repetition_type: r, ...e });
  if (A.DataType.isDictionary(type)) {
    return fieldElements(name, (type as A.Dictionary).dictionary, nullable, out);
  }
  if (A.DataType.isBool(type)) return void leaf({ type: "BOOLEAN" });
  if (A.DataType.isInt(type)) {
    const t = type as A.Int;
    // Only the converted type: hyparquet-writer 0.17 serializes the INTEGER logical type's
    // bit width with the wrong thrift type, which strict readers (DuckDB) refuse.
    const plain = t.isSigned && t.bitWidth >= 32;
    const converted = `${t.isSigned ? "INT" : "UINT"}_${t.bitWidth}` as NonNullable<
      SchemaElement["converted_type"]
    >;
    return void leaf({
      type: t.bitWidth === 64 ? "INT64" : "INT32",
      ...(plain ? {} : { converted_type: converted }),
    });
  }
  if (A.DataType.isFloat(type)) {
    const p = (type as A.Float).precision;
    if (p === A.Precision.HALF) {
      return void leaf({
        type: "FIXED_LEN_BYTE_ARRAY",
        type_length: 2,
        logical_type: { type: "FLOAT16" },
      });
    }
    return void leaf({ type: p === A.Precision.SINGLE ? "FLOAT" : "DOUBLE" });
  }
  if (A.DataType.isUtf8(type) || A.DataType.isLargeUtf8(type)) {
    return void leaf({
      type: "BYTE_ARRAY",
      converted_type: "UTF8",
      logical_type: { type: "STRING" },
    });
  }
  if (A.DataType.isBinary(type) || A.DataType.isLargeBinary(type)) {
    return void leaf({ type: "BYTE_ARRAY" });
  }
  if (A.DataType.isFixedSizeBinary(type)) {
    return void leaf({
      type: "FIXED_LEN_BYTE_ARRAY",
      type_length: (type as A.FixedSizeBinary).byteWidth,
    });
  }
  if (A.DataType.isDate(type)) {
    return void leaf({ type: "INT32", converted_type: "DATE", logical_type: { type: "DATE" } });
  }
  if (A.DataType.isTimestamp(type)) {
    const t = type as A.Timestamp;
    const unit = t.unit === A.TimeUnit.NANOSECOND
      ? "NANOS"
      : t.unit === A.TimeUnit.MICROSECOND
      ? "MICROS"
      : "MILLIS";
    const utc = Boolean(t.timezone);
    const converted = utc && unit !== "NANOS"
      ? (unit === "MILLIS" ? "TIMESTAMP_MILLIS" : "TIMESTAMP_MICROS")
      : undefined;
    return void leaf({
      type: "INT64",
      ...(converted ? { converted_type: converted } : {}),
      logical_type: { type: "TIMESTAMP", isAdjustedToUTC: utc, unit },
    });
  }
  if (A.DataType.isTime(type)) {
    const t = type as A.Time;
    if (t.unit === A.TimeUnit.SECOND || t.unit === A.TimeUnit.MILLISECOND) {
      return void leaf({
        type: "INT32",
        converted_type: "TIME_MILLIS",
        logical_type: { type: "TIME", isAdjustedToUTC: false, unit: "MILLIS" },
      });
    }
    const micros = t.unit === A.TimeUnit.MICROSECOND;
    return void leaf({
      type: "INT64",
      ...(micros ? { converted_type: "TIME_MICROS" as const } : {}),
      logical_type: { type: "TIME", isAdjustedToUTC: false, unit: micros ? "MICROS" : "NANOS" },
    });
  }
  if (A.DataType.isDecimal(type)) {
    const t = type as A.Decimal;
    const dec = {
      converted_type: "DECIMAL" as const,
      scale: t.scale,
      precision: t.precision,
      logical_type: { type: "DECIMAL" as const, scale: t.scale, precision: t.precision },
    };
    if (t.precision <= 9) return void leaf({ type: "INT32", ...dec });
    if (t.precision <= 18) return void leaf({ type: "INT64", ...dec });
    return void leaf({
      type: "FIXED_LEN_BYTE_ARRAY",
      type_length: decimalBytes(t.precision),
      ...dec,
    });
  }
  if (A.DataType.isList(type) || A.DataType.isFixedSizeList(type)) {
    const child = (type as A.List).children[0]!;
    out.push({
      name,
      repetition_type: r,
      num_children: 1,
      converted_type: "LIST",
      logical_type: { type: "LIST" },
    });
    out.push({ name: "list", repetition_type: "REPEATED", num_children: 1 });
    return fieldElements("element", child.type, child.nullable, out);
  }
  if (A.DataType.isMap(type)) {
    const entries = (type as A.Map_).children[0]!.type as A.Struct;
    const [k, v] = entries.children;
    out.push({
      name,
      repetition_type: r,
      num_children: 1,
      converted_type: "MAP",
      logical_type: { type: "MAP" },
    });
    out.push({ name: "key_value", repetition_type: "REPEATED", num_children: 2 });
    fieldElements("key", k!.type, false, out);
    return fieldElements("value", v!.type, v!.nullable, out);
  }
  if (A.DataType.isStruct(type)) {
    const kids = (type as A.Struct).children;
    if (!kids.length) return unsupported(name, type);
    out.push({ name, repetition_type: r, num_children: kids.length });
    for (const k of kids) fieldElements(k.name, k.type, k.nullable, out);
    return;
  }
  return unsupported(name, type);
}
