/**
 * The contracts every oxistore family shares: bytes, errors, TTLs, config,
 * the KvStore interfaces and the engine contract with its generic store.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { compareBytes, toBytes } from "@cooljapan/oxistore";
 * strictEqual(compareBytes(toBytes("a"), toBytes("b")), -1);
 * ```
 *
 * @module
 */
export * from "./bytes.ts";
export * from "./config.ts";
export * from "./crc32.ts";
export * from "./engine.ts";
export * from "./engine_store.ts";
export * from "./error.ts";
export * from "./kv.ts";
export * from "./ttl.ts";
export { RAW_USER_HI, RAW_USER_LO } from "./keyspace.ts";
