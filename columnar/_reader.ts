// An open Parquet file: footer parsed and checked, Arrow schema derived, and row groups
// read one at a time into Arrow record batches (chunks fetched and page-checked first).
import * as A from "apache-arrow";
import { parquetMetadataAsync, parquetRead, parquetSchema } from "hyparquet";
import type { ColumnChunk, FileMetaData, ParquetParsers, SchemaTree } from "hyparquet";
import { exactDecimalStats, leafElement } from "./_footer_stats.ts";
import type { ParquetSource } from "./types.ts";
import { decodeError, fail } from "./_errors.ts";
import { type OpenSource, openSource, RangeCache } from "./_async_buffer.ts";
import { decompressors } from "./_compressors.ts";
import { chunkRange, verifyChunk } from "./_pages.ts";
import { arrowSchema } from "./_parquet_schema.ts";
import type { KeyStats } from "./_predicate.ts";
import { buildData, statKey } from "./_type_table.ts";
import { builderValue, isDecimal, isMapElement, isText, needsConversion } from "./_raw_values.ts";

const decoder = new TextDecoder();
const FOOTER_FETCH_BYTES = 32 * 1024;

/** hyparquet parsers that keep raw units: timestamps as bigints, dates as bigint days. */
export const RAW_PARSERS: ParquetParsers = {
  timestampFromMilliseconds: (v: bigint) => v,
  timestampFromMicroseconds: (v: bigint) => v,
  timestampFromNanoseconds: (v: bigint) => v,
  dateFromDays: (d: number) => BigInt(d),
  stringFromBytes: (b: Uint8Array) => b && decoder.decode(b),
  jsonFromBytes: (b: Uint8Array) => b && decoder.decode(b),
  geometryFromBytes: (b: Uint8Array) => b,
  geographyFromBytes: (b: Uint8Array) => b,
  uuidFromBytes: (b: Uint8Array) => b,
};

/** A Parquet file opened for reading. */
export class ParquetReader {
  readonly src: OpenSource;
  readonly metadata: FileMetaData;
  readonly tree: SchemaTree;
  readonly schema: A.Schema;
  /** First row of each row group. */
  readonly groupStarts: number[];
  #cache: RangeCache;
  /**
   * The footer with the text annotation removed from flat string columns, so hyparquet
   * hands their bytes over undecoded and the Arrow Utf8 vector is built by copying
   * bytes (decoding to JS strings and encoding back would double the cost). Every
   * decimal (nested ones too) loses its annotation, so unscaled integers arrive exact
   * (hyparquet would turn them into floating-point numbers). Map annotations are
   * removed too: hyparquet then hands each map over as `{ key_value: [{ key, value }…] }`,
   * keeping entry order, duplicate keys and key types, where its map assembly would
   * build a JS object.
   */
  #rawMetadata: FileMetaData;
  /** Columns holding maps or decimals, whose raw values `builderValue` converts. */
  #convertFields: Set<string>;
  /** Top-level columns that are leaves (no lists, maps or structs). */
  #flat: Set<string>;

