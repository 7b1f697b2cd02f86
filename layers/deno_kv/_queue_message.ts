// Private: a queue message as stored:
//   [attempt: 1][n backoff: 1][backoff ms, f64 LE: 8 each][n keys: 2 LE]([len: 2 LE][key])*[value]

/** A stored queue message. */
export interface QueueMessage {
  value: Uint8Array;
  keysIfUndelivered: Uint8Array[];
  backoffSchedule: number[];
  attempt: number;
}

/** The stored bytes of a message. */
export function encodeQueueMessage(m: QueueMessage): Uint8Array {
  let n = 4 + m.backoffSchedule.length * 8 + m.value.length;
  for (const k of m.keysIfUndelivered) n += 2 + k.length;
  const out = new Uint8Array(n);
  const dv = new DataView(out.buffer);
  out[0] = m.attempt;
  out[1] = m.backoffSchedule.length;
  let at = 2;
  for (const b of m.backoffSchedule) {
    dv.setFloat64(at, b, true);
    at += 8;
  }
  dv.setUint16(at, m.keysIfUndelivered.length, true);
  at += 2;
  for (const k of m.keysIfUndelivered) {
    dv.setUint16(at, k.length, true);
    out.set(k, at + 2);
    at += 2 + k.length;
  }
  out.set(m.value, at);
  return out;
}

/** The message of stored bytes. */
export function decodeQueueMessage(b: Uint8Array): QueueMessage {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const attempt = b[0]!;
  const backoffSchedule: number[] = [];
  let at = 2;
  for (let i = 0; i < b[1]!; i++, at += 8) backoffSchedule.push(dv.getFloat64(at, true));
  const nKeys = dv.getUint16(at, true);
  at += 2;
  const keysIfUndelivered: Uint8Array[] = [];
  for (let i = 0; i < nKeys; i++) {
    const len = dv.getUint16(at, true);
    keysIfUndelivered.push(b.slice(at + 2, at + 2 + len));
    at += 2 + len;
  }
  return { attempt, backoffSchedule, keysIfUndelivered, value: b.slice(at) };
}
