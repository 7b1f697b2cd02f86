// Per-type behaviour (see `_type_table.ts`) of dates, times and timestamps.
import * as A from "apache-arrow";
import {
  type AnyData,
  type Getter,
  MS_PER_DAY,
  msToUnit,
  toDays,
  toTimestampUnits,
} from "./_cells.ts";
import {
  cannotCompare,
  fill,
  nullOr,
  numberKey,
  plainValues,
  type TypeBehaviour,
  valuesGetter,
} from "./_type_table.ts";

/** Dates and timestamps as `Date` (apache-arrow reads them as epoch milliseconds). */
function dateGetter(data: AnyData): Getter {
  const vec = A.makeVector(data);
  return (i) => {
    const ms = vec.get(i) as number | null;
    return ms === null ? null : new Date(ms);
  };
}

const isDay = (t: A.Date_) => t.unit === A.DateUnit.DAY;

const date: TypeBehaviour<A.Date_> = {
  build(c) {
    if (isDay(c.type)) {
      const out = new Int32Array(c.n);
      fill(c, out, (v) => toDays(v, c.column));
      return c.mk({ data: out });
    }
    const out = new BigInt64Array(c.n);
    fill(c, out, (v) => toTimestampUnits(v, A.TimeUnit.MILLISECOND, c.column));
    return c.mk({ data: out });
  },
  js: dateGetter,
  // Epoch milliseconds, whatever the unit.
  key(data) {
    const vals = data.values as BigInt64Array | Int32Array;
    const day = isDay(data.type as A.Date_);
    return nullOr(data, (i) => day ? Number(vals[i]!) * MS_PER_DAY : Number(vals[i]!));
  },
  toKey(type, v, column) {
    if (typeof v === "bigint") return isDay(type) ? toDays(v, column) * MS_PER_DAY : Number(v);
    if (v instanceof Date) return v.getTime();
    if (typeof v === "number") return v;
    if (typeof v === "string" && !Number.isNaN(Date.parse(v))) return Date.parse(v);
    return cannotCompare(type, v, column);
  },
  stat: (_type, v) => v instanceof Date ? v.getTime() : Number(v) * MS_PER_DAY,
  raw(data) {
    const vals = data.values as unknown as ArrayLike<number | bigint>;
    if (isDay(data.type as A.Date_)) return nullOr(data, (i) => vals[i]);
    return nullOr(data, (i) => Math.floor(Number(vals[i]) / MS_PER_DAY));
  },
  rawColumn: (data) => isDay(data.type as A.Date_) ? plainValues(data) : undefined,
  parquet: (c) => c.leaf({ type: "INT32", converted_type: "DATE", logical_type: { type: "DATE" } }),
  partition: (type) =>
    isDay(type)
      ? {
        text: (key) => new Date(key as number).toISOString().slice(0, 10),
        value: (text) => BigInt(Math.floor(Date.parse(text) / MS_PER_DAY)),
      }
      : undefined,
};

const time: TypeBehaviour<A.Time> = {
  build(c) {
    const out = c.type.bitWidth === 64 ? new BigInt64Array(c.n) : new Int32Array(c.n);
    fill<number | bigint>(c, out, (v) => {
      if (typeof v !== "number" && typeof v !== "bigint") return c.bad(v);
      return out instanceof BigInt64Array ? BigInt(v) : Number(v);
    });
    return c.mk({ data: out });
  },
  key: valuesGetter,
  toKey: numberKey,
  raw(data) {
    const vals = data.values as unknown as ArrayLike<number | bigint>;
    const sec = (data.type as A.Time).unit === A.TimeUnit.SECOND;
    return nullOr(data, (i) => sec ? Number(vals[i]) * 1000 : vals[i]);
  },
  parquet(c) {
    const unit = c.type.unit;
    if (unit === A.TimeUnit.SECOND || unit === A.TimeUnit.MILLISECOND) {
      return c.leaf({
        type: "INT32",
        converted_type: "TIME_MILLIS",
        logical_type: { type: "TIME", isAdjustedToUTC: false, unit: "MILLIS" },
      });
    }
    const micros = unit === A.TimeUnit.MICROSECOND;
    c.leaf({
      type: "INT64",
      ...(micros ? { converted_type: "TIME_MICROS" as const } : {}),
      logical_type: { type: "TIME", isAdjustedToUTC: false, unit: micros ? "MICROS" : "NANOS" },
    });
  },
};

const timestamp: TypeBehaviour<A.Timestamp> = {
  build(c) {
    const out = new BigInt64Array(c.n);
    fill(c, out, (v) => toTimestampUnits(v, c.type.unit, c.column));
    return c.mk({ data: out });
  },
  js: dateGetter,
  // Bigints in the column's own unit: nanoseconds stay exact.
  key: valuesGetter,
  toKey: (type, v, column) => toTimestampUnits(v, type.unit, column),
  stat: (type, v) => v instanceof Date ? msToUnit(v.getTime(), type.unit) : v,
  raw(data) {
    const vals = data.values as BigInt64Array;
    const sec = (data.type as A.Timestamp).unit === A.TimeUnit.SECOND;
    return nullOr(data, (i) => sec ? vals[i]! * 1000n : vals[i]);
  },
  rawColumn: (data) =>
    (data.type as A.Timestamp).unit === A.TimeUnit.SECOND ? undefined : plainValues(data),
  parquet(c) {
    const t = c.type;
    const unit = t.unit === A.TimeUnit.NANOSECOND
      ? "NANOS"
      : t.unit === A.TimeUnit.MICROSECOND
      ? "MICROS"
      : "MILLIS";
    const utc = Boolean(t.timezone);
    const converted = utc && unit !== "NANOS"
      ? (unit === "MILLIS" ? "TIMESTAMP_MILLIS" : "TIMESTAMP_MICROS")
      : undefined;
    c.leaf({
      type: "INT64",
      ...(converted ? { converted_type: converted } : {}),
      logical_type: { type: "TIMESTAMP", isAdjustedToUTC: utc, unit },
    });
  },
  // Bigint keys in the column's own unit: exact for every unit.
  partition: () => ({ text: String, value: BigInt }),
};

/** The temporal entries of the type table. */
export const TEMPORAL_TYPES: [A.Type, TypeBehaviour<never>][] = [
  [A.Type.Date, date],
  [A.Type.Time, time],
  [A.Type.Timestamp, timestamp],
];
