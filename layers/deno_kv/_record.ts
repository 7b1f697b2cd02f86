// Private: how one Deno KV entry and the bookkeeping live in the underlying KvStore's tree.
//
// Entry keys are the encoded tuple keys themselves (they start with a type byte 0x01..0x27);
// bookkeeping keys start with 0x00, so no entry key can collide with them and a list never
// reaches them. An entry's stored value is a record:
//   [flags: 1][versionstamp: 10][expires-at ms, f64 LE: 8 if flags & 1][encoded value]

import { toHex } from "../../core/encoding.ts";

const HAS_EXPIRY = 1;
const VS_BYTES = 10;

/** The durable commit counter (one per store): versionstamps come from it. */
export const COUNTER_KEY: Uint8Array = Uint8Array.of(0x00, 0x01);
/** Queue messages waiting for delivery: `00 02 ready-at(8, BE) id(10)`. */
export const QUEUE_READY_PREFIX: Uint8Array = Uint8Array.of(0x00, 0x02);
/** Queue messages being delivered: `00 03 id(10)`. */
export const QUEUE_LEASED_PREFIX: Uint8Array = Uint8Array.of(0x00, 0x03);
/** Where entries start (the lowest type byte); bookkeeping sorts before it. */
export const ENTRIES_START: Uint8Array = Uint8Array.of(0x01);
/** Where entries end (above every type byte). */
export const ENTRIES_END: Uint8Array = Uint8Array.of(0xff);

/** The 10 versionstamp bytes of commit number `n`: 8 bytes of `n`, 2 bytes of 0 (as Deno). */
export function versionstampBytes(n: number): Uint8Array {
  const b = new Uint8Array(VS_BYTES);
  writeU64(b, n);
  return b;
}

// Commit counters and due times stay below 2^53: plain numbers, no BigInt allocation per commit.
const TWO_32 = 2 ** 32;

/** Writes a whole number below 2^53 as 8 big-endian bytes at the start of `b`. */
export function writeU64(b: Uint8Array, n: number): void {
  const dv = new DataView(b.buffer, b.byteOffset, 8);
  dv.setUint32(0, Math.floor(n / TWO_32));
  dv.setUint32(4, n >>> 0);
}

/** The 8 big-endian bytes at the start of `b` as a number (exact below 2^53). */
export function readU64(b: Uint8Array): number {
  const dv = new DataView(b.buffer, b.byteOffset, 8);
  return dv.getUint32(0) * TWO_32 + dv.getUint32(4);
}

/** 20 lowercase hex characters, as Deno KV shows versionstamps. */
export function versionstampText(b: Uint8Array, at = 0): string {
  return toHex(b.subarray(at, at + VS_BYTES));
}

/** An entry's stored record. */
export function encodeRecord(
  versionstamp: Uint8Array,
  expiresAt: number | undefined,
  value: Uint8Array,
): Uint8Array {
  const head = 1 + VS_BYTES + (expiresAt === undefined ? 0 : 8);
  const out = new Uint8Array(head + value.length);
  out.set(versionstamp, 1);
  if (expiresAt !== undefined) {
    out[0] = HAS_EXPIRY;
    new DataView(out.buffer).setFloat64(1 + VS_BYTES, expiresAt, true);
  }
  out.set(value, head);
  return out;
}

/** Bytes a value encoded for a record leaves free in front: the longest header. */
export const RECORD_ROOM = 1 + VS_BYTES + 8;

/**
 * The record of a value encoded after {@link RECORD_ROOM} free bytes, made by writing the header
 * into those bytes (no copy of the value): a view of `roomy`, which the caller gives up.
 */
export function sealRecord(
  roomy: Uint8Array,
  versionstamp: Uint8Array,
  expiresAt: number | undefined,
): Uint8Array {
  if (expiresAt === undefined) {
    const at = RECORD_ROOM - 1 - VS_BYTES;
    roomy[at] = 0;
    roomy.set(versionstamp, at + 1);
    return roomy.subarray(at);
  }
  roomy[0] = HAS_EXPIRY;
  roomy.set(versionstamp, 1);
  new DataView(roomy.buffer, roomy.byteOffset, roomy.byteLength).setFloat64(
    1 + VS_BYTES,
    expiresAt,
    true,
  );
  return roomy;
}

/** When the record expires (epoch ms), or undefined. */
export function recordExpiresAt(rec: Uint8Array): number | undefined {
  if ((rec[0]! & HAS_EXPIRY) === 0) return undefined;
  return new DataView(rec.buffer, rec.byteOffset, rec.byteLength).getFloat64(1 + VS_BYTES, true);
}

/** False once the record's expiry has passed (the engine may not have removed it yet). */
export function recordIsLive(rec: Uint8Array, now: number): boolean {
  if ((rec[0]! & HAS_EXPIRY) === 0) return true;
  return recordExpiresAt(rec)! > now;
}

// The last versionstamp made into text, and its bytes: the entries of a list often come from one
// commit (one versionstamp), so comparing 10 bytes saves building and hex-formatting a string.
const lastStamp = new Uint8Array(VS_BYTES);
let lastStampText = "";

/** The record's versionstamp as text. */
export function recordVersionstamp(rec: Uint8Array): string {
  let k = 0;
  while (k < VS_BYTES && rec[1 + k] === lastStamp[k]) k++;
  if (k === VS_BYTES && lastStampText !== "") return lastStampText;
  lastStamp.set(rec.subarray(1, 1 + VS_BYTES));
  return lastStampText = versionstampText(rec, 1);
}

/** The encoded value inside a record. */
export function recordValue(rec: Uint8Array): Uint8Array {
  return rec.subarray(recordValueAt(rec));
}

/** Where a record's encoded value starts (to decode it in place, without a view). */
export function recordValueAt(rec: Uint8Array): number {
  return (rec[0]! & HAS_EXPIRY) === 0 ? 1 + VS_BYTES : 1 + VS_BYTES + 8;
}

/** Big-endian 8 bytes of a non-negative integer below 2^53 (ready-at times). */
export function u64be(n: number): Uint8Array {
  const b = new Uint8Array(8);
  writeU64(b, Math.max(0, Math.floor(n)));
  return b;
}

/** Concatenation. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}
