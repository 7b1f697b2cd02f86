/**
 * Azure Storage "Shared Key" request signing and service SAS tokens for the
 * Blob service, with WebCrypto HMAC-SHA256.
 *
 * @module
 */
import { fromBase64, hmacSha256, toBase64 } from "../_cloud/encoding.ts";

/** A storage account and its key (base64, as the portal shows it). */
export interface AzureSharedKey {
  /** Account name, e.g. `devstoreaccount1`. */
  accountName: string;
  /** Account key, base64. Used to sign; never logged. */
  accountKey: string;
}

/** The x-ms-version these clients speak. */
export const AZURE_API_VERSION = "2021-12-02";

const STANDARD = [
  "content-encoding",
  "content-language",
  "content-length",
  "content-md5",
  "content-type",
  "date",
  "if-modified-since",
  "if-match",
  "if-none-match",
  "if-unmodified-since",
  "range",
] as const;

/**
 * The Shared Key string-to-sign of a Blob service request (API version
 * 2015-02-21 or later: a zero Content-Length is an empty line).
 *
 * @param method HTTP method
 * @param url request URL (path already encoded)
 * @param headers request headers
 * @param accountName the storage account
 * @returns the string to sign
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { sharedKeyStringToSign } from "@cooljapan/oxistore/blob/azure";
 * const s = sharedKeyStringToSign("GET", new URL("http://127.0.0.1:10000/acct/c?restype=container"),
 *   new Headers({ "x-ms-date": "Mon, 01 Jan 2024 00:00:00 GMT" }), "acct");
 * strictEqual(s.endsWith("/acct/acct/c\nrestype:container"), true);
 * ```
 */
export function sharedKeyStringToSign(
  method: string,
  url: URL,
  headers: Headers,
  accountName: string,
): string {
  const std = STANDARD.map((h) => {
    const v = headers.get(h) ?? "";
    return h === "content-length" && v === "0" ? "" : v;
  });
  const ms = [...headers].filter(([k]) => k.toLowerCase().startsWith("x-ms-"))
    .map(([k, v]) => [k.toLowerCase(), v.trim()] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}:${v}\n`).join("");
  const params = new Map<string, string[]>();
  for (const [k, v] of url.searchParams) {
    const key = k.toLowerCase();
    params.set(key, [...(params.get(key) ?? []), v]);
  }
  const query = [...params.keys()].sort()
    .map((k) => `\n${k}:${params.get(k)!.sort().join(",")}`).join("");
  const resource = `/${accountName}${url.pathname}${query}`;
  return [method.toUpperCase(), ...std].join("\n") + "\n" + ms + resource;
}

/**
 * Signs a request in place: sets `x-ms-date`, `x-ms-version` (if unset) and
 * `authorization: SharedKey account:signature`.
 *
 * @param method HTTP method
 * @param url request URL
 * @param headers request headers, modified
 * @param key account and key
 * @param date signing time (default now)
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { signSharedKey } from "@cooljapan/oxistore/blob/azure";
 * const h = new Headers();
 * await signSharedKey("GET", new URL("http://127.0.0.1:10000/acct/c/b"), h,
 *   { accountName: "acct", accountKey: btoa("key") });
 * strictEqual(h.get("authorization")?.startsWith("SharedKey acct:"), true);
 * ```
 */
export async function signSharedKey(
  method: string,
  url: URL,
  headers: Headers,
  key: AzureSharedKey,
  date: Date = new Date(),
): Promise<void> {
  headers.set("x-ms-date", date.toUTCString());
  if (!headers.has("x-ms-version")) headers.set("x-ms-version", AZURE_API_VERSION);
  const toSign = sharedKeyStringToSign(method, url, headers, key.accountName);
  const sig = toBase64(await hmacSha256(fromBase64(key.accountKey), toSign));
  headers.set("authorization", `SharedKey ${key.accountName}:${sig}`);
}

/** Options of {@link blobSasQuery}. */
export interface BlobSasOptions {
  /** Container name. */
  container: string;
  /** Blob name (unencoded). */
  blob: string;
  /** Permissions, e.g. `r` or `cw`. */
  permissions: string;
  /** Expiry time. */
  expiresOn: Date;
  /** Start time (optional). */
  startsOn?: Date;
}

const sasTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * A service SAS (signed version 2020-12-06) for one blob, as a query string.
 *
 * @param key account and key
 * @param o the blob, permissions and times
 * @returns `sv=…&sr=b&sp=…&se=…&sig=…` (URL-encoded)
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { blobSasQuery } from "@cooljapan/oxistore/blob/azure";
 * const q = await blobSasQuery({ accountName: "acct", accountKey: btoa("key") },
 *   { container: "c", blob: "b", permissions: "r", expiresOn: new Date(Date.now() + 60_000) });
 * strictEqual(new URLSearchParams(q).get("sr"), "b");
 * ```
 */
export async function blobSasQuery(key: AzureSharedKey, o: BlobSasOptions): Promise<string> {
  const sv = "2020-12-06";
  const st = o.startsOn ? sasTime(o.startsOn) : "";
  const se = sasTime(o.expiresOn);
  const resource = `/blob/${key.accountName}/${o.container}/${o.blob}`;
  // sp, st, se, resource, si, sip, spr, sv, sr, snapshot, ses, rscc, rscd, rsce, rscl, rsct
  const toSign = [o.permissions, st, se, resource, "", "", "", sv, "b", "", "", "", "", "", "", ""]
    .join("\n");
  const sig = toBase64(await hmacSha256(fromBase64(key.accountKey), toSign));
  const q = new URLSearchParams({ sv, sr: "b", sp: o.permissions, se });
  if (st) q.set("st", st);
  q.set("sig", sig);
  return q.toString();
}
