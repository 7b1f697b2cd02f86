// The set of versions: the current one, the file-number counter, the oldest
// WAL still needed, and the manifest that makes every change durable. A table
// whose last version goes away is closed and its file deleted.
import { compareBytes } from "../../core/bytes.ts";
import { StoreError } from "../../core/error.ts";
import { Mutex } from "../../core/mutex.ts";
import type { BlockCache } from "./_block_cache.ts";
import type { LsmFs } from "./_fs.ts";
import { encodeManifest, MANIFEST_NAME, type ManifestState } from "./_manifest.ts";
import { tableName, TableReader } from "./_table_reader.ts";
import type { TableMeta } from "./_table_writer.ts";
import { Table, Version } from "./_version.ts";

/** Owns the live versions and the manifest of one store. */
export class VersionSet {
  readonly #fs: LsmFs;
  readonly #cache: BlockCache;
  readonly #onChange: () => void;
  /** Every open table, for close. */
  readonly #open = new Set<Table>();
  /** Edits are applied one at a time (flushes and compactions run concurrently). */
  readonly #edit = new Mutex();
  current: Version = new Version([]);
  nextFile = 1;
  logNumber = 0;
  /** The manifest edit `current` is. */
  edit = 0;
  closed = false;
  /**
   * Deletes a table file no version here holds any more (the engine defers
   * it while another opener may still read it).
   */
  obsolete: (name: string) => void = (name) => this.#fs.remove(name);

  constructor(fs: LsmFs, cache: BlockCache, onChange: () => void) {
    this.#fs = fs;
    this.#cache = cache;
    this.#onChange = onChange;
    this.current.refs++;
  }

  #openTable(meta: TableMeta): Table {
    const name = tableName(meta.number);
    const t = new Table(
      meta,
      new TableReader(this.#fs.open(name, false), meta.number, name, this.#cache),
    );
    this.#open.add(t);
    return t;
  }

  /** Opens the tables a manifest lists and makes them current. */
  load(state: ManifestState): void {
    const levels = this.#tables(state);
    this.current = new Version(levels, state.edit);
    this.current.refs++;
    this.logNumber = state.logNumber;
    this.nextFile = state.nextFile;
    this.edit = state.edit;
  }

  /**
   * Makes a newer manifest another opener wrote current: tables open already
   * stay open, the others open now (the caller's pin keeps them on disk).
   */
  reload(state: ManifestState): void {
    const have = new Map<number, Table>();
    for (const level of this.current.levels) for (const t of level) have.set(t.meta.number, t);
    const levels = this.#tables(state, have);
    const next = new Version(levels, state.edit);
    next.refs++;
    const old = this.current;
    this.current = next;
    this.logNumber = state.logNumber;
    if (state.nextFile > this.nextFile) this.nextFile = state.nextFile;
    this.edit = state.edit;
    this.unref(old);
    this.#onChange();
  }

  #tables(state: ManifestState, have?: Map<number, Table>): Table[][] {
    const levels: Table[][] = [];
    for (const metas of state.levels) {
      const level: Table[] = [];
      for (const meta of metas) {
        const open = have?.get(meta.number);
        if (open !== undefined) {
          level.push(open);
          continue;
        }
        if (!this.#fs.exists(tableName(meta.number))) {
          throw new StoreError(
            "Corruption",
            `Cannot open LSM store at ${this.#fs.path}: table ${
              tableName(meta.number)
            } listed in the manifest is missing`,
          );
        }
        level.push(this.#openTable(meta));
      }
      levels.push(level);
    }
    return levels;
  }

  /** Drops one reference; tables no version holds any more are closed and deleted. */
  unref(v: Version): void {
    if (--v.refs > 0) return;
    for (const level of v.levels) {
      for (const t of level) {
        if (--t.refs > 0) continue;
        this.#cache.evictTable(t.meta.number, t.reader.cachedBlocks);
        t.reader.close();
        this.#open.delete(t);
        if (!this.closed) {
          try {
            this.obsolete(t.reader.name);
          } catch { /* removed again at next open */ }
        }
      }
    }
  }

  /**
   * Applies a version edit (tables added per level, tables removed) and
   * persists it; the fsyncs of the manifest run off the main thread.
   */
  install(
    add: [number, TableMeta | Table][],
    remove: Set<Table>,
    logNumber?: number,
  ): Promise<void> {
    return this.#edit.run(() => this.#install(add, remove, logNumber));
  }

  async #install(
    add: [number, TableMeta | Table][],
    remove: Set<Table>,
    logNumber?: number,
  ): Promise<void> {
    const cur = this.current.levels;
    const levels: Table[][] = [];
    const depth = Math.max(cur.length, ...add.map(([l]) => l + 1));
    for (let l = 0; l < depth; l++) levels.push((cur[l] ?? []).filter((t) => !remove.has(t)));
    const added: Table[] = [];
    try {
      for (const [l, m] of add) {
        const t = m instanceof Table ? m : this.#openTable(m);
        if (!(m instanceof Table)) added.push(t);
        if (l === 0) levels[0]!.unshift(t);
        else levels[l]!.push(t);
      }
      for (let l = 1; l < levels.length; l++) {
        levels[l]!.sort((a, b) => compareBytes(a.meta.smallest, b.meta.smallest));
      }
      while (levels.length > 1 && levels[levels.length - 1]!.length === 0) levels.pop();
      const state: ManifestState = {
        nextFile: this.nextFile,
        logNumber: logNumber ?? this.logNumber,
        levels: levels.map((level) => level.map((t) => t.meta)),
        edit: this.edit + 1,
      };
      await this.#fs.writeFileAtomicAsync(MANIFEST_NAME, encodeManifest(state));
    } catch (err) {
      for (const t of added) {
        t.reader.close();
        this.#open.delete(t);
      }
      throw err;
    }
    if (logNumber !== undefined) this.logNumber = logNumber;
    this.edit++;
    const next = new Version(levels, this.edit);
    next.refs++;
    const old = this.current;
    this.current = next;
    this.unref(old);
    this.#onChange();
  }

  /** Closes every open table (files stay). */
  close(): void {
    this.closed = true;
    for (const t of this.#open) t.reader.close();
    this.#open.clear();
  }
}
