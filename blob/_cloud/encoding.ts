// Byte/string helpers the three cloud backends share (HMAC, SHA-256, URI
// escaping); hex and base64 are core's.
import { fromBase64, toBase64, toBase64Url, toHex } from "../../core/encoding.ts";

export { fromBase64, toBase64, toBase64Url, toHex };

const utf8 = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8Bytes(s: string): Uint8Array<ArrayBuffer> {
  return utf8.encode(s);
}

/** SHA-256 of some bytes, as bytes. */
export async function sha256Bytes(data: Uint8Array | string): Promise<Uint8Array> {
  const bytes = typeof data === "string" ? utf8Bytes(data) : data;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

/** SHA-256 of some bytes, as lower-case hex. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  return toHex(await sha256Bytes(data));
}

/** HMAC-SHA256 of a message under a raw key. */
export async function hmacSha256(
  key: Uint8Array | string,
  message: Uint8Array | string,
): Promise<Uint8Array> {
  const raw = typeof key === "string" ? utf8Bytes(key) : key;
  const k = await crypto.subtle.importKey(
    "raw",
    raw as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const msg = typeof message === "string" ? utf8Bytes(message) : message;
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, msg as Uint8Array<ArrayBuffer>));
}

/**
 * RFC 3986 percent-encoding: everything but A-Z a-z 0-9 - _ . ~ is escaped
 * (and `/` too unless `keepSlash`). This is what SigV4, SAS and GCS V4 expect.
 */
export function uriEncode(s: string, keepSlash = false): string {
  let out = "";
  for (const b of utf8Bytes(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === "/")) out += c;
    else out += (b < 16 ? "%0" : "%") + b.toString(16).toUpperCase();
  }
  return out;
}
