// Private: a fast writer and reader of V8's serialization format for the plain values most
// programs store (objects, arrays, strings, numbers, bigints, booleans, null, undefined, Date,
// Map, Set). `node:v8` handles everything else; its bytes and ours are the same format, so
// either side reads what the other wrote. node:v8 costs ~40-80 µs per small object here, this
// ~1 µs, and point reads are the hot path.
import { deserialize as v8Deserialize, serialize as v8Serialize } from "node:v8";
import { ByteWriter } from "../../core/byte_writer.ts";
import { carveCopy } from "../../core/_slab.ts";

const VERSION = 15;
const T_PADDING = 0x00;
const T_UNDEFINED = 0x5f; // _
const T_NULL = 0x30; // 0
const T_TRUE = 0x54; // T
const T_FALSE = 0x46; // F
const T_INT32 = 0x49; // I
const T_DOUBLE = 0x4e; // N
const T_BIGINT = 0x5a; // Z
const T_ONE_BYTE = 0x22; // "
const T_TWO_BYTE = 0x63; // c
const T_UTF8 = 0x53; // S
const T_OBJECT = 0x6f; // o
const T_END_OBJECT = 0x7b; // {
const T_DENSE_ARRAY = 0x41; // A
const T_END_DENSE_ARRAY = 0x24; // $
const T_DATE = 0x44; // D
const T_MAP = 0x3b; // ;
const T_END_MAP = 0x3a; // :
const T_SET = 0x27; // '
const T_END_SET = 0x2c; // ,
const T_VERSION = 0xff;

const utf8Decoder = new TextDecoder();
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const INDEX_KEY = /^(?:0|[1-9][0-9]*)$/;

/** Thrown inside the fast writer when node:v8 must take the value. */
class NotPlain extends Error {}

class Writer extends ByteWriter {
  seen = new Set<object>();
  string(s: string): void {
    this.ensure(s.length + 6);
    const start = this.len;
    this.buf[this.len++] = T_ONE_BYTE;
    this.varint(s.length);
    this.ensure(s.length);
    const buf = this.buf;
    let len = this.len;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.len = start;
        return this.twoByte(s);
      }
      buf[len++] = c;
    }
    this.len = len;
  }
  /** UTF-16 code units as V8 keeps them (UTF-8 would lose lone surrogates). */
  twoByte(s: string): void {
    this.byte(T_TWO_BYTE);
    this.varint(s.length * 2);
    this.ensure(s.length * 2);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      this.buf[this.len++] = c & 0xff;
      this.buf[this.len++] = c >> 8;
    }
  }
  enter(o: object): void {
    // A second reference to one object needs V8's back-references: node:v8 writes those.
    if (this.seen.has(o)) throw new NotPlain();
    this.seen.add(o);
  }
  value(v: unknown): void {
    switch (typeof v) {
      case "undefined":
        return this.byte(T_UNDEFINED);
      case "boolean":
        return this.byte(v ? T_TRUE : T_FALSE);
      case "string":
        return this.string(v);
      case "number":
        if (Number.isInteger(v) && v >= -0x40000000 && v < 0x40000000 && !Object.is(v, -0)) {
          this.byte(T_INT32);
          return this.varint(v < 0 ? -2 * v - 1 : 2 * v);
        }
        this.byte(T_DOUBLE);
        return this.f64(v);
      case "bigint":
        return this.bigint(v);
      case "object":
        if (v === null) return this.byte(T_NULL);
        return this.object(v);
    }
    throw new NotPlain();
  }
  bigint(v: bigint): void {
    const neg = v < 0n;
    let mag = neg ? -v : v;
    const bytes: number[] = [];
    while (mag > 0n) {
      bytes.push(Number(mag & 0xffn));
      mag >>= 8n;
    }
    while (bytes.length % 8 !== 0) bytes.push(0);
    this.byte(T_BIGINT);
    this.varint(bytes.length * 2 + (neg ? 1 : 0));
    this.ensure(bytes.length);
    for (const b of bytes) this.buf[this.len++] = b;
  }
  object(o: object): void {
    const proto = Object.getPrototypeOf(o);
    if (proto === Object.prototype) {
      this.enter(o);
      this.byte(T_OBJECT);
      let n = 0;
      for (const k in o) {
        if (!Object.hasOwn(o, k)) continue;
        const c = k.charCodeAt(0);
        if (c >= 0x30 && c <= 0x39 && INDEX_KEY.test(k)) throw new NotPlain();
        this.string(k);
        this.value((o as Record<string, unknown>)[k]);
        n++;
      }
      this.byte(T_END_OBJECT);
      return this.varint(n);
    }
    if (proto === Array.prototype) {
      const a = o as unknown[];
      this.enter(o);
      if (Object.keys(a).length !== a.length) throw new NotPlain();
      this.byte(T_DENSE_ARRAY);
      this.varint(a.length);
      for (let i = 0; i < a.length; i++) this.value(a[i]);
      this.byte(T_END_DENSE_ARRAY);
      this.varint(0);
      return this.varint(a.length);
    }
    if (proto === Date.prototype && Object.keys(o).length === 0) {
      this.enter(o);
      this.byte(T_DATE);
      return this.f64((o as Date).getTime());
    }
    if (proto === Map.prototype) {
      this.enter(o);
      this.byte(T_MAP);
      for (const [k, v] of o as Map<unknown, unknown>) {
        this.value(k);
        this.value(v);
      }
      this.byte(T_END_MAP);
      return this.varint((o as Map<unknown, unknown>).size * 2);
    }
    if (proto === Set.prototype) {
      this.enter(o);
      this.byte(T_SET);
      for (const v of o as Set<unknown>) this.value(v);
      this.byte(T_END_SET);
      return this.varint((o as Set<unknown>).size);
    }
    throw new NotPlain();
  }
}

