/**
 * {@link EncryptedKv}: AES-256-GCM sealed values over any KvStore.
 *
 * @module
 */
import type { MergeOperator } from "../../core/config.ts";
import { StoreError } from "../../core/error.ts";
import type { KvStore } from "../../core/kv.ts";
import { TransformedKv, type ValueTransform } from "../transformed_kv.ts";
import { associatedData, header, NONCE_BYTES, parseEnvelope } from "./_envelope.ts";

/** Options of {@link EncryptedKv.create}. */
export interface EncryptedKvOptions {
  /**
   * Every key that may have sealed a stored value, by id (1..255 UTF-8
   * bytes): raw 32-byte AES-256 keys or AES-GCM `CryptoKey`s (256-bit, with
   * encrypt and decrypt usages).
   */
  keys: Record<string, Uint8Array | CryptoKey>;
  /** The id of the key new values are sealed with. */
  activeKeyId: string;
  /** The operator behind `merge`, applied to plaintexts (see TransformedKv). */
  mergeOperator?: MergeOperator;
}

type KeyRing = ReadonlyMap<string, CryptoKey>;

function invalid(detail: string): StoreError {
  return new StoreError("InvalidInput", `Cannot create EncryptedKv: ${detail}`);
}

async function importKey(id: string, key: Uint8Array | CryptoKey): Promise<CryptoKey> {
  if (key instanceof Uint8Array) {
    if (key.length !== 32) {
      throw invalid(`key "${id}" is ${key.length} bytes; AES-256 needs exactly 32`);
    }
    return await crypto.subtle.importKey("raw", new Uint8Array(key), "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);
  }
  if (typeof CryptoKey !== "undefined" && key instanceof CryptoKey) {
    const alg = key.algorithm as Partial<AesKeyAlgorithm>;
    if (alg.name !== "AES-GCM" || alg.length !== 256) {
      throw invalid(`key "${id}" must be an AES-GCM 256-bit key, got ${alg.name} ${alg.length}`);
    }
    if (!key.usages.includes("encrypt") || !key.usages.includes("decrypt")) {
      throw invalid(`key "${id}" needs both the encrypt and decrypt usages`);
    }
    return key;
  }
  throw invalid(`key "${id}" must be a 32-byte Uint8Array or a CryptoKey`);
}

function sealTransform(ring: KeyRing, activeKeyId: string): ValueTransform {
  const active = ring.get(activeKeyId)!;
  const head = header(activeKeyId);
  return {
    name: "encrypt",
    async encode(key: Uint8Array, value: Uint8Array): Promise<Uint8Array> {
      const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
      let sealed: ArrayBuffer;
      try {
        sealed = await crypto.subtle.encrypt(
          { name: "AES-GCM", iv: nonce, additionalData: associatedData(head, key) },
          active,
          new Uint8Array(value),
        );
      } catch (err) {
        throw new StoreError("Other", "Cannot seal a value with AES-GCM", { cause: err });
      }
      const out = new Uint8Array(head.length + NONCE_BYTES + sealed.byteLength);
      out.set(head);
      out.set(nonce, head.length);
      out.set(new Uint8Array(sealed), head.length + NONCE_BYTES);
      return out;
    },
    async decode(key: Uint8Array, stored: Uint8Array): Promise<Uint8Array> {
      const env = parseEnvelope(stored);
      const k = ring.get(env.keyId);
      if (k === undefined) {
        throw new StoreError(
          "Corruption",
          `Cannot open an encrypted value: it was sealed with key id "${env.keyId}", which is not among this layer's keys`,
        );
      }
      try {
        const plain = await crypto.subtle.decrypt(
          {
            name: "AES-GCM",
            iv: new Uint8Array(env.nonce),
            additionalData: associatedData(env.header, key),
          },
          k,
          new Uint8Array(env.sealed),
        );
        return new Uint8Array(plain);
      } catch (err) {
        throw new StoreError(
          "Corruption",
          `Cannot open an encrypted value with key id "${env.keyId}": authentication failed ` +
            `(tampered, truncated, moved to another key, or the wrong key)`,
          { cause: err },
        );
      }
    },
  };
}

/**
 * A KvStore decorator that seals every value with AES-256-GCM (WebCrypto): a
 * fresh random 96-bit nonce per value, and the user key (plus the envelope
 * header) as associated data, so a value copied to another key does not open.
 * Each stored value names the id of the key that sealed it, so several keys
 * can be held while rotating; {@link EncryptedKv.rotate} re-seals old values
 * under the active key. A tampered, truncated or foreign value reads as
 * `Corruption`, never as garbage. Keys, their order, value lengths and TTLs
 * stay visible to whoever reads the inner store. Everything else passes
 * through: see {@link TransformedKv} for CAS and merge.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { EncryptedKv, randomKey } from "@cooljapan/oxistore/encrypt";
 * import { openInMemory } from "@cooljapan/oxistore";
 * const inner = await openInMemory("denokv");
 * await using store = await EncryptedKv.create(inner, {
 *   keys: { k1: randomKey() },
 *   activeKeyId: "k1",
 * });
 * await store.put("card", "4111 1111 1111 1111");
 * strictEqual(new TextDecoder().decode(await store.get("card")), "4111 1111 1111 1111");
 * strictEqual((await inner.get("card"))!.length, 19 + 4 + 12 + 16); // sealed: 51 bytes
 * ```
 */
export class EncryptedKv extends TransformedKv {
  readonly #ring: KeyRing;
  /** The id of the key new values are sealed with. */
  readonly activeKeyId: string;

  private constructor(inner: KvStore, ring: KeyRing, activeKeyId: string, merge?: MergeOperator) {
    super(inner, sealTransform(ring, activeKeyId), merge ? { mergeOperator: merge } : {});
    this.#ring = ring;
    this.activeKeyId = activeKeyId;
  }

  /**
   * Imports the keys and wraps `inner`.
   *
   * @param inner the store holding sealed values (closed with this one)
   * @param opts keys by id, the active id, and an optional merge operator
   * @returns the encrypted store
   * @throws StoreError `InvalidInput` for a key that is not 32 bytes / AES-256-GCM,
   *   an empty or too long key id, or an `activeKeyId` not in `keys`
   */
  static async create(inner: KvStore, opts: EncryptedKvOptions): Promise<EncryptedKv> {
    if (
      opts === null || typeof opts !== "object" || opts.keys === null ||
      typeof opts.keys !== "object"
    ) {
      throw invalid("options with a keys record are required");
    }
    const ring = new Map<string, CryptoKey>();
    for (const [id, key] of Object.entries(opts.keys)) {
      const len = new TextEncoder().encode(id).length;
      if (len === 0 || len > 255) throw invalid(`key id "${id}" must be 1..255 UTF-8 bytes`);
      ring.set(id, await importKey(id, key));
    }
    if (typeof opts.activeKeyId !== "string" || !ring.has(opts.activeKeyId)) {
      throw invalid(`activeKeyId "${String(opts.activeKeyId)}" is not one of the keys`);
    }
    if (opts.mergeOperator !== undefined && typeof opts.mergeOperator !== "function") {
      throw invalid("mergeOperator must be a function");
    }
    if (inner === null || typeof inner !== "object" || typeof inner.get !== "function") {
      throw invalid("inner must be a KvStore");
    }
    return new EncryptedKv(inner, ring, opts.activeKeyId, opts.mergeOperator);
  }

  /** The same keys over another store. */
  protected override wrap(inner: KvStore): KvStore {
    return new EncryptedKv(inner, this.#ring, this.activeKeyId, this.options.mergeOperator);
  }

  /** The same layer over a named tree of the inner store (rotate it on its own). */
  override tree(name: string): EncryptedKv {
    return this.wrap(this.inner.tree(name)) as EncryptedKv;
  }

  /**
   * Re-seals every value of this keyspace not sealed under `activeKeyId`.
   * Each value is swapped atomically for its re-sealed form only if it is
   * still the exact value read, so a concurrent write is never lost (that
   * write is sealed with the active key anyway). Safe to interrupt and run
   * again: values already under the active key are skipped. TTLs are kept.
   * Named trees are separate keyspaces: rotate each through `tree(name)`.
   * Afterwards the old keys can be dropped from `keys`.
   *
   * @returns how many values were re-sealed
   * @throws StoreError `Corruption` for a value no held key opens
   */
  async rotate(): Promise<number> {
    let done = 0;
    await using snap = await this.inner.snapshot();
    for await (const [key, raw] of snap.range()) {
      if (parseEnvelope(raw).keyId === this.activeKeyId) continue;
      const plain = await this.transform.decode(key, raw);
      const sealed = await this.transform.encode(key, plain);
      const t0 = Date.now();
      const ttl = await this.inner.ttl(key);
      if (await this.swapStored(key, raw, sealed, ttl, t0)) done++;
    }
    return done;
  }
}
