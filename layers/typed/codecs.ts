/**
 * Value codecs of the typed layer: {@link TypedCodec}, {@link JsonCodec} and
 * {@link BinaryCodec}.
 *
 * @module
 */
import { ByteWriter } from "../../core/byte_writer.ts";
import { TypedKvError } from "./typed_kv_error.ts";

/** Turns values of type `V` into bytes and back. */
export interface TypedCodec<V> {
  /** The bytes of a value; a value it cannot carry throws `InvalidInput`. */
  encode(value: V): Uint8Array;
  /** The value of bytes it made; anything else throws `Corruption`. */
  decode(bytes: Uint8Array): V;
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

/**
 * Values as UTF-8 JSON. Carries what `JSON.stringify` carries (a Date becomes
 * its ISO string; `undefined`, functions, symbols and bigints cannot be
 * stored and throw `InvalidInput`). The default codec of {@link TypedKvStore}.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { JsonCodec } from "@cooljapan/oxistore/typed";
 * const codec = new JsonCodec<{ n: number }>();
 * deepStrictEqual(codec.decode(codec.encode({ n: 1 })), { n: 1 });
 * ```
 */
export class JsonCodec<V = unknown> implements TypedCodec<V> {
  /** JSON bytes of a value. */
  encode(value: V): Uint8Array {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      throw new TypedKvError("InvalidInput", "Cannot encode value as JSON", { cause: err });
    }
    if (text === undefined) {
      throw new TypedKvError(
        "InvalidInput",
        `Cannot encode value as JSON: a ${typeof value} has no JSON form (try BinaryCodec)`,
      );
    }
    return enc.encode(text);
  }

  /** The value of JSON bytes. */
  decode(bytes: Uint8Array): V {
    try {
      return JSON.parse(dec.decode(bytes)) as V;
    } catch (err) {
      throw new TypedKvError("Corruption", "Cannot decode value: not valid UTF-8 JSON", {
        cause: err,
      });
    }
  }
}

const T_UNDEFINED = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_NUMBER = 4;
const T_BIGINT = 5;
const T_STRING = 6;
const T_BYTES = 7;
const T_DATE = 8;
const T_ARRAY = 9;
const T_OBJECT = 10;
const T_MAP = 11;
const T_SET = 12;
const MAX_DEPTH = 512;

/** A length (LEB128) and then the bytes. */
function lenBytes(o: ByteWriter, b: Uint8Array): void {
  o.varint(b.length);
  o.bytes(b);
}

function write(o: ByteWriter, v: unknown, seen: Set<object>, depth: number): void {
  if (depth > MAX_DEPTH) {
    throw new TypedKvError("InvalidInput", `Cannot encode value: nested deeper than ${MAX_DEPTH}`);
  }
  switch (typeof v) {
    case "undefined":
      return o.byte(T_UNDEFINED);
    case "boolean":
      return o.byte(v ? T_TRUE : T_FALSE);
    case "number":
      o.byte(T_NUMBER);
      return o.f64(v);
    case "bigint": {
      o.byte(T_BIGINT);
      o.byte(v < 0n ? 1 : 0);
      return lenBytes(o, enc.encode((v < 0n ? -v : v).toString(16)));
    }
    case "string":
      o.byte(T_STRING);
      return lenBytes(o, enc.encode(v));
    case "object":
      break;
    default:
      throw new TypedKvError("InvalidInput", `Cannot encode value: a ${typeof v} cannot be stored`);
  }
  if (v === null) return o.byte(T_NULL);
  if (v instanceof Uint8Array) {
    o.byte(T_BYTES);
    return lenBytes(o, v);
  }
  if (v instanceof Date) {
    o.byte(T_DATE);
    return o.f64(v.getTime());
  }
  if (seen.has(v)) throw new TypedKvError("InvalidInput", "Cannot encode value: it has a cycle");
  seen.add(v);
  try {
    if (Array.isArray(v)) {
      o.byte(T_ARRAY);
      o.varint(v.length);
      for (let i = 0; i < v.length; i++) write(o, v[i], seen, depth + 1);
    } else if (v instanceof Map) {
      o.byte(T_MAP);
      o.varint(v.size);
      for (const [k, x] of v) {
        write(o, k, seen, depth + 1);
        write(o, x, seen, depth + 1);
      }
    } else if (v instanceof Set) {
      o.byte(T_SET);
      o.varint(v.size);
      for (const x of v) write(o, x, seen, depth + 1);
    } else {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypedKvError(
          "InvalidInput",
          `Cannot encode value: instances of ${
            (v as object).constructor?.name ?? "a class"
          } cannot be stored (plain objects, arrays, Map, Set, Date, Uint8Array only)`,
        );
      }
      const keys = Object.keys(v);
      o.byte(T_OBJECT);
      o.varint(keys.length);
      for (const k of keys) {
        lenBytes(o, enc.encode(k));
        write(o, (v as Record<string, unknown>)[k], seen, depth + 1);
      }
    }
  } finally {
    seen.delete(v);
  }
}

