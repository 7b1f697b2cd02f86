/**
 * Etags for backends that mint their own: random, so every write differs
 * even when the bytes are the same (no ABA for `putIfMatch`).
 *
 * @module
 */

/** A fresh 32-hex-character etag. */
export function newEtag(): string {
  return crypto.randomUUID().replaceAll("-", "");
}
