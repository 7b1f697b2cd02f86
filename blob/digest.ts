/**
 * SHA-256 digests of blob content: one-shot, incremental and streaming.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { StoreError, toStoreError } from "../core/error.ts";
import { fromHex, toHex } from "../core/encoding.ts";

const HEX = /^[0-9a-f]{64}$/;
const encoder = new TextEncoder();

/**
 * A SHA-256 digest. Compare with `equals`; print or store `hex`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Digest, sha256 } from "@cooljapan/oxistore/blob";
 * const d = sha256("abc");
 * strictEqual(d.equals(Digest.fromHex(d.hex)), true);
 * ```
 */
export class Digest {
  /** The 32 digest bytes. */
  readonly bytes: Uint8Array;
  /** The digest as 64 lower-case hex characters. */
  readonly hex: string;

  private constructor(bytes: Uint8Array, hex: string) {
    this.bytes = bytes;
    this.hex = hex;
  }

  /**
   * Parses 64 hex characters (either case); anything else is `InvalidInput`.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Digest } from "@cooljapan/oxistore/blob";
   * const d = Digest.fromHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
   * strictEqual(d.bytes.length, 32);
   * ```
   */
  static fromHex(hex: string): Digest {
    const lower = typeof hex === "string" ? hex.toLowerCase() : "";
    if (!HEX.test(lower)) {
      throw new StoreError(
        "InvalidInput",
        `Cannot parse digest ${JSON.stringify(String(hex)).slice(0, 80)}: ` +
          "expected 64 hex characters of a SHA-256 digest",
      );
    }
    return new Digest(fromHex(lower), lower);
  }

  /**
   * Wraps 32 digest bytes (copied); any other length is `InvalidInput`.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Digest } from "@cooljapan/oxistore/blob";
   * strictEqual(Digest.fromBytes(new Uint8Array(32)).hex.length, 64);
   * ```
   */
  static fromBytes(bytes: Uint8Array): Digest {
    if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
      throw new StoreError("InvalidInput", "Cannot make a digest: expected 32 bytes");
    }
    const copy = bytes.slice();
    return new Digest(copy, toHex(copy));
  }

  /**
   * Accepts a Digest or its hex form; the hex form is validated.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Digest, sha256 } from "@cooljapan/oxistore/blob";
   * strictEqual(Digest.from(sha256("").hex).hex, sha256("").hex);
   * ```
   */
  static from(value: Digest | string): Digest {
    return value instanceof Digest ? value : Digest.fromHex(value);
  }

  /**
   * Whether two digests are the same (a hex string is accepted too).
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { sha256 } from "@cooljapan/oxistore/blob";
   * strictEqual(sha256("a").equals(sha256("b")), false);
   * ```
   */
  equals(other: Digest | string): boolean {
    if (other instanceof Digest) return other.hex === this.hex;
    return typeof other === "string" && other.toLowerCase() === this.hex;
  }

  /**
   * The hex form.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { sha256 } from "@cooljapan/oxistore/blob";
   * strictEqual(`${sha256("")}`.startsWith("e3b0c442"), true);
   * ```
   */
  toString(): string {
    return this.hex;
  }
}

/**
 * Incremental SHA-256: feed chunks with `update`, finish with `digest`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Sha256Hasher, sha256 } from "@cooljapan/oxistore/blob";
 * const h = new Sha256Hasher();
 * h.update("ab");
 * h.update("c");
 * strictEqual(h.digest().equals(sha256("abc")), true);
 * ```
 */
export class Sha256Hasher {
  #hash: Hash = createHash("sha256");
  #done = false;

  /**
   * Adds bytes (strings are UTF-8).
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Sha256Hasher, sha256 } from "@cooljapan/oxistore/blob";
   * const h = new Sha256Hasher().update(new Uint8Array([1, 2])).update("c");
   * strictEqual(h.digest().hex, sha256(new Uint8Array([1, 2, 99])).hex);
   * ```
   */
  update(chunk: Uint8Array | string): this {
    if (this.#done) throw new StoreError("InvalidInput", "Cannot update a finished SHA-256");
    this.#hash.update(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
    return this;
  }

  /**
   * Finishes the hash; the hasher cannot be used afterwards.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { Sha256Hasher } from "@cooljapan/oxistore/blob";
   * strictEqual(new Sha256Hasher().digest().hex.slice(0, 8), "e3b0c442");
   * ```
   */
  digest(): Digest {
    if (this.#done) throw new StoreError("InvalidInput", "Cannot finish a SHA-256 twice");
    this.#done = true;
    const out = this.#hash.digest();
    return Digest.fromBytes(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
  }
}

/**
 * SHA-256 of bytes (strings are UTF-8).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { sha256 } from "@cooljapan/oxistore/blob";
 * strictEqual(sha256("abc").hex.slice(0, 8), "ba7816bf");
 * ```
 */
export function sha256(data: Uint8Array | string): Digest {
  if (typeof data !== "string" && !(data instanceof Uint8Array)) {
    throw new StoreError("InvalidInput", "Cannot hash: expected Uint8Array or string");
  }
  return new Sha256Hasher().update(data).digest();
}

/**
 * SHA-256 of everything a stream yields, without buffering it.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { sha256, sha256Streaming } from "@cooljapan/oxistore/blob";
 * const d = await sha256Streaming(new Blob(["ab", "c"]).stream());
 * strictEqual(d.equals(sha256("abc")), true);
 * ```
 */
export async function sha256Streaming(stream: ReadableStream<Uint8Array>): Promise<Digest> {
  const hasher = new Sha256Hasher();
  try {
    for await (const chunk of stream) hasher.update(chunk);
  } catch (err) {
    throw toStoreError(err, "hash a stream");
  }
  return hasher.digest();
}
