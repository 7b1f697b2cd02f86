// Private to the Deno KV engine: where oxistore's records live inside Deno KV,
// and the pure half of a commit — turning raw ops into Deno KV writes and
// checking them against Deno KV's limits before anything is sent.
import type { RawOp } from "../../core/engine.ts";
import { StoreError } from "../../core/error.ts";
import { keyId } from "../../core/_views.ts";
import { longKeyId, SPLIT } from "./_long_keys.ts";

/** Values up to this many bytes are stored inline. */
export const INLINE_LIMIT = 60_000;
/** Bytes per chunk of a larger value. */
export const CHUNK = 60_000;
/** Deno KV's cap on mutations plus checks in one atomic commit. */
export const MAX_MUTATIONS = 1000;
/** Deno KV's cap on the bytes of one atomic commit. */
export const MAX_MUTATION_BYTES = 819_200;
/** Namespace of short raw keys (and long-key buckets). */
export const NS = "oxi";
const LONG_NS = "oxl";
/** Namespace of value chunks: `[CHUNK_NS, id, i]`. */
export const CHUNK_NS = "oxc";
/** Set once any chunked value was written. */
export const META_CHUNKED: Deno.KvKey = ["oxm", "chunked"];

/** Stands in for a chunked value: its chunks live at `[CHUNK_NS, id, i]`. */
export interface Descriptor {
  id: string;
  size: number;
  /** The first bytes of the value (its TTL header), for keys-only scans. */
  head: Uint8Array;
}

/** True when a Deno KV value is a chunked value's descriptor. */
export function isDescriptor(v: unknown): v is Descriptor {
  return typeof v === "object" && v !== null && !(v instanceof Uint8Array) &&
    typeof (v as Descriptor).id === "string";
}

/** How many chunks a value of `size` bytes takes. */
export function chunkCount(size: number): number {
  return Math.ceil(size / CHUNK);
}

/** Where the value of `key` lives in Deno KV. */
export function valueKey(key: Uint8Array): Deno.KvKey | Promise<Deno.KvKey> {
  // Short keys (nearly all) answer synchronously: no await per key in a batch.
  return key.length <= SPLIT ? [NS, key] : longKeyId(key).then((id) => [LONG_NS, id]);
}

/** The bucket holding the tails of long keys that start with `head`. */
export function bucketKey(head: Uint8Array): Deno.KvKey {
  return [NS, head, 0];
}

/** A chunked value's chunks, to write before (or with) its descriptor. */
export interface Chunks {
  descriptor: Descriptor;
  bytes: Uint8Array;
  expiresAt: number | undefined;
}

/** A value ready for an atomic set, and chunks to write before it. */
export interface Prepared {
  value: Uint8Array | Descriptor;
  chunks?: Chunks;
  /** Bytes it adds to the commit. */
  size: number;
}

/** Inline bytes as they are, or a descriptor plus the chunks to write. */
export function prepare(bytes: Uint8Array, expiresAt: number | undefined): Prepared {
  if (bytes.length <= INLINE_LIMIT) return { value: bytes, size: bytes.length };
  const descriptor = { id: crypto.randomUUID(), size: bytes.length, head: bytes.slice(0, 9) };
  return { value: descriptor, chunks: { descriptor, bytes, expiresAt }, size: 100 };
}

/** One Deno KV write of a commit; `prepared` undefined deletes. */
export interface PlannedWrite {
  key: Deno.KvKey;
  prepared: Prepared | undefined;
  expiresAt?: number | undefined;
}

/** What one `apply` will write. */
export interface CommitPlan {
  /** The last op per raw key, in order (what the cache learns after commit). */
  ops: RawOp[];
  /** Value and bucket writes. */
  writes: PlannedWrite[];
  /** Inline bytes of the writes' keys and values. */
  bytes: number;
}

/** The last write to each key wins: Deno KV wants each key once per commit. */
export function lastPerKey(ops: RawOp[]): RawOp[] {
  const last = new Map<string, RawOp>();
  for (const op of ops) {
    const id = keyId(op.key);
    last.delete(id);
    last.set(id, op);
  }
  return [...last.values()];
}

/** Approximate encoded size of a Deno KV key. */
export function keySize(key: Deno.KvKey): number {
  let n = 0;
  for (const part of key) n += part instanceof Uint8Array ? part.length * 2 + 2 : 16;
  return n;
}

/** Inline bytes of the writes' keys and values. */
export function planBytes(writes: PlannedWrite[]): number {
  let bytes = 0;
  for (const w of writes) bytes += keySize(w.key) + (w.prepared?.size ?? 0);
  return bytes;
}

/** Throws `CapacityExceeded` when the plan cannot be one atomic Deno KV commit. */
export function checkLimits(plan: CommitPlan, path: string): void {
  const n = plan.writes.length;
  if (n > MAX_MUTATIONS) {
    throw new StoreError(
      "CapacityExceeded",
      `Cannot commit ${n} writes to Deno KV store at ${path}: ` +
        `one atomic commit takes at most ${MAX_MUTATIONS}; split the batch`,
    );
  }
  if (plan.bytes > MAX_MUTATION_BYTES) {
    throw new StoreError(
      "CapacityExceeded",
      `Cannot commit ${plan.bytes} bytes to Deno KV store at ${path} at once: one atomic ` +
        `commit takes at most ${MAX_MUTATION_BYTES} bytes of inline keys and values; split the batch`,
    );
  }
}

/** Which chunk writes and deletions ride in the main commit. */
export interface ChunkLayout {
  /** New chunks go in the main commit (one sync) instead of commits of their own. */
  together: boolean;
  /** Chunks of replaced values are deleted in the main commit, not after it. */
  dropStale: boolean;
}

/** Puts as much chunk work into the main commit as Deno KV's limits allow. */
export function chunkLayout(plan: CommitPlan, checks: number, stale: Descriptor[]): ChunkLayout {
  let chunkBytes = 0, chunks = 0;
  for (const w of plan.writes) {
    const c = w.prepared?.chunks;
    if (c) {
      chunkBytes += c.bytes.length + 64 * chunkCount(c.bytes.length);
      chunks += chunkCount(c.bytes.length);
    }
  }
  const mutations = plan.writes.length + checks + chunks;
  const together = plan.bytes + chunkBytes <= MAX_MUTATION_BYTES && mutations <= MAX_MUTATIONS;
  let staleChunks = 0;
  for (const d of stale) staleChunks += chunkCount(d.size);
  return { together, dropStale: together && mutations + staleChunks <= MAX_MUTATIONS };
}
