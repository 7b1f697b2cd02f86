/**
 * Authentication for the GCS JSON API, pluggable: a service-account key
 * (RS256 JWT exchanged for an OAuth access token, cached until shortly before
 * it expires), a fixed bearer token, or none (emulators).
 *
 * @module
 */
import { StoreError } from "../../core/error.ts";
import { fromBase64, toBase64Url, utf8Bytes } from "../_cloud/encoding.ts";

/** Supplies the `Authorization` header value for each request (or none). */
export interface GcsAuth {
  /** `Bearer …`, or undefined to send no header. */
  authorization(): Promise<string | undefined>;
}

/** The fields of a service-account JSON key that are used. */
export interface ServiceAccountKey {
  /** The account's e-mail (JWT issuer, signed-URL credential). */
  client_email: string;
  /** PKCS#8 PEM private key. Used to sign; never logged. */
  private_key: string;
  /** Key id (JWT `kid`). */
  private_key_id?: string;
  /** Token endpoint (default `https://oauth2.googleapis.com/token`). */
  token_uri?: string;
}

/** No authentication (the GCS emulator accepts any or no token). */
export const NO_AUTH: GcsAuth = { authorization: () => Promise.resolve(undefined) };

/**
 * A fixed OAuth access token.
 *
 * @param token the access token
 * @returns a GcsAuth that always sends it
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { bearerToken } from "@cooljapan/oxistore/blob/gcs";
 * strictEqual(await bearerToken("ya29.x").authorization(), "Bearer ya29.x");
 * ```
 */
export function bearerToken(token: string): GcsAuth {
  return { authorization: () => Promise.resolve(`Bearer ${token}`) };
}

/**
 * Imports a PKCS#8 PEM RSA private key for RS256 signing.
 *
 * @param pem `-----BEGIN PRIVATE KEY-----…`
 * @returns a WebCrypto key (RSASSA-PKCS1-v1_5, SHA-256)
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { importPrivateKeyPem } from "@cooljapan/oxistore/blob/gcs";
 * const kind = await importPrivateKeyPem("not a key").then(() => "imported", (e) => e.kind);
 * strictEqual(kind, "InvalidInput");
 * ```
 */
export async function importPrivateKeyPem(pem: string): Promise<CryptoKey> {
  try {
    const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, "");
    return await crypto.subtle.importKey(
      "pkcs8",
      fromBase64(body),
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["sign"],
    );
  } catch (err) {
    throw new StoreError(
      "InvalidInput",
      "Cannot import the service-account private key: not a PKCS#8 PEM RSA key",
      { cause: err },
    );
  }
}

/**
 * Signs a JWT with RS256.
 *
 * @param key RSA private key (see {@link importPrivateKeyPem})
 * @param claims the payload
 * @param kid optional key id for the header
 * @returns `header.payload.signature`
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { signJwtRs256 } from "@cooljapan/oxistore/blob/gcs";
 * const { privateKey } = await crypto.subtle.generateKey(
 *   { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
 *   true, ["sign", "verify"]);
 * strictEqual((await signJwtRs256(privateKey, { a: 1 })).split(".").length, 3);
 * ```
 */
export async function signJwtRs256(
  key: CryptoKey,
  claims: Record<string, unknown>,
  kid?: string,
): Promise<string> {
  const header = kid ? { alg: "RS256", typ: "JWT", kid } : { alg: "RS256", typ: "JWT" };
  const input = `${toBase64Url(utf8Bytes(JSON.stringify(header)))}.${
    toBase64Url(utf8Bytes(JSON.stringify(claims)))
  }`;
  const sig = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, utf8Bytes(input));
  return `${input}.${toBase64Url(new Uint8Array(sig))}`;
}

/** Options of {@link ServiceAccountAuth}. */
export interface ServiceAccountAuthOptions {
  /** OAuth scope (default read/write storage). */
  scope?: string;
  /** Refresh this many seconds before expiry (default 60). */
  refreshMarginSeconds?: number;
  /** Clock, for tests (default `Date.now`). */
  now?: () => number;
}

