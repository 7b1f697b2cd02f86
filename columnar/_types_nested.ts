// Per-type behaviour of the nested Arrow types (see `_type_table.ts`): lists,
// fixed-size lists, maps and structs recurse through the table for their children;
// dictionaries behave as their value type; unions can only be held.
import * as A from "apache-arrow";
import { type AnyData, describe, type Getter, isNullish } from "./_cells.ts";
import { fail } from "./_errors.ts";
import {
  cannot,
  concatChildren,
  concatFixedChild,
  concatOffsetsChild,
  takeChildren,
  takeFixedChild,
  takeIndices,
  takeOffsetsChild,
} from "./_take.ts";
import {
  type BuildContext,
  buildData,
  type ElementContext,
  fieldElements,
  jsGetter,
  nullOr,
  rawGetter,
  toKey,
  type TypeBehaviour,
} from "./_type_table.ts";

function listItems(v: unknown): ArrayLike<unknown> | undefined {
  if (Array.isArray(v)) return v;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as unknown as ArrayLike<unknown>;
  if (v instanceof A.Vector) return v.toArray() as ArrayLike<unknown>;
  return undefined;
}

/** Map cells as `Map`s, `[key, value]` pairs, `{ key, value }` entries or plain objects. */
function mapEntries(v: unknown, column: string): { key: unknown; value: unknown }[] | undefined {
  if (v instanceof Map) return [...v].map(([key, value]) => ({ key, value }));
  if (Array.isArray(v)) {
    return v.map((e) => {
      if (Array.isArray(e) && e.length === 2) return { key: e[0], value: e[1] };
      if (e && typeof e === "object" && "key" in e) {
        return { key: (e as { key: unknown }).key, value: (e as { value?: unknown }).value };
      }
      return fail("InvalidInput", `Cannot read map entry ${describe(e)} in column ${column}`);
    });
  }
  if (v instanceof A.MapRow) {
    return [...(v as unknown as Iterable<[unknown, unknown]>)].map(([key, value]) => ({
      key,
      value,
    }));
  }
  if (v && typeof v === "object" && !(v instanceof Uint8Array)) {
    return Object.entries(v).map(([key, value]) => ({ key, value }));
  }
  return undefined;
}

/** Lists and maps: offsets into one child built from every item. */
function buildOffsets(c: BuildContext, items: (v: unknown) => ArrayLike<unknown> | undefined) {
  const offsets = new Int32Array(c.n + 1);
  const flat: unknown[] = [];
  for (let i = 0; i < c.n; i++) {
    const v = c.values[i];
    if (!isNullish(v)) {
      const list = items(v) ?? c.bad(v);
      for (let k = 0; k < list.length; k++) flat.push(list[k]);
    }
    offsets[i + 1] = flat.length;
  }
  const child = (c.type as A.List).children[0]!;
  return c.mk({ valueOffsets: offsets, child: buildData(child.type, flat, c.column, c.unscaled) });
}

/** Cells of a list or fixed-size list as arrays of what `item` reads. */
function listGetter(data: AnyData, item: (d: AnyData) => Getter): Getter {
  const child = item(data.children[0]!);
  const offs = data.valueOffsets as Int32Array | undefined;
  const size = A.DataType.isFixedSizeList(data.type) ? (data.type as A.FixedSizeList).listSize : 0;
  return nullOr(data, (i) => {
    const [a, b] = offs ? [offs[i]!, offs[i + 1]!] : [i * size, (i + 1) * size];
    const out = new Array(b - a);
    for (let k = a; k < b; k++) out[k - a] = child(k);
    return out;
  });
}

function listElements(c: ElementContext): void {
  const child = (c.type as A.List).children[0]!;
  c.out.push({
    name: c.name,
    repetition_type: c.nullable ? "OPTIONAL" : "REQUIRED",
    num_children: 1,
    converted_type: "LIST",
    logical_type: { type: "LIST" },
  });
  c.out.push({ name: "list", repetition_type: "REPEATED", num_children: 1 });
  fieldElements("element", child.type, child.nullable, c.out);
}

const list: TypeBehaviour = {
  build: (c) => buildOffsets(c, listItems),
  js: (data) => listGetter(data, jsGetter),
  raw: (data) => listGetter(data, rawGetter),
  parquet: listElements,
  take: takeOffsetsChild,
  concat: concatOffsetsChild,
};

