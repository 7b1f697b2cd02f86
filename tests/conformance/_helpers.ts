// Private helpers of the conformance suite: byte shorthands, collecting
// iterators and a store-per-test wrapper (the error-kind check is
// tests/_support/assert.ts).
import { deepStrictEqual, ok } from "node:assert/strict";
import { StoreError } from "../../core/error.ts";
import type { StoreConfig } from "../../core/config.ts";
import type { KvEntry, KvStore } from "../../core/kv.ts";
import type { ConformanceTarget } from "./target.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes from numbers. */
export function b(...bytes: number[]): Uint8Array {
  return new Uint8Array(bytes);
}

/** UTF-8 bytes of a string. */
export function u(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A readable form of bytes: the text when it is plain ASCII, else `0x…` hex. */
export function show(bytes: Uint8Array | undefined): string {
  if (bytes === undefined) return "<absent>";
  if (!(bytes instanceof Uint8Array)) return `<not bytes: ${typeof bytes}>`;
  if (bytes.every((c) => c >= 0x20 && c < 0x7f)) return JSON.stringify(decoder.decode(bytes));
  return "0x" + [...bytes].map((c) => c.toString(16).padStart(2, "0")).join("");
}

/** Entries as `key=value` strings, for readable comparisons. */
export function showEntries(entries: KvEntry[]): string[] {
  return entries.map(([k, v]) => `${show(k)}=${show(v)}`);
}

/** Asserts deep equality. */
export function eq<T>(actual: T, expected: T, message?: string): void {
  deepStrictEqual(actual, expected, message);
}

/** Asserts a condition. */
export function yes(condition: unknown, message: string): asserts condition {
  ok(condition, message);
}

/** Asserts `value` is a Uint8Array holding exactly `expected`. */
export function eqBytes(
  actual: Uint8Array | undefined,
  expected: Uint8Array | string | undefined,
  message?: string,
): void {
  const want = typeof expected === "string" ? u(expected) : expected;
  if (want !== undefined) {
    yes(
      actual instanceof Uint8Array,
      `${message ?? "value"}: expected a Uint8Array, got ${show(actual)}`,
    );
  }
  eq(show(actual), show(want), message);
}

/** Drains an iterator of entries, checking each is a pair of Uint8Arrays. */
export async function collect(iter: AsyncIterable<KvEntry>): Promise<KvEntry[]> {
  const out: KvEntry[] = [];
  for await (const entry of iter) {
    yes(Array.isArray(entry) && entry.length === 2, "a scan yields [key, value] pairs");
    yes(entry[0] instanceof Uint8Array, "scan keys are Uint8Array");
    yes(entry[1] instanceof Uint8Array, "scan values are Uint8Array");
    out.push([entry[0].slice(), entry[1].slice()]);
  }
  return out;
}

/** Drains a scan and shows it as `key=value` strings. */
export async function scan(iter: AsyncIterable<KvEntry>): Promise<string[]> {
  return showEntries(await collect(iter));
}

/** Drains a key iterator. */
export async function collectKeys(iter: AsyncIterable<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of iter) {
    yes(key instanceof Uint8Array, "keys() yields Uint8Array");
    out.push(show(key));
  }
  return out;
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Closes a store, ignoring a store that is already closed. */
export async function closeQuietly(store: KvStore): Promise<void> {
  try {
    await store.close();
  } catch (err) {
    if (!(err instanceof StoreError && err.kind === "Closed")) throw err;
  }
}

/** What a case gets: the target and a way to open (and later close) stores. */
export interface CaseContext {
  target: ConformanceTarget;
  /** Opens a fresh store; the runner closes it after the case. */
  open(config?: StoreConfig): Promise<KvStore>;
  /** Reopens the last store `open` created; the runner closes it after the case. */
  reopen(config?: StoreConfig): Promise<KvStore>;
  /** A path for a backup file, inside a temp dir the runner removes. */
  tempPath(name: string): Promise<string>;
}

/** One behaviour group of the suite. */
export interface Case {
  /** Stable id, used as the key of `ConformanceTarget.skip`. */
  id: string;
  /** What the test name says. */
  title: string;
  /** Needs `target.reopen` (file targets). */
  needsReopen?: boolean;
  run(ctx: CaseContext): Promise<void>;
}

/** Runs one case with stores that are closed and a target that is cleaned up afterwards. */
export async function runCase(target: ConformanceTarget, c: Case): Promise<void> {
  const stores: KvStore[] = [];
  let dir: string | undefined;
  const ctx: CaseContext = {
    target,
    async open(config?: StoreConfig) {
      const store = await target.open(config);
      stores.push(store);
      return store;
    },
    async reopen(config?: StoreConfig) {
      if (!target.reopen) throw new Error(`${target.name} has no reopen()`);
      const store = await target.reopen(config);
      stores.push(store);
      return store;
    },
    async tempPath(name: string) {
      dir ??= await Deno.makeTempDir({ prefix: "oxistore-conformance-" });
      return `${dir}/${name}`;
    },
  };
  try {
    await c.run(ctx);
  } finally {
    for (const s of stores.reverse()) await closeQuietly(s);
    await target.cleanup?.();
    if (dir) await Deno.remove(dir, { recursive: true });
  }
}
