// Byte/string helpers the three cloud backends share (hex, base64, HMAC, SHA-256).

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const utf8 = new TextEncoder();

/** Lower-case hex of some bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b];
  return out;
}

/** UTF-8 bytes of a string. */
export function utf8Bytes(s: string): Uint8Array<ArrayBuffer> {
  return utf8.encode(s);
}

/** Standard base64 of some bytes. */
export function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

/** Bytes of a standard base64 string; throws TypeError on bad input. */
export function fromBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replace(/\s+/g, ""));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** URL-safe base64 without padding (JWT). */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
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
    else out += "%" + HEX[b]!.toUpperCase();
  }
  return out;
}
