/**
 * Encryption at rest: {@link EncryptedKv} seals every value with AES-256-GCM
 * in front of any KvStore, binds each value to its key, keeps several keys by
 * id and re-seals under a new one with `rotate()`. {@link deriveKey} (PBKDF2)
 * and {@link deriveKeyHkdf} (HKDF) make keys from passphrases and secrets.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { deriveKey, EncryptedKv } from "@cooljapan/oxistore/encrypt";
 * import { openInMemory } from "@cooljapan/oxistore";
 * const salt = new Uint8Array(16); // store a random salt next to the data
 * const key = await deriveKey("a long passphrase", salt, 100_000);
 * await using store = await EncryptedKv.create(await openInMemory("denokv"), {
 *   keys: { "2026-01": key },
 *   activeKeyId: "2026-01",
 * });
 * await store.put("secret", "value");
 * strictEqual(new TextDecoder().decode(await store.get("secret")), "value");
 * ```
 *
 * @module
 */
export { EncryptedKv, type EncryptedKvOptions } from "./encrypted_kv.ts";
export {
  DEFAULT_PBKDF2_ITERATIONS,
  deriveKey,
  deriveKeyHkdf,
  MIN_PBKDF2_ITERATIONS,
  randomKey,
} from "./derive_key.ts";
export {
  TransformedKv,
  type TransformedKvOptions,
  type ValueTransform,
} from "../transformed_kv.ts";
