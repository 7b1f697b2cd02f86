/**
 * Key helpers for the encryption layer: PBKDF2 from a passphrase, HKDF from
 * a high-entropy secret, and fresh random keys.
 *
 * @module
 */
import { StoreError } from "../../core/error.ts";

/** PBKDF2-SHA256 iterations by default (OWASP's 2023 advice for PBKDF2-HMAC-SHA256). */
export const DEFAULT_PBKDF2_ITERATIONS = 600_000;
/** Fewer iterations than this are refused. */
export const MIN_PBKDF2_ITERATIONS = 100_000;

const AES: AesKeyGenParams = { name: "AES-GCM", length: 256 };

function bytesOf(what: string, v: unknown, min: number): Uint8Array<ArrayBuffer> {
  if (!(v instanceof Uint8Array) || v.length < min) {
    throw new StoreError(
      "InvalidInput",
      `Cannot derive key: ${what} must be a Uint8Array of at least ${min} bytes`,
    );
  }
  return new Uint8Array(v);
}

/**
 * Derives an AES-256-GCM key from a passphrase with PBKDF2-HMAC-SHA256.
 * Store the salt (16+ random bytes, e.g. `crypto.getRandomValues(new
 * Uint8Array(16))`) next to the data: the same passphrase and salt give the
 * same key. The key is not extractable.
 *
 * @param passphrase the secret text (non-empty)
 * @param salt at least 8 bytes, unique per store
 * @param iterations PBKDF2 rounds; default 600,000, at least 100,000
 * @returns an AES-GCM key for {@link EncryptedKv}
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { deriveKey } from "@cooljapan/oxistore/encrypt";
 * const key = await deriveKey("correct horse battery staple", new Uint8Array(16), 100_000);
 * strictEqual(key.algorithm.name, "AES-GCM");
 * ```
 */
export async function deriveKey(
  passphrase: string,
  salt: Uint8Array,
  iterations: number = DEFAULT_PBKDF2_ITERATIONS,
): Promise<CryptoKey> {
  if (typeof passphrase !== "string" || passphrase === "") {
    throw new StoreError(
      "InvalidInput",
      "Cannot derive key: passphrase must be a non-empty string",
    );
  }
  const s = bytesOf("salt", salt, 8);
  if (!Number.isInteger(iterations) || iterations < MIN_PBKDF2_ITERATIONS) {
    throw new StoreError(
      "InvalidInput",
      `Cannot derive key: iterations must be an integer >= ${MIN_PBKDF2_ITERATIONS}, got ${iterations}`,
    );
  }
  try {
    const base = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(passphrase),
      "PBKDF2",
      false,
      ["deriveKey"],
    );
    return await crypto.subtle.deriveKey(
      { name: "PBKDF2", hash: "SHA-256", salt: s, iterations },
      base,
      AES,
      false,
      ["encrypt", "decrypt"],
    );
  } catch (err) {
    throw new StoreError("Other", "Cannot derive key with PBKDF2", { cause: err });
  }
}

/**
 * Derives an AES-256-GCM key from a high-entropy secret with HKDF-SHA256 —
 * e.g. one key per tenant or per store from one master secret. Not for
 * passphrases: use {@link deriveKey}.
 *
 * @param secret at least 16 bytes of key material
 * @param salt any bytes (may be empty)
 * @param info what the key is for; different `info` gives an independent key
 * @returns an AES-GCM key for {@link EncryptedKv}
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { deriveKeyHkdf, randomKey } from "@cooljapan/oxistore/encrypt";
 * const master = randomKey();
 * const key = await deriveKeyHkdf(master, new Uint8Array(), "tenant-42");
 * strictEqual(key.usages.includes("encrypt"), true);
 * ```
 */
export async function deriveKeyHkdf(
  secret: Uint8Array,
  salt: Uint8Array,
  info: string | Uint8Array,
): Promise<CryptoKey> {
  const ikm = bytesOf("secret", secret, 16);
  const s = bytesOf("salt", salt, 0);
  const i = typeof info === "string" ? new TextEncoder().encode(info) : bytesOf("info", info, 0);
  try {
    const base = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveKey"]);
    return await crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: s, info: i },
      base,
      AES,
      false,
      ["encrypt", "decrypt"],
    );
  } catch (err) {
    throw new StoreError("Other", "Cannot derive key with HKDF", { cause: err });
  }
}

/**
 * 32 random bytes: a fresh raw AES-256 key. Keep it secret and safe — values
 * sealed with it cannot be read without it.
 *
 * @returns a new key
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { randomKey } from "@cooljapan/oxistore/encrypt";
 * strictEqual(randomKey().length, 32);
 * ```
 */
export function randomKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}