class In {
  at = 0;
  readonly view: DataView;
  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  fail(detail: string): TypedKvError {
    return new TypedKvError("Corruption", `Cannot decode value: ${detail} at byte ${this.at}`);
  }
  byte(): number {
    if (this.at >= this.buf.length) throw this.fail("unexpected end");
    return this.buf[this.at++]!;
  }
  varint(): number {
    let n = 0;
    for (let shift = 1, i = 0;; shift *= 128, i++) {
      if (i > 7) throw this.fail("varint too long");
      const b = this.byte();
      n += (b & 0x7f) * shift;
      if ((b & 0x80) === 0) return n;
    }
  }
  bytes(): Uint8Array {
    const n = this.varint();
    if (this.at + n > this.buf.length) throw this.fail(`length ${n} runs past the end`);
    const out = this.buf.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }
  text(): string {
    try {
      return dec.decode(this.bytes());
    } catch (err) {
      if (err instanceof TypedKvError) throw err;
      throw this.fail("bad UTF-8");
    }
  }
  f64(): number {
    if (this.at + 8 > this.buf.length) throw this.fail("truncated number");
    const x = this.view.getFloat64(this.at, true);
    this.at += 8;
    return x;
  }
  count(): number {
    const n = this.varint();
    // every element takes at least one byte: a larger count is a lie
    if (n > this.buf.length - this.at) throw this.fail(`count ${n} exceeds the input`);
    return n;
  }
}

function read(i: In, depth: number): unknown {
  if (depth > MAX_DEPTH) throw i.fail("nested too deep");
  const tag = i.byte();
  switch (tag) {
    case T_UNDEFINED:
      return undefined;
    case T_NULL:
      return null;
    case T_FALSE:
      return false;
    case T_TRUE:
      return true;
    case T_NUMBER:
      return i.f64();
    case T_BIGINT: {
      const neg = i.byte();
      const hex = i.text();
      if (neg > 1 || !/^[0-9a-f]+$/.test(hex)) throw i.fail("bad bigint");
      const n = BigInt("0x" + hex);
      return neg ? -n : n;
    }
    case T_STRING:
      return i.text();
    case T_BYTES:
      return i.bytes();
    case T_DATE:
      return new Date(i.f64());
    case T_ARRAY: {
      const n = i.count();
      const out = new Array(n);
      for (let k = 0; k < n; k++) out[k] = read(i, depth + 1);
      return out;
    }
    case T_OBJECT: {
      const n = i.count();
      const out: Record<string, unknown> = {};
      for (let k = 0; k < n; k++) {
        const key = i.text();
        Object.defineProperty(out, key, {
          value: read(i, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    case T_MAP: {
      const n = i.count();
      const out = new Map<unknown, unknown>();
      for (let k = 0; k < n; k++) {
        const key = read(i, depth + 1);
        out.set(key, read(i, depth + 1));
      }
      return out;
    }
    case T_SET: {
      const n = i.count();
      const out = new Set<unknown>();
      for (let k = 0; k < n; k++) out.add(read(i, depth + 1));
      return out;
    }
    default:
      i.at--;
      throw i.fail(`unknown tag ${tag}`);
  }
}

/**
 * A compact binary codec for what JSON cannot carry: `undefined`, `NaN`,
 * `±Infinity`, `-0`, bigint, Uint8Array, Date, Map, Set, and plain objects
 * and arrays of them (sparse array holes read back as `undefined`). Class
 * instances, functions, symbols, other typed arrays and cycles throw
 * `InvalidInput`; damaged bytes throw `Corruption`. No structuredClone or
 * V8 serializer: the format is documented and stable — one tag byte per
 * value (0 undefined, 1 null, 2 false, 3 true, 4 number as f64 LE, 5 bigint
 * as sign + hex, 6 string, 7 bytes, 8 Date as f64 ms, 9 array, 10 object,
 * 11 Map, 12 Set), lengths and counts as LEB128.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { BinaryCodec } from "@cooljapan/oxistore/typed";
 * const codec = new BinaryCodec();
 * const v = { at: new Date(0), n: 10n ** 30n, tags: new Set(["a"]), raw: new Uint8Array([1]) };
 * deepStrictEqual(codec.decode(codec.encode(v)), v); // the same shape, types intact
 * ```
 */
export class BinaryCodec<V = unknown> implements TypedCodec<V> {
  /** The bytes of a value. */
  encode(value: V): Uint8Array {
    const o = new ByteWriter(256);
    write(o, value, new Set(), 0);
    return o.copy();
  }

  /** The value of bytes this codec made. */
  decode(bytes: Uint8Array): V {
    const i = new In(bytes);
    const v = read(i, 0);
    if (i.at !== bytes.length) throw i.fail("trailing bytes");
    return v as V;
  }
}