const fixedSizeList: TypeBehaviour = {
  js: (data) => listGetter(data, jsGetter),
  raw: (data) => listGetter(data, rawGetter),
  parquet: listElements,
  take: takeFixedChild,
  concat: concatFixedChild,
};

/** Map cells as whatever `entry(key, value)` makes of each entry, gathered by `collect`. */
function mapGetter<T>(
  data: AnyData,
  item: (d: AnyData) => Getter,
  collect: (entries: [unknown, unknown][]) => T,
): Getter {
  const entries = data.children[0]!;
  const key = item(entries.children[0]!);
  const value = item(entries.children[1]!);
  const offs = data.valueOffsets as Int32Array;
  return nullOr(data, (i) => {
    const out: [unknown, unknown][] = [];
    for (let k = offs[i]!; k < offs[i + 1]!; k++) out.push([key(k), value(k)]);
    return collect(out);
  });
}

const map: TypeBehaviour<A.Map_> = {
  build: (c) => buildOffsets(c, (v) => mapEntries(v, c.column)),
  js: (data) => mapGetter(data, jsGetter, (e) => new Map(e)),
  raw: (data) => mapGetter(data, rawGetter, (e) => e.map(([key, value]) => ({ key, value }))),
  parquet(c) {
    const [k, v] = (c.type.children[0]!.type as A.Struct).children;
    c.out.push({
      name: c.name,
      repetition_type: c.nullable ? "OPTIONAL" : "REQUIRED",
      num_children: 1,
      converted_type: "MAP",
      logical_type: { type: "MAP" },
    });
    c.out.push({ name: "key_value", repetition_type: "REPEATED", num_children: 2 });
    fieldElements("key", k!.type, false, c.out);
    fieldElements("value", v!.type, v!.nullable, c.out);
  },
  take: takeOffsetsChild,
  concat: concatOffsetsChild,
};

/** Struct cells as objects of what `item` reads from each child. */
function structGetter(data: AnyData, item: (d: AnyData) => Getter): Getter {
  const fields = (data.type as A.Struct).children;
  const getters = data.children.map(item);
  return nullOr(data, (i) => {
    const o: Record<string, unknown> = {};
    fields.forEach((f, k) => o[f.name] = getters[k]!(i));
    return o;
  });
}

const struct: TypeBehaviour<A.Struct> = {
  build(c) {
    const children = c.type.children.map((f) => {
      const col = new Array<unknown>(c.n);
      for (let i = 0; i < c.n; i++) {
        const v = c.values[i];
        if (isNullish(v)) col[i] = null;
        else if (typeof v !== "object" || Array.isArray(v)) c.bad(v);
        else col[i] = v instanceof Map ? v.get(f.name) : (v as Record<string, unknown>)[f.name];
      }
      return buildData(f.type, col, `${c.column}.${f.name}`, c.unscaled);
    });
    return c.mk({ children });
  },
  js: (data) => structGetter(data, jsGetter),
  raw: (data) => structGetter(data, rawGetter),
  parquet(c) {
    const kids = c.type.children;
    if (!kids.length) {
      return fail(
        "Unsupported",
        `Cannot write column ${c.name} as Parquet: type ${c.type} is not supported`,
      );
    }
    c.out.push({
      name: c.name,
      repetition_type: c.nullable ? "OPTIONAL" : "REQUIRED",
      num_children: kids.length,
    });
    for (const k of kids) fieldElements(k.name, k.type, k.nullable, c.out);
  },
  take: takeChildren,
  concat: concatChildren,
};

const dictionary: TypeBehaviour<A.Dictionary> = {
  key(data) {
    const vec = A.makeVector(data);
    return (i) => vec.get(i) ?? null;
  },
  toKey: (type, v, column) => toKey(type.dictionary, v, column),
  // Stored decoded, as its value type.
  parquet: (c) => fieldElements(c.name, c.type.dictionary, c.nullable, c.out),
  take: takeIndices,
  // Chunks may hold different dictionaries.
  concat: cannot("combine chunks"),
};

const union: TypeBehaviour = {
  take: cannot("select rows"),
  concat: cannot("combine chunks"),
};

/** The nested entries of the type table. */
export const NESTED_TYPES: [A.Type, TypeBehaviour<never>][] = [
  [A.Type.List, list],
  [A.Type.FixedSizeList, fixedSizeList],
  [A.Type.Map, map],
  [A.Type.Struct, struct],
  [A.Type.Dictionary, dictionary],
  [A.Type.Union, union],
];
