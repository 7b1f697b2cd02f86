/**
 * Typed keys and values: {@link TypedKvStore} stores values of a type through
 * a {@link TypedCodec} ({@link JsonCodec}, {@link BinaryCodec}) under tuple
 * keys encoded by {@link encodeKey}, whose byte order is Deno KV's tuple
 * order, so `list({ prefix })` works on any engine.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { BinaryCodec, TypedKvStore } from "@cooljapan/oxistore/typed";
 * import { openInMemory } from "@cooljapan/oxistore";
 * await using events = new TypedKvStore<[string, bigint], { at: Date }>(
 *   await openInMemory("denokv"),
 *   { codec: new BinaryCodec() },
 * );
 * await events.put(["event", 1n], { at: new Date(0) });
 * strictEqual((await events.get(["event", 1n]))?.at instanceof Date, true);
 * ```
 *
 * @module
 */
export {
  type TypedEntry,
  TypedKvStore,
  type TypedKvStoreOptions,
  type TypedListOptions,
} from "./typed_kv_store.ts";
export { BinaryCodec, JsonCodec, type TypedCodec } from "./codecs.ts";
export { decodeKey, encodeKey, type KeyPart, type TupleKey } from "./tuple_key.ts";
export { TypedKvError } from "./typed_kv_error.ts";
