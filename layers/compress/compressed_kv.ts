/**
 * {@link CompressedKv}: compresses values on their way into any KvStore.
 *
 * @module
 */
import type { MergeOperator } from "../../core/config.ts";
import { StoreError } from "../../core/error.ts";
import type { KvStore } from "../../core/kv.ts";
import { TransformedKv, type ValueTransform } from "../transformed_kv.ts";
import { type Codec, codecByName, codecByTag, type CodecName } from "./codecs.ts";

/** Options of {@link CompressedKv}. */
export interface CompressedKvOptions {
  /** Codec for new values. Values already stored keep reading whatever made them. */
  codec: CodecName;
  /** Values shorter than this many bytes are stored raw; default 64. */
  minSize?: number;
  /** The operator behind `merge`, applied to decompressed values (see TransformedKv). */
  mergeOperator?: MergeOperator;
}

/** A stored form's user value; a bad stored form throws `Corruption`. */
function decode(_key: Uint8Array, stored: Uint8Array): Uint8Array {
  if (stored.length === 0) {
    throw new StoreError("Corruption", "Cannot decode a compressed value: it is empty");
  }
  const body = stored.subarray(1);
  return stored[0] === 0 ? body : codecByTag(stored[0]!).decompress(body);
}

/** The stored form: one codec tag byte, then the codec's payload. */
function compressTransform(codec: Codec, minSize: number): ValueTransform {
  return {
    name: "compress",
    encode(_key: Uint8Array, value: Uint8Array): Uint8Array {
      let payload = value;
      let tag = 0;
      if (codec.tag !== 0 && value.length >= minSize) {
        const packed = codec.compress(value);
        if (packed.length < value.length) {
          payload = packed;
          tag = codec.tag;
        }
      }
      const out = new Uint8Array(payload.length + 1);
      out[0] = tag;
      out.set(payload, 1);
      return out;
    },
    decode,
    // Every codec decompresses synchronously, so sync reads work through this layer.
    decodeSync: decode,
  };
}

/**
 * A KvStore decorator that compresses each value with the chosen codec
 * (`none`, `deflate`, `gzip`, `zlib` via fflate, or the built-in LZ4 block
 * codec). Each stored value starts with a one-byte codec tag, so the codec can
 * change between runs and old values still read; values under `minSize`, and
 * values that do not shrink, are stored raw (tag `none`). A corrupt stored
 * value reads as `Corruption`. Everything else passes through: see
 * {@link TransformedKv} for CAS and merge.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { CompressedKv } from "@cooljapan/oxistore/compress";
 * import { openInMemory } from "@cooljapan/oxistore";
 * const inner = await openInMemory("denokv");
 * await using store = new CompressedKv(inner, { codec: "lz4" });
 * await store.put("doc", JSON.stringify({ items: Array(100).fill("same text") }));
 * strictEqual((await inner.get("doc"))!.length < (await store.get("doc"))!.length, true);
 * ```
 */
export class CompressedKv extends TransformedKv {
  /** The codec new values are written with. */
  readonly codec: CodecName;
  /** Values shorter than this are stored raw. */
  readonly minSize: number;

  /**
   * Wraps `inner`; `InvalidInput` for an unknown codec or a bad `minSize`.
   *
   * @param inner the store holding compressed values (closed with this one)
   * @param opts codec, raw-size threshold and merge operator
   */
  constructor(inner: KvStore, opts: CompressedKvOptions) {
    if (opts === null || typeof opts !== "object") {
      throw new StoreError("InvalidInput", "Cannot create CompressedKv: options object required");
    }
    const codec = codecByName(opts.codec);
    const minSize = opts.minSize ?? 64;
    if (typeof minSize !== "number" || !(minSize >= 0)) {
      throw new StoreError(
        "InvalidInput",
        `Cannot create CompressedKv: minSize must be a number >= 0, got ${String(minSize)}`,
      );
    }
    super(
      inner,
      compressTransform(codec, minSize),
      opts.mergeOperator === undefined ? {} : { mergeOperator: opts.mergeOperator },
    );
    this.codec = codec.name;
    this.minSize = minSize;
  }

  /** A CompressedKv with the same options over `inner`. */
  protected override wrap(inner: KvStore): KvStore {
    return new CompressedKv(inner, {
      codec: this.codec,
      minSize: this.minSize,
      ...this.options,
    });
  }
}
