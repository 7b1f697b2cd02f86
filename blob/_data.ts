/**
 * Normalising `BlobData` (bytes, string or stream) for backends: collect it
 * into bytes, or view it as a stream. Shared by every backend.
 *
 * @module
 */
import { StoreError, toStoreError } from "../core/error.ts";
import type { BlobData } from "./types.ts";

const encoder = new TextEncoder();

/** Whether the value is a ReadableStream (not bytes or a string). */
export function isStream(data: BlobData): data is ReadableStream<Uint8Array> {
  return typeof data === "object" && data !== null && data instanceof ReadableStream;
}

/** Rejects anything that is not bytes, a string or a ReadableStream. */
export function checkData(data: BlobData, op: string): void {
  if (typeof data === "string" || data instanceof Uint8Array || isStream(data)) return;
  throw new StoreError(
    "InvalidInput",
    `Cannot ${op}: data must be a Uint8Array, a string or a ReadableStream`,
  );
}

/** Bytes of a chunk given to a write (strings are UTF-8). */
export function chunkBytes(chunk: Uint8Array | string, op: string): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === "string") return encoder.encode(chunk);
  throw new StoreError("InvalidInput", `Cannot ${op}: a chunk must be a Uint8Array or string`);
}

/** Collects the data into one byte array (streams are read to the end). */
export async function collectData(data: BlobData, op: string): Promise<Uint8Array> {
  checkData(data, op);
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of data) {
      const bytes = chunkBytes(chunk, op);
      parts.push(bytes);
      total += bytes.length;
    }
  } catch (err) {
    throw toStoreError(err, `${op}: reading the source stream`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Iterates the data as chunks without collecting it. */
export async function* iterateData(data: BlobData, op: string): AsyncGenerator<Uint8Array> {
  checkData(data, op);
  if (typeof data === "string") {
    yield encoder.encode(data);
    return;
  }
  if (data instanceof Uint8Array) {
    yield data;
    return;
  }
  try {
    for await (const chunk of data) yield chunkBytes(chunk, op);
  } catch (err) {
    throw toStoreError(err, `${op}: reading the source stream`);
  }
}

/** A one-chunk stream over bytes. */
export function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/**
 * Validates a `getStream` range against a size; returns the clamped `[start, end)`.
 * `start` past the end gives an empty range; negative or non-integer → InvalidInput.
 */
export function resolveRange(
  range: { start: number; end?: number } | undefined,
  size: number,
  op: string,
): [number, number] {
  if (range === undefined) return [0, size];
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0) {
    throw new StoreError("InvalidInput", `Cannot ${op}: range start must be an integer ≥ 0`);
  }
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
    throw new StoreError(
      "InvalidInput",
      `Cannot ${op}: range end must be an integer ≥ start (${start})`,
    );
  }
  const s = Math.min(start, size);
  const e = Math.min(end ?? size, size);
  return [s, Math.max(s, e)];
}
