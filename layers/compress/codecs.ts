/**
 * The codec registry of the compression layer. Each codec has a stable
 * one-byte tag written in front of every stored value, so a store can mix
 * values written with different codecs and still read them all.
 *
 * @module
 */
import { deflateSync, gunzipSync, gzipSync, inflateSync, unzlibSync, zlibSync } from "fflate";
import { MAX_VALUE_BYTES } from "../../core/bytes.ts";
import { StoreError } from "../../core/error.ts";
import { lz4CompressBlock, lz4DecompressBlock } from "../../core/lz4.ts";
import { ByteWriter } from "../../core/byte_writer.ts";

/** Names of the built-in codecs. */
export type CodecName = "none" | "deflate" | "gzip" | "zlib" | "lz4";

/** A compression codec. */
export interface Codec {
  /** Its name in `CompressedKv` options. */
  readonly name: CodecName;
  /** The byte stored in front of each value it made; never changes. */
  readonly tag: number;
  /** Compresses bytes. */
  compress(data: Uint8Array): Uint8Array;
  /** Decompresses bytes; bad input throws `Corruption`. */
  decompress(data: Uint8Array): Uint8Array;
}

function guarded(
  name: CodecName,
  fn: (d: Uint8Array) => Uint8Array,
): (d: Uint8Array) => Uint8Array {
  return (d) => {
    try {
      return fn(d);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(
        "Corruption",
        `Cannot decompress a ${name} value: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  };
}

/** LZ4 payload: LEB128 decompressed length, then one LZ4 block. */
function lz4Compress(data: Uint8Array): Uint8Array {
  const block = lz4CompressBlock(data);
  const out = new ByteWriter(block.length + 8);
  out.varint(data.length);
  out.bytes(block);
  return out.copy();
}

function lz4Decompress(data: Uint8Array): Uint8Array {
  let size = 0;
  let i = 0;
  for (let shift = 1;; shift *= 128) {
    if (i >= data.length || i >= 5) {
      throw new StoreError("Corruption", "Cannot decompress an lz4 value: bad length header");
    }
    const b = data[i++]!;
    size += (b & 0x7f) * shift;
    if ((b & 0x80) === 0) break;
  }
  if (size > MAX_VALUE_BYTES) {
    throw new StoreError(
      "Corruption",
      `Cannot decompress an lz4 value: declared size ${size} exceeds the value limit`,
    );
  }
  return lz4DecompressBlock(data.subarray(i), size);
}

/** The built-in codecs by name. Tags: none 0, deflate 1, gzip 2, zlib 3, lz4 4. */
export const CODECS: Readonly<Record<CodecName, Codec>> = Object.freeze({
  none: { name: "none", tag: 0, compress: (d: Uint8Array) => d, decompress: (d: Uint8Array) => d },
  deflate: {
    name: "deflate",
    tag: 1,
    compress: (d: Uint8Array) => deflateSync(d),
    decompress: guarded("deflate", (d) => inflateSync(d)),
  },
  gzip: {
    name: "gzip",
    tag: 2,
    compress: (d: Uint8Array) => gzipSync(d),
    decompress: guarded("gzip", (d) => gunzipSync(d)),
  },
  zlib: {
    name: "zlib",
    tag: 3,
    compress: (d: Uint8Array) => zlibSync(d),
    decompress: guarded("zlib", (d) => unzlibSync(d)),
  },
  lz4: { name: "lz4", tag: 4, compress: lz4Compress, decompress: guarded("lz4", lz4Decompress) },
});

const BY_TAG: (Codec | undefined)[] = [];
for (const c of Object.values(CODECS)) BY_TAG[c.tag] = c;

/**
 * The codec called `name`.
 *
 * @param name a codec name
 * @returns the codec
 * @throws StoreError `InvalidInput` for an unknown name
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { codecByName } from "@cooljapan/oxistore/compress";
 * const lz4 = codecByName("lz4");
 * const data = new TextEncoder().encode("hello hello hello hello hello");
 * strictEqual(lz4.decompress(lz4.compress(data)).length, 29);
 * ```
 */
export function codecByName(name: CodecName): Codec {
  const c = Object.hasOwn(CODECS, name) ? CODECS[name] : undefined;
  if (c === undefined) {
    throw new StoreError(
      "InvalidInput",
      `Unknown codec ${JSON.stringify(name)}: expected one of ${Object.keys(CODECS).join(", ")}`,
    );
  }
  return c;
}

/**
 * The codec whose tag is `tag`.
 *
 * @param tag the first byte of a stored value
 * @returns the codec
 * @throws StoreError `Corruption` for an unknown tag
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { codecByTag } from "@cooljapan/oxistore/compress";
 * strictEqual(codecByTag(4).name, "lz4");
 * ```
 */
export function codecByTag(tag: number): Codec {
  const c = BY_TAG[tag];
  if (c === undefined) {
    throw new StoreError(
      "Corruption",
      `Cannot decode a compressed value: unknown codec tag ${tag}`,
    );
  }
  return c;
}
