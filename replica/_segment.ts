// The segment format: a run of whole commits, each checksummed, then a
// trailer that counts them, so a torn, truncated or damaged upload is
// recognised before anything of it is applied.
//
//   "OXISEG" version(1) 0
//   commit*: u32 length, body, u32 CRC-32 of body
//     body: f64 seq, f64 time (epoch ms), u32 op count,
//           op*: u8 kind (0 delete, 1 put), u32 key length, key,
//                [u32 value length, value]   (values carry the TTL header)
//   trailer: u32 0, u32 commit count, u32 CRC-32 of the 8 bytes before it
// Integers are big-endian.
import { crc32 } from "../core/crc32.ts";
import type { RawOp } from "../core/engine.ts";
import type { ReplicatedCommit } from "../core/_replication.ts";
import { StoreError } from "../core/error.ts";

const MAGIC = [0x4f, 0x58, 0x49, 0x53, 0x45, 0x47, 1, 0]; // "OXISEG" v1

/** Encodes whole commits as one segment. */
export function encodeSegment(commits: readonly ReplicatedCommit[]): Uint8Array {
  let size = MAGIC.length + 12;
  for (const c of commits) {
    size += 8 + 20;
    for (const op of c.ops) size += 5 + op.key.length + (op.value ? 4 + op.value.length : 0);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(MAGIC);
  let o = MAGIC.length;
  for (const c of commits) {
    const start = o + 4;
    o = start;
    view.setFloat64(o, c.seq);
    view.setFloat64(o + 8, c.timeMs);
    view.setUint32(o + 16, c.ops.length);
    o += 20;
    for (const op of c.ops) {
      out[o] = op.value ? 1 : 0;
      view.setUint32(o + 1, op.key.length);
      out.set(op.key, o + 5);
      o += 5 + op.key.length;
      if (op.value) {
        view.setUint32(o, op.value.length);
        out.set(op.value, o + 4);
        o += 4 + op.value.length;
      }
    }
    view.setUint32(start - 4, o - start);
    view.setUint32(o, crc32(out.subarray(start, o)));
    o += 4;
  }
  view.setUint32(o, 0);
  view.setUint32(o + 4, commits.length);
  view.setUint32(o + 8, crc32(out.subarray(o, o + 8)));
  return out;
}

/** Decodes a whole segment, or throws `Corruption` naming `name`. */
export function decodeSegment(bytes: Uint8Array, name: string): ReplicatedCommit[] {
  const bad = (why: string) =>
    new StoreError("Corruption", `Cannot read replica segment ${name}: ${why}`);
  if (bytes.length < MAGIC.length + 12 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw bad("not an oxistore replica segment (bad magic bytes or version)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const commits: ReplicatedCommit[] = [];
  let o = MAGIC.length;
  while (true) {
    if (o + 4 > bytes.length) throw bad("truncated");
    const len = view.getUint32(o);
    if (len === 0) break;
    const start = o + 4;
    const end = start + len;
    if (len < 20 || end + 4 > bytes.length) throw bad(`commit ${commits.length} is truncated`);
    if (crc32(bytes.subarray(start, end)) !== view.getUint32(end)) {
      throw bad(`commit ${commits.length} fails its checksum`);
    }
    const ops: RawOp[] = [];
    let p = start + 20;
    for (let n = view.getUint32(start + 16); n > 0; n--) {
      if (p + 5 > end) throw bad("op runs past its commit");
      const put = bytes[p] === 1;
      const klen = view.getUint32(p + 1);
      const key = bytes.slice(p + 5, p + 5 + klen);
      p += 5 + klen;
      let value: Uint8Array | undefined;
      if (put) {
        if (p + 4 > end) throw bad("op runs past its commit");
        const vlen = view.getUint32(p);
        value = bytes.slice(p + 4, p + 4 + vlen);
        p += 4 + vlen;
      }
      if (p > end) throw bad("op runs past its commit");
      ops.push({ key, value });
    }
    if (p !== end) throw bad(`commit ${commits.length} has trailing bytes`);
    commits.push({ seq: view.getFloat64(start), timeMs: view.getFloat64(start + 8), ops });
    o = end + 4;
  }
  if (o + 12 !== bytes.length) throw bad("the trailer is truncated or followed by data");
  if (crc32(bytes.subarray(o, o + 8)) !== view.getUint32(o + 8)) {
    throw bad("the trailer fails its checksum");
  }
  if (view.getUint32(o + 4) !== commits.length) {
    throw bad(`the trailer counts ${view.getUint32(o + 4)} commits, found ${commits.length}`);
  }
  return commits;
}
