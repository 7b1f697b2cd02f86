// Where a replica's pieces live on the target, and how to read them back:
//
//   <prefix>/lease                         who replicates now (JSON, conditional writes)
//   <prefix>/gen/<gen>/snap/<seq>-<time>    a snapshot: the portable backup format
//   <prefix>/gen/<gen>/seg/<first>-<last>-<firstTime>-<lastTime>
//                                          commits first..last, in order
//
// Numbers are zero-padded decimals so names sort in order. A generation id
// starts with its creation time, so generations sort by age.
import type { BlobStore } from "../blob/types.ts";
import { StoreError } from "../core/error.ts";
import { toHex } from "../core/encoding.ts";

/** A replica's location: any blob store, and a key prefix inside it. */
export interface ReplicaTarget {
  /** Any `BlobStore`: S3, GCS, Azure, local files, memory. */
  store: BlobStore;
  /** The key prefix every piece of the replica goes under (no leading or trailing `/`). */
  prefix: string;
}

/** A snapshot blob: the whole store as of commit `seq`. */
export interface SnapshotRef {
  key: string;
  seq: number;
  timeMs: number;
}

/** A segment blob: commits `first..last`, stamped `firstTime..lastTime`. */
export interface SegmentRef {
  key: string;
  first: number;
  last: number;
  firstTime: number;
  lastTime: number;
}

/** Everything one generation holds, in order. */
export interface Generation {
  id: string;
  snapshots: SnapshotRef[];
  segments: SegmentRef[];
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** Checks and normalises a target; `InvalidInput` naming `op` otherwise. */
export function checkTarget(target: unknown, op: string): ReplicaTarget {
  const t = target as ReplicaTarget | undefined;
  if (
    typeof t !== "object" || t === null || typeof t.store?.put !== "function" ||
    typeof t.prefix !== "string" || t.prefix === "" || t.prefix.startsWith("/") ||
    t.prefix.endsWith("/")
  ) {
    throw new StoreError(
      "InvalidInput",
      `Cannot ${op}: expected a target { store: BlobStore, prefix: "a/b" } (a non-empty prefix ` +
        `without a leading or trailing '/')`,
    );
  }
  return t;
}

/** Describes a target for messages. */
export function where(t: ReplicaTarget): string {
  return `replica ${t.prefix}`;
}

export const leaseKey = (t: ReplicaTarget): string => `${t.prefix}/lease`;

/** A new generation id: creation time first, so ids sort by age. */
export function newGenerationId(now = Date.now()): string {
  const rand = crypto.getRandomValues(new Uint8Array(4));
  return `${pad(now, 15)}-${toHex(rand)}`;
}

export function snapshotKey(t: ReplicaTarget, gen: string, seq: number, timeMs: number): string {
  return `${t.prefix}/gen/${gen}/snap/${pad(seq, 16)}-${pad(timeMs, 15)}`;
}

export function segmentKey(
  t: ReplicaTarget,
  gen: string,
  first: number,
  last: number,
  firstTime: number,
  lastTime: number,
): string {
  return `${t.prefix}/gen/${gen}/seg/${pad(first, 16)}-${pad(last, 16)}-${pad(firstTime, 15)}-${
    pad(lastTime, 15)
  }`;
}

async function listAll(store: BlobStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list(prefix, cursor ? { cursor, limit: 1000 } : { limit: 1000 });
    for (const item of page.items) keys.push(item.key);
    cursor = page.cursor;
  } while (cursor);
  return keys;
}

/**
 * Every generation of the replica (oldest first) with its snapshots and
 * segments in order. Names that don't parse are ignored (they are not ours).
 */
export async function listGenerations(t: ReplicaTarget): Promise<Generation[]> {
  const base = `${t.prefix}/gen/`;
  const gens = new Map<string, Generation>();
  for (const key of await listAll(t.store, base)) {
    const parts = key.slice(base.length).split("/");
    if (parts.length !== 3) continue;
    const [id, kind, name] = parts as [string, string, string];
    const nums = name.split("-").map(Number);
    if (nums.some((n) => !Number.isSafeInteger(n))) continue;
    let g = gens.get(id);
    if (!g) gens.set(id, g = { id, snapshots: [], segments: [] });
    if (kind === "snap" && nums.length === 2) {
      g.snapshots.push({ key, seq: nums[0]!, timeMs: nums[1]! });
    } else if (kind === "seg" && nums.length === 4) {
      const [first, last, firstTime, lastTime] = nums as [number, number, number, number];
      g.segments.push({ key, first, last, firstTime, lastTime });
    }
  }
  const out = [...gens.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const g of out) {
    g.snapshots.sort((a, b) => a.seq - b.seq);
    g.segments.sort((a, b) => a.first - b.first);
  }
  return out;
}

/**
 * The segments that carry commits after `seq`, checked to follow on without
 * a gap; `Corruption` when one is missing.
 */
export function segmentsAfter(g: Generation, seq: number, name: string): SegmentRef[] {
  const out: SegmentRef[] = [];
  let next = seq + 1;
  for (const s of g.segments) {
    if (s.last < next) continue;
    if (s.first !== next) {
      throw new StoreError(
        "Corruption",
        `Cannot read ${name}: generation ${g.id} lacks commits ${next}..${s.first - 1}`,
      );
    }
    out.push(s);
    next = s.last + 1;
  }
  return out;
}
