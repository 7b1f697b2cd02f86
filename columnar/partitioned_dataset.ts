/**
 * `PartitionedDataset`: Parquet files in a Hive layout with an atomic manifest.
 *
 * @module
 */
import * as A from "apache-arrow";
import { fromBase64, toBase64 } from "../core/encoding.ts";
import type { ArrowSchema, Predicate, ReadOptions } from "./types.ts";
import { ColumnarTable, schemaDifference } from "./columnar_table.ts";
import { fail } from "./_errors.ts";
import { type BlobRoot, type DatasetStorage, datasetStorage } from "./_dataset_storage.ts";
import { isPartitionType, partitionSegment, partitionTexts, partitionValue } from "./_hive.ts";
import { compilePredicate, matchBatch, predicateColumns } from "./_predicate.ts";
import { combineBatches, takeBatch } from "./_take.ts";
import { buildData } from "./_type_table.ts";
import { readParquet } from "./read_parquet.ts";

const MANIFEST = "_oxistore_manifest.json";
const FORMAT = "oxistore-partitioned-dataset";
const FORMAT_VERSION = 1;

interface FileEntry {
  path: string;
  values: Record<string, string | null>;
  numRows: number;
}

interface Manifest {
  format: string;
  version: number;
  revision: number;
  partitionBy: string[];
  /** Base64 Arrow IPC of the dataset schema (partition columns included), once known. */
  schema: string | null;
  files: FileEntry[];
}

/** One partition as `listPartitions` reports it. */
export interface PartitionInfo {
  /** Partition column → value text (`null` for a null value). */
  values: Record<string, string | null>;
  /** Files, relative to the dataset root. */
  files: string[];
  /** Rows in those files. */
  numRows: number;
}

function schemaToText(schema: A.Schema): string {
  return toBase64(A.tableToIPC(new A.Table(schema), "stream"));
}

function manifestText(m: Manifest): string {
  return JSON.stringify(m, null, 1);
}

