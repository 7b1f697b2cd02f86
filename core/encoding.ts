/**
 * Hex and base64 of bytes, for every family (checksums and digests in hex,
 * cloud signatures and keys in base64, list cursors in base64url). The
 * runtime's own `Uint8Array` methods do the work where they exist (Deno 2.5
 * and later); older runtimes get the same results from a plain loop.
 *
 * @module
 */

type Alphabet = "base64" | "base64url";
interface NativeBytes {
  toHex(): string;
  toBase64(opts: { alphabet: Alphabet; omitPadding: boolean }): string;
}
interface NativeBytesClass {
  fromHex(text: string): Uint8Array<ArrayBuffer>;
  fromBase64(text: string, opts: { alphabet: Alphabet }): Uint8Array<ArrayBuffer>;
}

const NATIVE = typeof (Uint8Array.prototype as Partial<NativeBytes>).toHex === "function" &&
  typeof (Uint8Array as Partial<NativeBytesClass>).fromBase64 === "function";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * Lower-case hex of the bytes.
 *
 * `toHex(new Uint8Array([0, 171, 255]))` is `"00abff"`.
 *
 * @param bytes the bytes
 * @returns two hex digits per byte
 */
export function toHex(bytes: Uint8Array): string {
  if (NATIVE) return (bytes as unknown as NativeBytes).toHex();
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}

/**
 * The bytes of hex text (an even number of digits, either case); anything else
 * throws a `SyntaxError`.
 *
 * `fromHex("00abFF")` is the bytes 0, 171, 255.
 *
 * @param text the hex digits
 * @returns one byte per two digits
 */
export function fromHex(text: string): Uint8Array<ArrayBuffer> {
  if (typeof text !== "string") throw new SyntaxError("hex input must be a string");
  if (NATIVE) return (Uint8Array as unknown as NativeBytesClass).fromHex(text);
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw new SyntaxError("not hex text");
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Standard base64 (RFC 4648 §4, padded) of the bytes.
 *
 * The bytes 251, 255 give `"+/8="`.
 */
export function toBase64(bytes: Uint8Array): string {
  return encode(bytes, "base64", false);
}

/**
 * URL-safe base64 (RFC 4648 §5), without padding unless `padded` (JWTs and
 * our cursors omit it; Deno KV's list cursors keep it).
 *
 * The bytes 251, 255 give `"-_8"`, or `"-_8="` when padded.
 */
export function toBase64Url(bytes: Uint8Array, padded = false): string {
  return encode(bytes, "base64url", !padded);
}

/**
 * The bytes of standard base64 text (padding optional, ASCII whitespace
 * ignored). Anything else throws a `SyntaxError`; callers turn it into the
 * `StoreError` kind that fits their input.
 *
 * `fromBase64("+/8=")` is the bytes 251, 255.
 */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return decode(text, "base64");
}

/**
 * The bytes of URL-safe base64 text (padding optional); throws `SyntaxError`
 * on anything else.
 *
 * `fromBase64Url("-_8")` is the bytes 251, 255.
 */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  return decode(text, "base64url");
}

function encode(bytes: Uint8Array, alphabet: Alphabet, omitPadding: boolean): string {
  if (NATIVE) return (bytes as unknown as NativeBytes).toBase64({ alphabet, omitPadding });
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  let s = btoa(bin);
  if (alphabet === "base64url") s = s.replaceAll("+", "-").replaceAll("/", "_");
  return omitPadding ? s.replace(/=+$/, "") : s;
}

function decode(text: string, alphabet: Alphabet): Uint8Array<ArrayBuffer> {
  if (typeof text !== "string") throw new SyntaxError("base64 input must be a string");
  if (NATIVE) return (Uint8Array as unknown as NativeBytesClass).fromBase64(text, { alphabet });
  let s = text.replace(/[\t\n\f\r ]+/g, "");
  if (alphabet === "base64url") {
    if (/[+/]/.test(s)) throw new SyntaxError("not base64url text");
    s = s.replaceAll("-", "+").replaceAll("_", "/");
  } else if (/[-_]/.test(s)) throw new SyntaxError("not base64 text");
  let bin: string;
  try {
    bin = atob(s);
  } catch (err) {
    throw new SyntaxError("not base64 text", { cause: err });
  }
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
