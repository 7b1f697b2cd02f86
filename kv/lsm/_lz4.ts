// LZ4 block format (no frame): the codec of table blocks. Private to kv/lsm.
// Compression is a greedy single-probe hash matcher (fast, modest ratio);
// decompression checks every length and offset so a damaged block throws
// instead of producing wrong bytes.

const HASH_BITS = 12;
const table = new Int32Array(1 << HASH_BITS);
const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;

function read32(a: Uint8Array, i: number): number {
  return a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24);
}

function hash(seq: number): number {
  return Math.imul(seq, 2654435761) >>> (32 - HASH_BITS);
}

/** The LZ4 block of `src`; decompressing needs `src.length`. */
export function lz4Compress(src: Uint8Array): Uint8Array {
  const n = src.length;
  const out = new Uint8Array(n + ((n / 255) | 0) + 16);
  let op = 0;
  let anchor = 0;

  const emit = (litEnd: number, offset: number, matchLen: number): void => {
    const lit = litEnd - anchor;
    const tokenPos = op++;
    let token = (lit >= 15 ? 15 : lit) << 4;
    if (lit >= 15) {
      let r = lit - 15;
      while (r >= 255) {
        out[op++] = 255;
        r -= 255;
      }
      out[op++] = r;
    }
    if (lit > 16) out.set(src.subarray(anchor, litEnd), op);
    else for (let i = 0; i < lit; i++) out[op + i] = src[anchor + i]!;
    op += lit;
    if (matchLen > 0) {
      out[op++] = offset & 0xff;
      out[op++] = offset >>> 8;
      const m = matchLen - MIN_MATCH;
      token |= m >= 15 ? 15 : m;
      if (m >= 15) {
        let r = m - 15;
        while (r >= 255) {
          out[op++] = 255;
          r -= 255;
        }
        out[op++] = r;
      }
    }
    out[tokenPos] = token;
  };

  if (n >= MF_LIMIT + 1) {
    table.fill(-1);
    const matchStartLimit = n - MF_LIMIT;
    const matchEndLimit = n - LAST_LITERALS;
    let ip = 0;
    while (ip < matchStartLimit) {
      const seq = read32(src, ip);
      const h = hash(seq);
      let ref = table[h]!;
      table[h] = ip;
      if (ref < 0 || ip - ref > 65535 || read32(src, ref) !== seq) {
        ip += 1 + ((ip - anchor) >> 6);
        continue;
      }
      let start = ip;
      while (start > anchor && ref > 0 && src[start - 1] === src[ref - 1]) {
        start--;
        ref--;
      }
      let len = MIN_MATCH + (ip - start);
      while (start + len < matchEndLimit && src[start + len] === src[ref + len]) len++;
      emit(start, start - ref, len);
      ip = start + len;
      anchor = ip;
      if (ip - 2 >= 0 && ip < matchStartLimit) table[hash(read32(src, ip - 2))] = ip - 2;
    }
  }
  emit(n, 0, 0);
  return out.subarray(0, op);
}

/** Inverts {@link lz4Compress}; throws on any malformed input. */
export function lz4Decompress(src: Uint8Array, outLen: number): Uint8Array {
  const out = new Uint8Array(outLen);
  let ip = 0;
  let op = 0;
  const end = src.length;
  while (ip < end) {
    const token = src[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= end) throw new Error("lz4: truncated literal length");
        b = src[ip++]!;
        lit += b;
      } while (b === 255);
    }
    if (ip + lit > end || op + lit > outLen) throw new Error("lz4: literal run out of bounds");
    if (lit > 16) out.set(src.subarray(ip, ip + lit), op);
    else for (let i = 0; i < lit; i++) out[op + i] = src[ip + i]!;
    ip += lit;
    op += lit;
    if (ip >= end) break;
    if (ip + 2 > end) throw new Error("lz4: truncated offset");
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new Error("lz4: bad match offset");
    let ml = token & 15;
    if (ml === 15) {
      let b: number;
      do {
        if (ip >= end) throw new Error("lz4: truncated match length");
        b = src[ip++]!;
        ml += b;
      } while (b === 255);
    }
    ml += MIN_MATCH;
    if (op + ml > outLen) throw new Error("lz4: match out of bounds");
    let from = op - offset;
    if (offset >= ml) {
      out.copyWithin(op, from, from + ml);
      op += ml;
    } else {
      for (let i = 0; i < ml; i++) out[op++] = out[from++]!;
    }
  }
  if (op !== outLen) throw new Error("lz4: decompressed size mismatch");
  return out;
}