/**
 * Service-account authentication: a JWT assertion signed with the account's
 * key, exchanged at `token_uri` for an access token, cached until shortly
 * before it expires. Concurrent callers share one exchange.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { ServiceAccountAuth } from "@cooljapan/oxistore/blob/gcs";
 * const auth = new ServiceAccountAuth({ client_email: "a@b", private_key: "bad" });
 * const kind = await auth.authorization().then(() => "authorized", (e) => e.kind);
 * strictEqual(kind, "InvalidInput");
 * ```
 */
export class ServiceAccountAuth implements GcsAuth {
  /** The account key. */
  readonly key: ServiceAccountKey;
  #opts: ServiceAccountAuthOptions;
  #cryptoKey: Promise<CryptoKey> | undefined;
  #token: { value: string; expiresAt: number } | undefined;
  #pending: Promise<string> | undefined;

  /**
   * Keeps the key; nothing is signed or fetched until the first request.
   *
   * @param key the service-account JSON key
   * @param opts scope, refresh margin, clock
   */
  constructor(key: ServiceAccountKey, opts: ServiceAccountAuthOptions = {}) {
    if (!key || typeof key.client_email !== "string" || typeof key.private_key !== "string") {
      throw new StoreError(
        "InvalidInput",
        "Cannot use a service-account key without client_email and private_key",
      );
    }
    this.key = key;
    this.#opts = opts;
  }

  /** The RSA signing key (imported once). */
  signingKey(): Promise<CryptoKey> {
    this.#cryptoKey ??= importPrivateKeyPem(this.key.private_key);
    this.#cryptoKey.catch(() => (this.#cryptoKey = undefined));
    return this.#cryptoKey;
  }

  /** `Bearer <access token>`, exchanging a fresh JWT when the cached one is due. */
  async authorization(): Promise<string> {
    const now = (this.#opts.now ?? Date.now)();
    const margin = (this.#opts.refreshMarginSeconds ?? 60) * 1000;
    if (this.#token && now < this.#token.expiresAt - margin) return `Bearer ${this.#token.value}`;
    this.#pending ??= this.#exchange(now).finally(() => (this.#pending = undefined));
    return `Bearer ${await this.#pending}`;
  }

  async #exchange(now: number): Promise<string> {
    const tokenUri = this.key.token_uri ?? "https://oauth2.googleapis.com/token";
    const iat = Math.floor(now / 1000);
    const assertion = await signJwtRs256(await this.signingKey(), {
      iss: this.key.client_email,
      scope: this.#opts.scope ?? "https://www.googleapis.com/auth/devstorage.read_write",
      aud: tokenUri,
      iat,
      exp: iat + 3600,
    }, this.key.private_key_id);
    let res: Response;
    try {
      res = await fetch(tokenUri, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
          assertion,
        }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new StoreError("Io", `Cannot get a GCS access token from ${tokenUri}: ${err}`, {
        cause: err,
      });
    }
    const text = await res.text();
    let body: { access_token?: unknown; expires_in?: unknown; error?: unknown } = {};
    try {
      body = JSON.parse(text);
    } catch { /* reported below */ }
    if (!res.ok || typeof body.access_token !== "string") {
      const why = typeof body.error === "string" ? body.error : `HTTP ${res.status}`;
      throw new StoreError(
        "Io",
        `Cannot get a GCS access token for ${this.key.client_email} from ${tokenUri}: ${why}` +
          (res.status === 400 || res.status === 401 || res.status === 403
            ? " (credentials rejected)"
            : ""),
      );
    }
    const ttl = typeof body.expires_in === "number" ? body.expires_in : 3600;
    this.#token = { value: body.access_token, expiresAt: now + ttl * 1000 };
    return body.access_token;
  }
}
