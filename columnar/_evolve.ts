// Schema evolution on read: a file's batch reshaped to a target schema. Missing
// nullable columns become nulls, extra columns are dropped, integers and floats widen,
// timestamps change unit; anything else is InvalidInput.
import * as A from "apache-arrow";
import { fail } from "./_errors.ts";
import { unitPerMs } from "./_cells.ts";
import { buildData, keyGetter, nullData } from "./_type_table.ts";

type AnyData = A.Data<A.DataType>;

function numericRank(t: A.DataType): number | undefined {
  if (A.DataType.isInt(t)) return 1;
  if (A.DataType.isFloat(t) && (t as A.Float).precision !== A.Precision.HALF) return 2;
  return undefined;
}

function canWiden(from: A.DataType, to: A.DataType): boolean {
  if (A.DataType.isInt(from) && A.DataType.isInt(to)) {
    const f = from as A.Int;
    const t = to as A.Int;
    if (f.isSigned === t.isSigned) return t.bitWidth >= f.bitWidth;
    return !f.isSigned && t.isSigned && t.bitWidth > f.bitWidth;
  }
  if (numericRank(from) && A.DataType.isFloat(to)) {
    const p = (to as A.Float).precision;
    if (p === A.Precision.DOUBLE) return true;
    return p === A.Precision.SINGLE && A.DataType.isFloat(from) &&
      (from as A.Float).precision === A.Precision.SINGLE;
  }
  if (A.DataType.isTimestamp(from) && A.DataType.isTimestamp(to)) return true;
  return false;
}

/** Checks that `file` can be read as `target`; returns the columns to read. */
export function planEvolution(file: A.Schema, target: A.Schema, name: string): string[] {
  const read: string[] = [];
  for (const t of target.fields) {
    const f = file.fields.find((x) => x.name === t.name);
    if (!f) {
      if (!t.nullable) {
        fail(
          "InvalidInput",
          `Cannot read ${name} as the given schema: column ${t.name} is missing and not nullable`,
        );
      }
      continue;
    }
    if (String(f.type) !== String(t.type) && !canWiden(f.type, t.type)) {
      fail(
        "InvalidInput",
        `Cannot read ${name} as the given schema: column ${t.name} is ${f.type} in the file, ` +
          `which does not convert to ${t.type}`,
      );
    }
    read.push(t.name);
  }
  return read;
}

function castData(data: AnyData, to: A.DataType, column: string): AnyData {
  if (String(data.type) === String(to)) return data;
  const get = keyGetter(data);
  const n = data.length;
  const values = new Array<unknown>(n);
  if (A.DataType.isTimestamp(to)) {
    const from = unitPerMs((data.type as A.Timestamp).unit);
    const dest = unitPerMs((to as A.Timestamp).unit);
    for (let i = 0; i < n; i++) {
      const v = get(i) as bigint | null;
      // Rescale through the common millisecond factors: v / from × dest.
      values[i] = v === null ? null : (v * from.div * dest.mul) / (from.mul * dest.div);
    }
  } else {
    for (let i = 0; i < n; i++) values[i] = get(i);
  }
  return buildData(to, values, column);
}

/** Reshapes a batch read from the file to the target schema. */
export function evolveBatch(batch: A.RecordBatch, target: A.Schema, name: string): A.RecordBatch {
  const n = batch.numRows;
  const children = target.fields.map((t) => {
    const col = batch.getChild(t.name);
    if (!col) return nullData(t.type, n, t.name);
    const data = castData(col.data[0] as AnyData, t.type, t.name);
    if (!t.nullable && data.nullCount > 0) {
      fail(
        "InvalidInput",
        `Cannot read ${name} as the given schema: column ${t.name} has nulls but is not nullable`,
      );
    }
    return data;
  });
  const struct = A.makeData({ type: new A.Struct(target.fields), length: n, children });
  return new A.RecordBatch(target, struct);
}
