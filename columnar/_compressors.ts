// Codecs: hyparquet-compressors decompresses everything Parquet uses; Brotli goes
// through node:zlib instead (hyparquet-compressors' Brotli fails on large pages, e.g.
// parquet-testing's large_string_map.brotli.parquet). Writing uses fflate for GZIP and
// node:zlib for ZSTD; SNAPPY is built into hyparquet-writer.
import { compressors as readers } from "hyparquet-compressors";
import type { Compressors } from "hyparquet";
import { gzipSync } from "fflate";
import * as zlib from "node:zlib";
import type { WriteCompression } from "./types.ts";
import { fail } from "./_errors.ts";

type Compress = (input: Uint8Array) => Uint8Array;

const zstdCompressSync = (zlib as unknown as { zstdCompressSync?: (b: Uint8Array) => Uint8Array })
  .zstdCompressSync;

/** Decompressors for every codec we read. */
export const decompressors: Compressors = {
  ...readers,
  BROTLI: (input: Uint8Array) => new Uint8Array(zlib.brotliDecompressSync(input)),
};

const OTHER_PARQUET_CODECS = ["LZ4", "LZ4_RAW", "BROTLI", "LZO"];
const CODECS: readonly WriteCompression[] = ["UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD"];

/** The hyparquet-writer compressor table for `codec`; an unknown codec is an error. */
export function compressorsFor(codec: WriteCompression): Record<string, Compress> {
  if (!CODECS.includes(codec)) {
    if (OTHER_PARQUET_CODECS.includes(String(codec))) {
      return fail(
        "Unsupported",
        `Cannot write Parquet with compression ${codec}: oxistore reads it but writes only ${
          CODECS.join(", ")
        }`,
      );
    }
    return fail(
      "InvalidInput",
      `Cannot write Parquet with compression ${JSON.stringify(codec)}: use one of ${
        CODECS.join(", ")
      }`,
    );
  }
  if (codec === "GZIP") return { GZIP: (b) => gzipSync(b) };
  if (codec === "ZSTD") {
    if (!zstdCompressSync) {
      return fail(
        "Unsupported",
        "Cannot write Parquet with ZSTD: this runtime's node:zlib has no zstdCompressSync",
      );
    }
    return { ZSTD: (b) => new Uint8Array(zstdCompressSync(b)) };
  }
  return {};
}