/**
 * The value in V8's serialization format (what `node:v8` `serialize` gives), after `room`
 * bytes left free for the caller's header (so the record needs no second copy).
 */
export function serializeV8(value: unknown, room = 0): Uint8Array {
  // One scratch writer, unless a getter of the value serializes another value meanwhile.
  const w = scratchBusy ? new Writer(128) : scratch;
  const mine = w === scratch;
  if (mine) scratchBusy = true;
  w.reset();
  w.seen.clear();
  w.ensure(room);
  w.len = room;
  w.buf.fill(0, 0, room);
  w.byte(T_VERSION);
  w.byte(VERSION);
  try {
    w.value(value);
    return carveCopy(w.view());
  } catch (err) {
    if (!(err instanceof NotPlain)) throw err;
    const b = v8Serialize(value);
    if (room === 0) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    const out = new Uint8Array(room + b.byteLength);
    out.set(b, room);
    return out;
  } finally {
    if (mine) {
      scratchBusy = false;
      w.seen.clear();
      // A huge value leaves no huge buffer behind.
      if (w.buf.length > 64 * 1024) scratch = new Writer(1024);
    }
  }
}

let scratch = new Writer(1024);
let scratchBusy = false;

/** Recently read property names by a hash of their bytes (see `Reader.name`). */
const NAME_CACHE: (string | undefined)[] = new Array(256);

