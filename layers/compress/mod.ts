/**
 * Compression: {@link CompressedKv} compresses values in front of any
 * KvStore, with a codec registry (`none`, `deflate`, `gzip`, `zlib`, `lz4`);
 * each value records the codec that made it. The LZ4 block codec (plain
 * TypeScript, shared with the LSM engine's table blocks) is exported on its own too.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { CompressedKv } from "@cooljapan/oxistore/compress";
 * import { openInMemory } from "@cooljapan/oxistore";
 * await using store = new CompressedKv(await openInMemory("denokv"), { codec: "deflate" });
 * const text = "a long and repetitive value, a long and repetitive value";
 * await store.put("k", text);
 * strictEqual(new TextDecoder().decode(await store.get("k")), text);
 * ```
 *
 * @module
 */
export { CompressedKv, type CompressedKvOptions } from "./compressed_kv.ts";
export { type Codec, codecByName, codecByTag, type CodecName, CODECS } from "./codecs.ts";
export { lz4CompressBlock, lz4DecompressBlock, lz4MaxCompressedSize } from "../../core/lz4.ts";
export {
  TransformedKv,
  type TransformedKvOptions,
  type ValueTransform,
} from "../transformed_kv.ts";
