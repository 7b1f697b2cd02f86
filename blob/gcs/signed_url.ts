/**
 * GCS V4 signed URLs (`GOOG4-RSA-SHA256`), signed with a service-account key
 * through WebCrypto.
 *
 * @module
 */
import { sha256Hex, toHex, uriEncode, utf8Bytes } from "../_cloud/encoding.ts";

/** What to sign. */
export interface GcsSignedUrlRequest {
  /** HTTP method. */
  method: string;
  /** Bucket. */
  bucket: string;
  /** Object name (unencoded). */
  object: string;
  /** Service-account e-mail. */
  clientEmail: string;
  /** Validity in seconds (≤ 604800). */
  expiresInSeconds: number;
  /** Signing time (default now). */
  date?: Date;
  /** Host (default `storage.googleapis.com`); an emulator's `host:port` works too. */
  host?: string;
  /** Scheme of the returned URL (default `https`). */
  scheme?: "http" | "https";
  /** Extra headers the request will send (they are signed). */
  headers?: Record<string, string>;
  /** Extra query parameters (they are signed). */
  query?: Record<string, string>;
}

/** The URL and the intermediate strings (exposed for tests). */
export interface GcsSignedUrl {
  /** The signed URL. */
  url: string;
  /** The canonical request. */
  canonicalRequest: string;
  /** The string to sign. */
  stringToSign: string;
}

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");

/**
 * Builds a V4 signed URL: canonical request → string to sign → RSA-SHA256.
 *
 * @param key RSA private key (RSASSA-PKCS1-v1_5, SHA-256)
 * @param r what to sign
 * @returns the URL, canonical request and string to sign
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { signGcsUrl } from "@cooljapan/oxistore/blob/gcs";
 * const { privateKey } = await crypto.subtle.generateKey(
 *   { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
 *   true, ["sign", "verify"]);
 * const s = await signGcsUrl(privateKey, { method: "GET", bucket: "b", object: "o", clientEmail: "a@b", expiresInSeconds: 60 });
 * strictEqual(new URL(s.url).searchParams.get("X-Goog-Algorithm"), "GOOG4-RSA-SHA256");
 * strictEqual(new URL(s.url).searchParams.has("X-Goog-Signature"), true);
 * ```
 */
export async function signGcsUrl(key: CryptoKey, r: GcsSignedUrlRequest): Promise<GcsSignedUrl> {
  const date = r.date ?? new Date();
  const time = stamp(date);
  const day = time.slice(0, 8);
  const host = r.host ?? "storage.googleapis.com";
  const scope = `${day}/auto/storage/goog4_request`;
  const headers = new Map<string, string>([["host", host]]);
  for (const [k, v] of Object.entries(r.headers ?? {})) {
    headers.set(k.toLowerCase(), v.trim().replace(/[ \t]+/g, " "));
  }
  const names = [...headers.keys()].sort();
  const signedHeaders = names.join(";");
  const query = new Map<string, string>(Object.entries(r.query ?? {}));
  query.set("X-Goog-Algorithm", "GOOG4-RSA-SHA256");
  query.set("X-Goog-Credential", `${r.clientEmail}/${scope}`);
  query.set("X-Goog-Date", time);
  query.set("X-Goog-Expires", String(r.expiresInSeconds));
  query.set("X-Goog-SignedHeaders", signedHeaders);
  const canonicalQuery = [...query].map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join("&");
  const path = `/${r.bucket}${r.object === "" ? "" : "/" + uriEncode(r.object, true)}`;
  const canonicalRequest = [
    r.method,
    path,
    canonicalQuery,
    names.map((n) => `${n}:${headers.get(n)}\n`).join(""),
    signedHeaders,
    "UNSIGNED-PAYLOAD",
  ].join("\n");
  const stringToSign = ["GOOG4-RSA-SHA256", time, scope, await sha256Hex(canonicalRequest)]
    .join("\n");
  const sig = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, utf8Bytes(stringToSign));
  const url = `${r.scheme ?? "https"}://${host}${path}?${canonicalQuery}` +
    `&X-Goog-Signature=${toHex(new Uint8Array(sig))}`;
  return { url, canonicalRequest, stringToSign };
}