class Reader {
  i = 0;
  constructor(public b: Uint8Array) {}
  tag(): number {
    let t = this.b[this.i++];
    while (t === T_PADDING) t = this.b[this.i++];
    if (t === undefined) throw new NotPlain();
    return t;
  }
  varint(): number {
    let n = 0;
    let mul = 1;
    for (;;) {
      const x = this.b[this.i++];
      if (x === undefined) throw new NotPlain();
      n += (x & 0x7f) * mul;
      if (x < 0x80) return n;
      mul *= 128;
    }
  }
  double(): number {
    if (this.i + 8 > this.b.length) throw new NotPlain();
    for (let k = 0; k < 8; k++) f64Bytes[k] = this.b[this.i + k]!;
    this.i += 8;
    return f64[0]!;
  }
  bytes(n: number): Uint8Array {
    if (this.i + n > this.b.length) throw new NotPlain();
    const out = this.b.subarray(this.i, this.i + n);
    this.i += n;
    return out;
  }
  /**
   * A one-byte property name. Names repeat from value to value: the string made last time for
   * the same bytes is reused, so setting the property skips building and hashing a new string.
   */
  name(): string {
    const start = this.i;
    const n = this.varint();
    const b = this.b;
    const at = this.i;
    if (n > 32 || at + n > b.length) {
      this.i = start;
      return this.value(T_ONE_BYTE) as string;
    }
    let h = n;
    for (let k = at; k < at + n; k++) h = (h * 31 + b[k]!) & 0xff;
    const cached = NAME_CACHE[h];
    this.i = at + n;
    if (cached !== undefined && cached.length === n) {
      let same = true;
      for (let k = 0; k < n; k++) {
        if (cached.charCodeAt(k) !== b[at + k]) {
          same = false;
          break;
        }
      }
      if (same) return cached;
    }
    let s = "";
    for (let k = at; k < at + n; k++) s += String.fromCharCode(b[k]!);
    NAME_CACHE[h] = s;
    return s;
  }
  value(t = this.tag()): unknown {
    switch (t) {
      case T_UNDEFINED:
        return undefined;
      case T_NULL:
        return null;
      case T_TRUE:
        return true;
      case T_FALSE:
        return false;
      case T_INT32: {
        const z = this.varint();
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      case T_DOUBLE:
        return this.double();
      case T_BIGINT: {
        const field = this.varint();
        const bytes = this.bytes(Math.floor(field / 2));
        let n = 0n;
        for (let k = bytes.length - 1; k >= 0; k--) n = (n << 8n) | BigInt(bytes[k]!);
        return field % 2 === 1 ? -n : n;
      }
      case T_ONE_BYTE: {
        const n = this.varint();
        let s = "";
        // Short strings (most names and values): read in place, ~4x faster than spreading bytes.
        if (n < 64) {
          const b = this.b;
          const end = this.i + n;
          if (end > b.length) throw new NotPlain();
          for (let k = this.i; k < end; k++) s += String.fromCharCode(b[k]!);
          this.i = end;
          return s;
        }
        const bytes = this.bytes(n);
        for (let k = 0; k < bytes.length; k += 4096) {
          s += String.fromCharCode.apply(null, bytes.subarray(k, k + 4096) as unknown as number[]);
        }
        return s;
      }
      case T_TWO_BYTE: {
        const bytes = this.bytes(this.varint());
        let s = "";
        for (let k = 0; k + 1 < bytes.length; k += 2) {
          s += String.fromCharCode(bytes[k]! | (bytes[k + 1]! << 8));
        }
        return s;
      }
      case T_UTF8:
        return utf8Decoder.decode(this.bytes(this.varint()));
      case T_OBJECT: {
        const o: Record<string, unknown> = {};
        for (let k = this.tag(); k !== T_END_OBJECT; k = this.tag()) {
          const name = k === T_ONE_BYTE ? this.name() : this.value(k);
          if (typeof name !== "string") throw new NotPlain();
          o[name] = this.value();
        }
        this.varint();
        return o;
      }
      case T_DENSE_ARRAY: {
        const n = this.varint();
        const a = new Array(n);
        for (let k = 0; k < n; k++) a[k] = this.value();
        if (this.tag() !== T_END_DENSE_ARRAY) throw new NotPlain();
        if (this.varint() !== 0) throw new NotPlain();
        this.varint();
        return a;
      }
      case T_DATE:
        return new Date(this.double());
      case T_MAP: {
        const m = new Map();
        for (let k = this.tag(); k !== T_END_MAP; k = this.tag()) {
          m.set(this.value(k), this.value());
        }
        this.varint();
        return m;
      }
      case T_SET: {
        const s = new Set();
        for (let k = this.tag(); k !== T_END_SET; k = this.tag()) s.add(this.value(k));
        this.varint();
        return s;
      }
    }
    throw new NotPlain();
  }
}

/**
 * Reads V8's serialization format (anything `node:v8` `serialize` or {@link serializeV8} wrote)
 * from `bytes` past `at` to their end.
 */
export function deserializeV8(bytes: Uint8Array, at = 0): unknown {
  if (bytes[at] === T_VERSION && bytes[at + 1]! <= VERSION && bytes[at + 1]! >= 13) {
    // One reader for every call (reading runs no caller code, so calls never nest): no reader
    // and no view of the value's bytes allocated per entry read.
    const r = READER;
    r.b = bytes;
    r.i = at + 2;
    try {
      const v = r.value();
      if (r.i === bytes.length) return v;
    } catch (err) {
      if (!(err instanceof NotPlain)) throw err;
    } finally {
      r.b = NO_BYTES;
    }
  }
  return v8Deserialize(at === 0 ? bytes : bytes.subarray(at));
}

const NO_BYTES = new Uint8Array(0);
const READER = new Reader(NO_BYTES);
