/**
 * AWS Signature Version 4 for S3 over `fetch`: the `Authorization` header form
 * and the presigned-URL (query) form, with WebCrypto HMAC-SHA256.
 *
 * @module
 */
import { hmacSha256, sha256Hex, toHex, uriEncode } from "../_cloud/encoding.ts";

/** AWS credentials. The secret is used to sign and never appears in output. */
export interface AwsCredentials {
  /** Access key id (`AKIA…`). */
  accessKeyId: string;
  /** Secret access key. */
  secretAccessKey: string;
  /** Session token of temporary credentials (`x-amz-security-token`). */
  sessionToken?: string;
}

/** The request to sign. Header names are matched case-insensitively. */
export interface SigV4Request {
  /** HTTP method, upper case. */
  method: string;
  /** Full URL; its path must already be URI-encoded (S3 paths are not re-encoded). */
  url: URL;
  /** Headers to sign and send; `host` is taken from the URL. */
  headers: Headers;
  /** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`. */
  payloadHash: string;
}

/** Where and when the signature applies. */
export interface SigV4Scope {
  /** Credentials. */
  credentials: AwsCredentials;
  /** Region, e.g. `us-east-1`. */
  region: string;
  /** Service name (default `s3`). */
  service?: string;
  /** Signing time (default now). */
  date?: Date;
}

/** The intermediate strings, exposed so tests can compare them with AWS's examples. */
export interface SigV4Result {
  /** The canonical request. */
  canonicalRequest: string;
  /** The string to sign. */
  stringToSign: string;
  /** Hex signature. */
  signature: string;
  /** `;`-joined signed header names. */
  signedHeaders: string;
}

/** `20130524T000000Z` */
export function amzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

function canonicalQuery(url: URL): string {
  const pairs: [string, string][] = [];
  for (const [k, v] of url.searchParams) pairs.push([uriEncode(k), uriEncode(v)]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

function canonicalHeaders(url: URL, headers: Headers): { text: string; names: string } {
  const map = new Map<string, string>();
  map.set("host", url.host);
  for (const [k, v] of headers) map.set(k.toLowerCase(), v.trim().replace(/\s+/g, " "));
  const names = [...map.keys()].sort();
  return {
    text: names.map((n) => `${n}:${map.get(n)}\n`).join(""),
    names: names.join(";"),
  };
}

async function signingKey(secret: string, day: string, region: string, service: string) {
  const kDate = await hmacSha256(`AWS4${secret}`, day);
  const kRegion = await hmacSha256(kDate, region);
  const kService = await hmacSha256(kRegion, service);
  return await hmacSha256(kService, "aws4_request");
}

async function compute(
  req: SigV4Request,
  scope: SigV4Scope,
  time: string,
): Promise<SigV4Result> {
  const service = scope.service ?? "s3";
  const day = time.slice(0, 8);
  const { text, names } = canonicalHeaders(req.url, req.headers);
  const canonicalRequest = [
    req.method,
    req.url.pathname || "/",
    canonicalQuery(req.url),
    text,
    names,
    req.payloadHash,
  ].join("\n");
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    time,
    `${day}/${scope.region}/${service}/aws4_request`,
    await sha256Hex(canonicalRequest),
  ].join("\n");
  const key = await signingKey(scope.credentials.secretAccessKey, day, scope.region, service);
  const signature = toHex(await hmacSha256(key, stringToSign));
  return { canonicalRequest, stringToSign, signature, signedHeaders: names };
}

/**
 * Signs a request in place: sets `x-amz-date`, `x-amz-content-sha256`,
 * `x-amz-security-token` (if any) and `authorization`.
 *
 * @param req the request; its headers are modified
 * @param scope credentials, region, service and time
 * @returns the canonical request, string to sign and signature
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { signRequest } from "@cooljapan/oxistore/blob/s3";
 * const headers = new Headers();
 * await signRequest(
 *   { method: "GET", url: new URL("http://127.0.0.1:9000/b/k"), headers, payloadHash: "UNSIGNED-PAYLOAD" },
 *   { credentials: { accessKeyId: "AK", secretAccessKey: "SK" }, region: "us-east-1" },
 * );
 * strictEqual(headers.get("authorization")?.startsWith("AWS4-HMAC-SHA256 Credential=AK/"), true);
 * ```
 */
export async function signRequest(req: SigV4Request, scope: SigV4Scope): Promise<SigV4Result> {
  const time = amzDate(scope.date ?? new Date());
  req.headers.set("x-amz-date", time);
  req.headers.set("x-amz-content-sha256", req.payloadHash);
  if (scope.credentials.sessionToken) {
    req.headers.set("x-amz-security-token", scope.credentials.sessionToken);
  }
  const r = await compute(req, scope, time);
  const cred = `${scope.credentials.accessKeyId}/${time.slice(0, 8)}/${scope.region}/` +
    `${scope.service ?? "s3"}/aws4_request`;
  req.headers.set(
    "authorization",
    `AWS4-HMAC-SHA256 Credential=${cred},SignedHeaders=${r.signedHeaders},Signature=${r.signature}`,
  );
  return r;
}

/**
 * A presigned URL (query-string auth): anyone holding it may make this one
 * request until it expires. Only `host` is signed; the payload is unsigned.
 *
 * @param method `GET` or `PUT` (any method S3 accepts)
 * @param url the object URL (path already URI-encoded)
 * @param scope credentials, region, service and time
 * @param expiresInSeconds 1…604800
 * @returns the URL string and the intermediate strings
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { presignUrl } from "@cooljapan/oxistore/blob/s3";
 * const { url } = await presignUrl("GET", new URL("http://127.0.0.1:9000/b/k"), {
 *   credentials: { accessKeyId: "AK", secretAccessKey: "SK" }, region: "us-east-1",
 * }, 60);
 * strictEqual(new URL(url).searchParams.has("X-Amz-Signature"), true);
 * ```
 */
export async function presignUrl(
  method: string,
  url: URL,
  scope: SigV4Scope,
  expiresInSeconds: number,
): Promise<SigV4Result & { url: string }> {
  const time = amzDate(scope.date ?? new Date());
  const service = scope.service ?? "s3";
  const u = new URL(url);
  const q = u.searchParams;
  q.set("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  q.set(
    "X-Amz-Credential",
    `${scope.credentials.accessKeyId}/${time.slice(0, 8)}/${scope.region}/${service}/aws4_request`,
  );
  q.set("X-Amz-Date", time);
  q.set("X-Amz-Expires", String(expiresInSeconds));
  if (scope.credentials.sessionToken) q.set("X-Amz-Security-Token", scope.credentials.sessionToken);
  q.set("X-Amz-SignedHeaders", "host");
  const r = await compute(
    { method, url: u, headers: new Headers(), payloadHash: "UNSIGNED-PAYLOAD" },
    scope,
    time,
  );
  // Serialize with the same RFC 3986 encoding that was signed.
  const query = canonicalQuery(u) + `&X-Amz-Signature=${r.signature}`;
  return { ...r, url: `${u.origin}${u.pathname}?${query}` };
}
