/**
 * What the blob conformance cases share: the case shape, assertions and
 * data helpers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { assertRejectsKind as expectKind } from "../_support/assert.ts";
import { randomBytes as pseudoRandom } from "../_support/random.ts";
import { type BlobMeta, type BlobStore, sha256 } from "../../blob/mod.ts";

/** One behaviour of the BlobStore contract, run on a fresh, empty store. */
export interface BlobCase {
  /** Stable id, used in a target's `skip`. */
  id: string;
  /** What the behaviour is, as the test's name says it. */
  title: string;
  /** Runs the behaviour against `store` (closed and cleaned up by the runner). */
  run(store: BlobStore): Promise<void>;
}

/** UTF-8 encoder and decoder shared by the cases. */
export const enc = new TextEncoder();
export const dec = new TextDecoder();

// The error-kind check and the seeded bytes are the tests' shared ones
// (tests/_support); the names are the ones this suite's cases use.
export { expectKind, pseudoRandom };

/** A stream yielding the given chunks. */
export function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      const next = chunks[i++];
      if (next === undefined) c.close();
      else c.enqueue(next);
    },
  });
}

/** Reads a stream fully. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function listAll(
  store: BlobStore,
  prefix: string | undefined,
  opts: { delimiter?: string; limit?: number } = {},
): Promise<{ keys: string[]; prefixes: string[]; pages: number }> {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.list(prefix, cursor === undefined ? opts : { ...opts, cursor });
    pages++;
    assert.ok(pages < 1000, "list did not terminate");
    keys.push(...page.items.map((m) => m.key));
    prefixes.push(...page.prefixes);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { keys, prefixes, pages };
}

export function checkMeta(meta: BlobMeta, key: string, data: Uint8Array): void {
  assert.equal(meta.key, key);
  assert.equal(meta.size, data.length);
  assert.equal(meta.digest, sha256(data).hex);
  assert.equal(typeof meta.etag, "string");
  assert.ok(meta.etag.length > 0, "etag is empty");
  assert.ok(meta.lastModified instanceof Date && !isNaN(meta.lastModified.getTime()));
  assert.equal(typeof meta.metadata, "object");
}

export const BAD_KEYS = [
  "",
  "/abs",
  "a//b",
  "a/../b",
  "..",
  ".",
  "a/./b",
  "../escape",
  "a\\b",
  "a\u0000b",
  "tab\there",
  "trailing/",
  "x".repeat(1025),
  "lone\ud800surrogate",
];

export const GOOD_KEYS = [
  "plain",
  "dir with space/file name.txt",
  "a%20b",
  "tilde~x",
  "unicode/ü/日本.txt",
  "emoji/😀",
  ".hidden/.file",
  "a/b.c-d_e+f=g@h,i;j",
  "UPPER/lower",
  "...dots",
];

export function breaker(): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(_chunk, c) {
      c.error(new Error("broken pipe"));
    },
  });
}

export function byteOrder(a: string, b: string): number {
  const x = enc.encode(a);
  const y = enc.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}