  private constructor(src: OpenSource, metadata: FileMetaData, tree: SchemaTree) {
    this.src = src;
    this.metadata = metadata;
    this.tree = tree;
    this.schema = arrowSchema(tree);
    this.#cache = new RangeCache(src.buffer);
    const flatText = new Set(
      tree.children.filter((c) => !c.children.length && isText(c.element)).map((c) => c.element),
    );
    this.#flat = new Set(
      tree.children.filter((c) => !c.children.length).map((c) => c.element.name),
    );
    this.#convertFields = new Set(
      this.schema.fields.filter((f) => needsConversion(f.type)).map((f) => f.name),
    );
    this.#rawMetadata = {
      ...metadata,
      schema: metadata.schema.map((e) => {
        if (!flatText.has(e) && !isMapElement(e) && !isDecimal(e)) return e;
        const { converted_type: _c, logical_type: _l, ...rest } = e;
        return rest;
      }),
    };
    let at = 0;
    this.groupStarts = metadata.row_groups.map((g) => {
      const s = at;
      at += Number(g.num_rows);
      return s;
    });
  }

  /** Opens and validates a source (closing it again on failure). */
  static async open(source: ParquetSource): Promise<ParquetReader> {
    const src = await openSource(source);
    try {
      let metadata: FileMetaData;
      let tree: SchemaTree;
      try {
        metadata = await parquetMetadataAsync(src.buffer, {
          parsers: RAW_PARSERS,
          geoparquet: false,
          // One small tail read usually holds the whole footer; hyparquet reads more if not.
          initialFetchSize: FOOTER_FETCH_BYTES,
        });
        tree = parquetSchema(metadata);
      } catch (err) {
        throw decodeError(err, `read the footer of ${src.name}`);
      }
      const reader = new ParquetReader(src, metadata, tree);
      reader.#validate();
      await exactDecimalStats(metadata, tree, src.buffer);
      return reader;
    } catch (err) {
      src.close();
      throw decodeError(err, `open ${src.name}`);
    }
  }

  #validate(): void {
    const { metadata, src } = this;
    const leaves = new Set<string>();
    const walk = (n: SchemaTree, path: string[]) => {
      if (!n.children.length) leaves.add(path.join("\u0000"));
      for (const c of n.children) walk(c, [...path, c.element.name]);
    };
    walk(this.tree, []);
    const end = src.buffer.byteLength - 8 - metadata.metadata_length;
    let total = 0;
    metadata.row_groups.forEach((g, i) => {
      const rows = Number(g.num_rows);
      if (!Number.isSafeInteger(rows) || rows < 0) {
        fail("Corruption", `Cannot open ${src.name}: row group ${i} has ${g.num_rows} rows`);
      }
      total += rows;
      if (g.columns.length !== leaves.size) {
        fail(
          "Corruption",
          `Cannot open ${src.name}: row group ${i} has ${g.columns.length} column chunks, ` +
            `the schema has ${leaves.size} leaf columns`,
        );
      }
      for (const c of g.columns) {
        const m = c.meta_data;
        if (!m) fail("Corruption", `Cannot open ${src.name}: row group ${i} lacks column metadata`);
        if (!leaves.has(m.path_in_schema.join("\u0000"))) {
          fail(
            "Corruption",
            `Cannot open ${src.name}: row group ${i} has a chunk for unknown column ` +
              m.path_in_schema.join("."),
          );
        }
        const [s, e] = chunkRange(m);
        if (rows > 0 && (s < 4 || e > end || e < s)) {
          fail(
            "Corruption",
            `Cannot open ${src.name}: column ${m.path_in_schema.join(".")} of row group ${i} ` +
              `spans bytes ${s}..${e}, outside the data area`,
          );
        }
      }
    });
    if (total !== Number(metadata.num_rows)) {
      fail(
        "Corruption",
        `Cannot open ${src.name}: row groups hold ${total} rows, the footer says ${metadata.num_rows}`,
      );
    }
  }

  /** The scale of the decimal leaf at `path`, or undefined when it is not a decimal. */
  decimalScale(path: string[]): number | undefined {
    const e = leafElement(this.tree, path);
    if (!e || !isDecimal(e)) return undefined;
    return e.scale ?? (e.logical_type?.type === "DECIMAL" ? e.logical_type.scale : 0);
  }

  /** Top-level column names. */
  get columns(): string[] {
    return this.schema.fields.map((f) => f.name);
  }

  /** Statistics of a flat top-level column in row group `g`, as comparable keys. */
  keyStats(g: number, column: string): KeyStats | undefined {
    const field = this.schema.fields.find((f) => f.name === column);
    const node = this.tree.children.find((c) => c.element.name === column);
    if (!field || !node || node.children.length) return undefined;
    const group = this.metadata.row_groups[g]!;
    const chunk = group.columns.find((c) =>
      c.meta_data?.path_in_schema.length === 1 &&
      c.meta_data.path_in_schema[0] === column
    );
    const st = chunk?.meta_data?.statistics;
    const numRows = Number(group.num_rows);
    if (!st) return { numRows };
    const out: KeyStats = { numRows };
    if (st.null_count !== undefined) out.nullCount = Number(st.null_count);
    const e = node.element;
    if (e.type === "INT96") return out;
    // Old writers' min/max follow signed order: only trust them for signed numbers.
    const signedOk = (e.type === "INT32" || e.type === "INT64" || e.type === "FLOAT" ||
      e.type === "DOUBLE" || e.type === "BOOLEAN") &&
      !(e.converted_type?.startsWith("UINT") ||
        (e.logical_type?.type === "INTEGER" && !e.logical_type.isSigned) ||
        e.converted_type === "DECIMAL");
    const min = st.min_value ?? (signedOk ? st.min : undefined);
    const max = st.max_value ?? (signedOk ? st.max : undefined);
    const key = (v: unknown) => statKey(field.type, v);
    if (min !== undefined) out.min = key(min);
    if (max !== undefined) out.max = key(max);
    if (out.min === undefined || out.max === undefined) {
      delete out.min;
      delete out.max;
    }
    if (A.DataType.isFloat(field.type)) out.loose = true;
    return out;
  }

  /**
   * Reads row group `g`, columns `columns` (top-level names), as one record batch with
   * the file's types. Only those columns' chunks are fetched.
   */
  async readGroup(g: number, columns: string[]): Promise<A.RecordBatch> {
    const group = this.metadata.row_groups[g]!;
    const rows = Number(group.num_rows);
    const fields = columns.map((c) => this.schema.fields.find((f) => f.name === c)!);
    const schema = new A.Schema(fields);
    const wanted = new Set(columns);
    const chunks = group.columns.filter((c) => wanted.has(c.meta_data!.path_in_schema[0]!));
    await this.#prefetch(chunks, g);
    const pieces = new Map<string, { rowStart: number; data: ArrayLike<unknown> }[]>();
    const start = this.groupStarts[g]!;
    if (rows > 0 && columns.length) {
      try {
        await parquetRead({
          file: this.#cache.buffer,
          metadata: this.#rawMetadata,
          columns,
          rowStart: start,
          rowEnd: start + rows,
          compressors: decompressors,
          parsers: RAW_PARSERS,
          utf8: false,
          geoparquet: false,
          onChunk: ({ columnName, columnData, rowStart }) => {
            const list = pieces.get(columnName) ?? [];
            list.push({ rowStart, data: columnData as ArrayLike<unknown> });
            pieces.set(columnName, list);
          },
        });
      } catch (err) {
        throw decodeError(err, `read row group ${g} of ${this.src.name}`);
      } finally {
        this.#cache.clear();
      }
    }
    const children = fields.map((f) => {
      const values = gather(pieces.get(f.name) ?? [], start, rows);
      if (values.length !== rows) {
        fail(
          "Corruption",
          `Cannot read ${this.src.name}: column ${f.name} of row group ${g} has ${values.length} ` +
            `values for ${rows} rows`,
        );
      }
      if (this.#flat.has(f.name)) this.#checkResolved(values, f.name, g);
      try {
        const exact = this.#convertFields.has(f.name)
          ? Array.from(values, (v) => builderValue(f.type, v))
          : values;
        return buildData(f.type, exact, f.name, true);
      } catch (err) {
        throw decodeError(err, `convert column ${f.name} of ${this.src.name}`);
      }
    });
    const struct = A.makeData({ type: new A.Struct(fields), length: rows, children });
    return new A.RecordBatch(schema, struct);
  }

  /**
   * hyparquet turns a dictionary index past the dictionary's end (or a value the levels
   * promise but the page lacks) into `undefined` without complaint, which would surface
   * as a null. Real nulls of flat columns arrive as `null`, so one pass finds them.
   */
  #checkResolved(values: ArrayLike<unknown>, column: string, g: number): void {
    // Typed arrays cannot hold undefined: nothing to check.
    if (!Array.isArray(values)) return;
    const at = values.indexOf(undefined);
    if (at >= 0) {
      fail(
        "Corruption",
        `Cannot read ${this.src.name}: column ${column} of row group ${g} has no value for ` +
          `row ${at} of the group (a dictionary index past the dictionary's end, or fewer ` +
          `values than the page's levels declare)`,
      );
    }
  }

  async #prefetch(chunks: ColumnChunk[], g: number): Promise<void> {
    const ranges = chunks.map((c) => ({ c, r: chunkRange(c.meta_data!) }))
      .sort((a, b) => a.r[0] - b.r[0]);
    // Adjacent chunks (the common case: columns stored one after another) in one read.
    let i = 0;
    while (i < ranges.length) {
      let j = i;
      let end = ranges[i]!.r[1];
      while (j + 1 < ranges.length && ranges[j + 1]!.r[0] <= end) {
        j++;
        end = Math.max(end, ranges[j]!.r[1]);
      }
      const start = ranges[i]!.r[0];
      const bytes = await this.#cache.fetch(start, end);
      for (let k = i; k <= j; k++) {
        const { c, r } = ranges[k]!;
        verifyChunk(bytes.subarray(r[0] - start, r[1] - start), c.meta_data!, this.src.name, g);
      }
      i = j + 1;
    }
  }

  /** Releases the file handle. */
  close(): void {
    this.src.close();
  }
}

function gather(
  pieces: { rowStart: number; data: ArrayLike<unknown> }[],
  start: number,
  rows: number,
): ArrayLike<unknown> {
  if (pieces.length === 1 && pieces[0]!.rowStart === start && pieces[0]!.data.length === rows) {
    return pieces[0]!.data;
  }
  pieces.sort((a, b) => a.rowStart - b.rowStart);
  const out: unknown[] = [];
  for (const p of pieces) {
    for (let i = 0; i < p.data.length; i++) {
      const r = p.rowStart + i;
      if (r >= start && r < start + rows) out.push(p.data[i]);
    }
  }
  return out;
}