/**
 * A dataset of Parquet files laid out Hive-style (`root/col=value/…/part-N.parquet`).
 * A manifest (`_oxistore_manifest.json`, replaced atomically by temp file + rename)
 * lists every file with its partition values, so reads never list directories and a
 * crash mid-append leaves the previous manifest (and unlisted files are ignored).
 * Partition values are escaped in directory names; a null is `__HIVE_DEFAULT_PARTITION__`
 * and an empty string `__OXISTORE_EMPTY__`, so the two stay distinct. The root is a local
 * directory or `{ store, prefix }` on a blob store; on a blob store the manifest is
 * replaced with a conditional write, so a writer whose manifest is stale gets
 * `CasMismatch` (reopen and retry). Locally, one writer at a time.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ColumnarTable, PartitionedDataset } from "@cooljapan/oxistore/columnar";
 * const root = await Deno.makeTempDir();
 * const ds = await PartitionedDataset.create(root, ["year"]);
 * await ds.append(ColumnarTable.fromRows([{ year: 2023n, v: 1 }, { year: 2024n, v: 2 }]));
 * const t = await ds.read({ partitions: { year: { column: "year", op: "eq", value: 2024 } } });
 * deepStrictEqual(t.toRows(), [{ year: 2024n, v: 2 }]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export class PartitionedDataset {
  /** The dataset directory, or `{ store, prefix }` on a blob store. */
  readonly root: string | BlobRoot;
  #io: DatasetStorage;
  #manifest: Manifest;
  #schema: A.Schema | undefined;

  private constructor(root: string | BlobRoot, io: DatasetStorage, manifest: Manifest) {
    this.root = root;
    this.#io = io;
    this.#manifest = manifest;
    this.#schema = manifest.schema
      ? ColumnarTable.fromIPC(fromBase64(manifest.schema)).schema
      : undefined;
  }

  /** Columns the dataset is partitioned by, outermost first. */
  get partitionBy(): string[] {
    return [...this.#manifest.partitionBy];
  }

  /** The dataset schema (partition columns included), once something was appended. */
  get schema(): ArrowSchema | undefined {
    return this.#schema;
  }

  /**
   * Creates an empty dataset in `root` (created if missing; an existing dataset there
   * is `AlreadyExists`).
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { PartitionedDataset } from "@cooljapan/oxistore/columnar";
   * const root = await Deno.makeTempDir();
   * const ds = await PartitionedDataset.create(root, ["country", "day"]);
   * deepStrictEqual(ds.partitionBy, ["country", "day"]);
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  static async create(
    root: string | BlobRoot,
    partitionBy: string[],
  ): Promise<PartitionedDataset> {
    const io = datasetStorage(root, MANIFEST);
    if (!Array.isArray(partitionBy) || partitionBy.some((c) => typeof c !== "string" || !c)) {
      return fail("InvalidInput", `Cannot create a dataset at ${io.name}: bad partitionBy`);
    }
    if (new Set(partitionBy).size !== partitionBy.length) {
      return fail(
        "InvalidInput",
        `Cannot create a dataset at ${io.name}: repeated partition column`,
      );
    }
    const manifest: Manifest = {
      format: FORMAT,
      version: FORMAT_VERSION,
      revision: 0,
      partitionBy: [...partitionBy],
      schema: null,
      files: [],
    };
    await io.writeManifest(manifestText(manifest), true);
    return new PartitionedDataset(root, io, manifest);
  }

  /**
   * Opens an existing dataset (no manifest → `NotFound`, unreadable one → `Corruption`).
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { PartitionedDataset } from "@cooljapan/oxistore/columnar";
   * const root = await Deno.makeTempDir();
   * await PartitionedDataset.create(root, ["k"]);
   * deepStrictEqual((await PartitionedDataset.open(root)).partitionBy, ["k"]);
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  static async open(root: string | BlobRoot): Promise<PartitionedDataset> {
    const io = datasetStorage(root, MANIFEST);
    const text = await io.readManifest();
    if (text === undefined) {
      return fail("NotFound", `Cannot open dataset ${io.name}: no ${MANIFEST} there`);
    }
    let m: Manifest;
    try {
      m = JSON.parse(text);
    } catch (err) {
      return fail("Corruption", `Cannot open dataset ${io.name}: manifest is not JSON`, err);
    }
    if (!m || m.format !== FORMAT || !Array.isArray(m.files) || !Array.isArray(m.partitionBy)) {
      return fail("Corruption", `Cannot open dataset ${io.name}: not an oxistore dataset manifest`);
    }
    if (m.version > FORMAT_VERSION) {
      return fail("Unsupported", `Cannot open dataset ${io.name}: manifest version ${m.version}`);
    }
    return new PartitionedDataset(root, io, m);
  }

  /**
   * Adds the table's rows as new files, one per partition (old files are never
   * rewritten), then publishes a new manifest. Partition columns are stored in the
   * directory names and manifest, not in the files.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable, PartitionedDataset } from "@cooljapan/oxistore/columnar";
   * const root = await Deno.makeTempDir();
   * const ds = await PartitionedDataset.create(root, ["k"]);
   * await ds.append(ColumnarTable.fromRows([{ k: "a", v: 1 }, { k: "b", v: 2 }]));
   * deepStrictEqual((await ds.listPartitions()).length, 2);
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  async append(table: ColumnarTable): Promise<void> {
    if (!(table instanceof ColumnarTable)) {
      return fail("InvalidInput", `Cannot append to ${this.#io.name}: expected a ColumnarTable`);
    }
    const schema = table.schema;
    const by = this.#manifest.partitionBy;
    for (const c of by) {
      const f = schema.fields.find((x) => x.name === c);
      if (!f) {
        return fail("InvalidInput", `Cannot append to ${this.#io.name}: column ${c} is missing`);
      }
      if (!isPartitionType(f.type)) {
        return fail("InvalidInput", `Cannot partition ${this.#io.name} by ${c} of type ${f.type}`);
      }
    }
    if (this.#schema) {
      const diff = schemaDifference(this.#schema, schema);
      if (diff) return fail("InvalidInput", `Cannot append to dataset ${this.#io.name}: ${diff}`);
    }
    if (by.length === schema.fields.length) {
      return fail(
        "InvalidInput",
        `Cannot append to ${this.#io.name}: no data columns besides partitions`,
      );
    }
    if (table.numRows === 0) return;
    const batch = combineBatches(table.toArrow());
    const texts = by.map((c) => partitionTexts(batch.getChild(c)!.data[0] as A.Data<A.DataType>));
    const groups = new Map<string, number[]>();
    for (let i = 0; i < batch.numRows; i++) {
      const key = JSON.stringify(texts.map((t) => t[i]));
      let g = groups.get(key);
      if (!g) groups.set(key, g = []);
      g.push(i);
    }
    const dataFields = schema.fields.filter((f) => !by.includes(f.name));
    const revision = this.#manifest.revision + 1;
    const added: FileEntry[] = [];
    let n = 0;
    for (const [key, idx] of groups) {
      const vals = JSON.parse(key) as (string | null)[];
      const values: Record<string, string | null> = {};
      by.forEach((c, k) => values[c] = vals[k]!);
      const dir = by.map((c, k) => partitionSegment(c, vals[k]!)).join("/");
      const rel = `${dir}/part-${String(revision).padStart(6, "0")}-${n++}.parquet`;
      await this.#io.prepare(rel);
      const part = ColumnarTable.fromArrow(new A.Table([takeBatch(batch, idx)]))
        .project(dataFields.map((f) => f.name));
      await part.writeParquet(this.#io.target(rel));
      added.push({ path: rel, values, numRows: idx.length });
    }
    const next: Manifest = {
      ...this.#manifest,
      revision,
      schema: this.#manifest.schema ?? schemaToText(schema),
      files: [...this.#manifest.files, ...added],
    };
    await this.#io.writeManifest(manifestText(next), false);
    this.#manifest = next;
    this.#schema ??= schema;
  }

  /**
   * Every partition with its files and row count.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable, PartitionedDataset } from "@cooljapan/oxistore/columnar";
   * const root = await Deno.makeTempDir();
   * const ds = await PartitionedDataset.create(root, ["k"]);
   * await ds.append(ColumnarTable.fromRows([{ k: null, v: 1 }, { k: "", v: 2 }]));
   * deepStrictEqual((await ds.listPartitions()).map((p) => p.values.k), [null, ""]);
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  listPartitions(): Promise<PartitionInfo[]> {
    const out = new Map<string, PartitionInfo>();
    for (const f of this.#manifest.files) {
      const key = JSON.stringify(this.#manifest.partitionBy.map((c) => f.values[c] ?? null));
      let p = out.get(key);
      if (!p) out.set(key, p = { values: { ...f.values }, files: [], numRows: 0 });
      p.files.push(f.path);
      p.numRows += f.numRows;
    }
    return Promise.resolve([...out.values()]);
  }

  /**
   * Reads the dataset. `partitions` (column → predicate on that column) and any part of
   * `filter` that only names partition columns select files from the manifest alone —
   * skipped partitions cost no I/O; the rest of `filter` is pushed down into each file.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { ColumnarTable, PartitionedDataset } from "@cooljapan/oxistore/columnar";
   * const root = await Deno.makeTempDir();
   * const ds = await PartitionedDataset.create(root, ["k"]);
   * await ds.append(ColumnarTable.fromRows([{ k: 1, v: "a" }, { k: 2, v: "b" }, { k: 3, v: "c" }]));
   * const t = await ds.read({ partitions: { k: { column: "k", op: "ge", value: 2 } }, columns: ["v"] });
   * deepStrictEqual(t.toRows(), [{ v: "b" }, { v: "c" }]);
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  async read(
    opts: ReadOptions & { partitions?: Record<string, Predicate> } = {},
  ): Promise<ColumnarTable> {
    const schema = opts.schema ?? this.#schema;
    if (!schema) return ColumnarTable.fromRows([], new A.Schema([]));
    const by = this.#manifest.partitionBy;
    const partSchema = new A.Schema(by.map((c) => {
      const f = (this.#schema ?? schema).fields.find((x) => x.name === c);
      if (!f) {
        return fail("Corruption", `Cannot read ${this.#io.name}: partition column ${c} unknown`);
      }
      return f;
    }));
    const partPreds: Predicate[] = [];
    for (const [col, p] of Object.entries(opts.partitions ?? {})) {
      if (!by.includes(col)) {
        return fail(
          "InvalidInput",
          `Cannot read ${this.#io.name}: ${col} is not a partition column`,
        );
      }
      partPreds.push(p);
    }
    let rowFilter = opts.filter;
    if (rowFilter && [...predicateColumns(rowFilter)].every((c) => by.includes(c))) {
      partPreds.push(rowFilter);
      rowFilter = undefined;
    }
    const files = this.#selectFiles(partSchema, partPreds);
    const outNames = opts.columns ?? schema.fields.map((f) => f.name);
    for (const c of outNames) {
      if (!schema.fields.some((f) => f.name === c)) {
        return fail(
          "InvalidInput",
          `Cannot read column ${JSON.stringify(c)} from ${this.#io.name}`,
        );
      }
    }
    const filterCols = rowFilter ? [...predicateColumns(rowFilter)] : [];
    const mixed = filterCols.some((c) => by.includes(c));
    const dataNames = [...new Set([...outNames, ...(mixed ? filterCols : [])])]
      .filter((c) => !by.includes(c));
    const dataSchema = new A.Schema(schema.fields.filter((f) => !by.includes(f.name)));
    const wide = new A.Schema(
      schema.fields.filter((f) => dataNames.includes(f.name) || by.includes(f.name)),
    );
    const batches: A.RecordBatch[] = [];
    for (const f of files) {
      const part = await readParquet(this.#io.source(f.path), {
        columns: dataNames,
        ...(rowFilter && !mixed ? { filter: rowFilter } : {}),
        ...(opts.schema ? { schema: dataSchema } : {}),
      });
      const b = combineBatches(part.toArrow());
      const n = b.numRows;
      const children = wide.fields.map((fld) => {
        if (by.includes(fld.name)) {
          const v = partitionValue(fld.type, f.values[fld.name] ?? null, fld.name);
          return buildData(fld.type, new Array(n).fill(v), fld.name);
        }
        return b.getChild(fld.name)!.data[0]!;
      });
      const struct = A.makeData({ type: new A.Struct(wide.fields), length: n, children });
      let batch = new A.RecordBatch(wide, struct);
      if (rowFilter && mixed) {
        batch = takeBatch(batch, matchBatch(compilePredicate(rowFilter, wide), batch));
      }
      if (batch.numRows) batches.push(batch);
    }
    const table = ColumnarTable.fromArrow(new A.Table(wide, batches));
    return table.project(outNames);
  }

  #selectFiles(partSchema: A.Schema, preds: Predicate[]): FileEntry[] {
    const files = this.#manifest.files;
    if (!preds.length || !files.length) return files;
    const rows = files.map((f) => {
      const r: Record<string, unknown> = {};
      for (const fld of partSchema.fields) {
        r[fld.name] = partitionValue(fld.type, f.values[fld.name] ?? null, fld.name);
      }
      return r;
    });
    const nullable = new A.Schema(partSchema.fields.map((f) => f.clone({ nullable: true })));
    const t = ColumnarTable.fromRows(rows, nullable);
    const batch = combineBatches(t.toArrow());
    const hit = matchBatch(compilePredicate({ and: preds }, nullable), batch);
    return Array.from(hit, (i) => files[i]!);
  }
}
