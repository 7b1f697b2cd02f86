// The stored form of an encrypted value, version 1:
//   [0x01][key id length: u8][key id: UTF-8][nonce: 12 bytes][AES-GCM ciphertext + 16-byte tag]
// The header (version and key id) and the user key are the associated data.
import { StoreError } from "../../core/error.ts";

export const VERSION = 1;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

/** The envelope header of a key id. */
export function header(keyId: string): Uint8Array {
  const id = enc.encode(keyId);
  const h = new Uint8Array(2 + id.length);
  h[0] = VERSION;
  h[1] = id.length;
  h.set(id, 2);
  return h;
}

/** Parts of a stored envelope. */
export interface Envelope {
  header: Uint8Array;
  keyId: string;
  nonce: Uint8Array;
  sealed: Uint8Array;
}

function corrupt(detail: string): StoreError {
  return new StoreError("Corruption", `Cannot open an encrypted value: ${detail}`);
}

/** Splits a stored envelope; anything malformed is `Corruption`. */
export function parseEnvelope(stored: Uint8Array): Envelope {
  if (stored.length < 2) throw corrupt(`${stored.length} bytes is too short for an envelope`);
  if (stored[0] !== VERSION) throw corrupt(`unknown envelope version ${stored[0]}`);
  const idEnd = 2 + stored[1]!;
  if (stored.length < idEnd + NONCE_BYTES + TAG_BYTES) {
    throw corrupt(`${stored.length} bytes is too short (truncated)`);
  }
  let keyId: string;
  try {
    keyId = dec.decode(stored.subarray(2, idEnd));
  } catch (err) {
    throw new StoreError("Corruption", "Cannot open an encrypted value: bad key id", {
      cause: err,
    });
  }
  return {
    header: stored.subarray(0, idEnd),
    keyId,
    nonce: stored.subarray(idEnd, idEnd + NONCE_BYTES),
    sealed: stored.subarray(idEnd + NONCE_BYTES),
  };
}

/** The associated data: envelope header, then the user key. */
export function associatedData(head: Uint8Array, key: Uint8Array): Uint8Array<ArrayBuffer> {
  const ad = new Uint8Array(head.length + key.length);
  ad.set(head);
  ad.set(key, head.length);
  return ad;
}
