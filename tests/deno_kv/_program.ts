// Random programs over the Deno KV API and a runner that records what each step returned or
// threw, in a form two stores can be compared by: versionstamps become their rank among the
// versionstamps the run saw, KvU64s become { u64 }, errors their class.
import fc from "fast-check";
import type { AnyKv } from "./_targets.ts";

type Key = unknown[];
export type Step =
  | { op: "set"; key: Key; value: unknown; expireIn?: unknown }
  | { op: "delete"; key: Key }
  | { op: "get"; key: Key }
  | { op: "getMany"; keys: Key[] }
  | {
    op: "list";
    selector: Record<string, unknown>;
    options: Record<string, unknown>;
    pages: number;
  }
  | { op: "atomic"; checks: Check[]; mutations: Mutation[] }
  | { op: "enqueue"; value: unknown; options: Record<string, unknown> };
type Check = { key: Key; stamp: "null" | "current" | "bogus" | "invalid" };
type Mutation =
  | { type: "set"; key: Key; value: unknown; expireIn?: number }
  | { type: "delete"; key: Key }
  | { type: "sum" | "min" | "max"; key: Key; n: unknown }
  | { type: "mutate"; m: Record<string, unknown> }
  | { type: "enqueue"; value: unknown; options: Record<string, unknown> }
  | { type: "stamped"; key: Key; value: unknown };

const U64_EDGES = [0n, 1n, 2n, 1n << 63n, (1n << 64n) - 1n, (1n << 64n) - 2n];

const part = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("a", "b", "", "a\u0000", "é", "\u{1F600}") },
  { weight: 3, arbitrary: fc.constantFrom(0, 1, -1, 2.5, -0, NaN, Infinity, -Infinity) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(0n, 1n, -1n, 255n, 256n, -256n, 1n << 70n, -(1n << 70n)),
  },
  { weight: 1, arbitrary: fc.boolean() },
  {
    weight: 2,
    arbitrary: fc.constantFrom([], [0], [1], [0, 0], [255]).map((b) => Uint8Array.from(b)),
  },
);
export const key: fc.Arbitrary<Key> = fc.array(part, { minLength: 1, maxLength: 3 });
const prefixKey: fc.Arbitrary<Key> = fc.array(part, { minLength: 0, maxLength: 2 });
const invalidKey: fc.Arbitrary<unknown> = fc.constantFrom(
  [],
  [{}],
  [null],
  "notarray",
  ["x".repeat(2100)],
);
const anyKey = fc.oneof({ weight: 12, arbitrary: key }, {
  weight: 1,
  arbitrary: invalidKey,
}) as fc.Arbitrary<Key>;

const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 8 }),
  fc.constantFrom(null, undefined, true, 1.5, -0, NaN, 10n ** 30n),
  fc.constantFrom(...U64_EDGES).map((n) => ({ u64: n })),
  fc.uint8Array({ maxLength: 6 }),
  fc.record({ a: fc.integer(), b: fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }) }),
  fc.constant({ date: new Date(86400000), map: new Map([[1, "x"]]), set: new Set(["y"]) }),
  fc.constantFrom("SYMBOL", "FUNCTION").map((bad) => ({ bad })),
);

const expireIn = fc.option(fc.constantFrom(600_000, 3_600_000, -1, 1.5), { nil: undefined });

const selector = fc.oneof(
  prefixKey.map((prefix) => ({ prefix })),
  fc.tuple(prefixKey, key).map(([prefix, start]) => ({ prefix, start: [...prefix, ...start] })),
  fc.tuple(prefixKey, key).map(([prefix, end]) => ({ prefix, end: [...prefix, ...end] })),
  fc.tuple(key, key).map(([start, end]) => ({ start, end })),
  fc.tuple(key, key).map(([prefix, start]) => ({ prefix, start })),
  fc.tuple(key, key, key).map(([prefix, start, end]) => ({ prefix, start, end })),
  key.map((start) => ({ start })),
);
const listOptions = fc.record(
  {
    limit: fc.constantFrom(1, 2, 3, 50, 0, -1, 1.5),
    reverse: fc.boolean(),
    batchSize: fc.constantFrom(1, 2, 7, 0, 1001),
    consistency: fc.constantFrom("strong", "eventual", "bogus"),
    cursor: fc.constantFrom("!!", "AA", ""),
  },
  { requiredKeys: [] },
);

const enqueueOptions = fc.record(
  {
    delay: fc.constantFrom(0, 1.5, 3_600_000, -1, 31 * 24 * 3600 * 1000),
    backoffSchedule: fc.constantFrom([], [1], [-1], [1, 1, 1, 1, 1, 1]),
    keysIfUndelivered: fc.array(anyKey, { maxLength: 2 }),
  },
  { requiredKeys: [] },
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ type: fc.constant("enqueue" as const), value, options: enqueueOptions }),
  fc.record({ type: fc.constant("stamped" as const), key: prefixKey, value }),
  fc.record({
    type: fc.constant("set" as const),
    key: anyKey,
    value,
    expireIn: fc.constantFrom(undefined, 600_000),
  })
    .map((
      m,
    ) => (m.expireIn === undefined ? { type: m.type, key: m.key, value: m.value } : m as Mutation)),
  fc.record({ type: fc.constant("delete" as const), key: anyKey }),
  fc.record({
    type: fc.constantFrom("sum" as const, "min" as const, "max" as const),
    key: anyKey,
    n: fc.oneof(fc.constantFrom(...U64_EDGES), fc.constantFrom(-1n, 1n << 64n, 1, "x")),
  }),
  fc.record({
    type: fc.constant("mutate" as const),
    m: fc.oneof(
      fc.record({
        type: fc.constantFrom("sum", "min", "max"),
        key,
        value: fc.constantFrom(...U64_EDGES).map((n) => ({ u64: n })),
      }),
      fc.record({ type: fc.constantFrom("sum", "max"), key, value: fc.constantFrom(3, 4n) }),
      fc.record({ type: fc.constant("set"), key, value: fc.integer() }),
      fc.record({ type: fc.constant("set"), key }),
      fc.record({ type: fc.constant("delete"), key }),
      fc.record({ type: fc.constant("bogus"), key }),
    ),
  }),
);

export const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("enqueue" as const), value, options: enqueueOptions }),
  },
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant("set" as const), key: anyKey, value, expireIn }, {
      requiredKeys: ["op", "key", "value"],
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), key: anyKey }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("get" as const), key: anyKey }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("getMany" as const),
      keys: fc.array(anyKey, { maxLength: 11 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("list" as const),
      selector,
      options: listOptions,
      pages: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("atomic" as const),
      checks: fc.array(
        fc.record({
          key: anyKey,
          stamp: fc.constantFrom(
            "null" as const,
            "current" as const,
            "current" as const,
            "bogus" as const,
            "invalid" as const,
          ),
        }),
        { maxLength: 3 },
      ),
      mutations: fc.array(mutation, { maxLength: 4 }),
    }),
  },
);

export const program: fc.Arbitrary<Step[]> = fc.array(step, { minLength: 1, maxLength: 25 });

/** The Deno or oxistore form of a generated value. */
function materialize(v: unknown, U64: new (n: bigint) => unknown): unknown {
  if (v !== null && typeof v === "object" && "u64" in v) {
    return new U64((v as { u64: bigint }).u64);
  }
  if (v !== null && typeof v === "object" && "bad" in v) {
    return (v as { bad: string }).bad === "SYMBOL" ? Symbol("s") : () => 1;
  }
  return v;
}

/** What a step gave, comparable across stores. */
function shape(v: unknown, stamps: string[]): unknown {
  // A key part made by commitVersionstamp() is a versionstamp's text: compared by order too.
  if (typeof v === "string" && /^[0-9a-f]{20}$/.test(v)) {
    stamps.push(v);
    return { stamp: v };
  }
  if (v === null || typeof v !== "object") return v;
  if (v instanceof Uint8Array || v instanceof Date || v instanceof Map || v instanceof Set) {
    return v;
  }
  if (
    typeof (v as { value?: unknown }).value === "bigint" && Object.keys(v).length <= 1 &&
    String(Object.prototype.toString.call(v)).includes("KvU64")
  ) {
    return { u64: (v as { value: bigint }).value };
  }
  if (Array.isArray(v)) return v.map((x) => shape(x, stamps));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === "versionstamp" && typeof x === "string") {
      stamps.push(x);
      out[k] = { stamp: x };
    } else out[k] = shape(x, stamps);
  }
  return out;
}

function errorOf(err: unknown): unknown {
  const e = err as Error;
  return { error: e?.constructor?.name ?? typeof err };
}

/** Runs a program on one store; the comparable record of every step. */
export async function run(
  kv: AnyKv,
  steps: Step[],
  U64: new (n: bigint) => unknown,
): Promise<unknown[]> {
  const stamps: string[] = [];
  const out: unknown[] = [];
  const attempt = async (f: () => Promise<unknown>) => {
    try {
      out.push(shape(await f(), stamps));
    } catch (err) {
      out.push(errorOf(err));
    }
  };
  for (const s of steps) {
    switch (s.op) {
      case "set":
        await attempt(() =>
          kv.set(
            s.key as Deno.KvKey,
            materialize(s.value, U64),
            s.expireIn === undefined ? undefined : { expireIn: s.expireIn as number },
          )
        );
        break;
      case "delete":
        await attempt(() => kv.delete(s.key as Deno.KvKey));
        break;
      case "get":
        await attempt(() => kv.get(s.key as Deno.KvKey));
        break;
      case "getMany":
        await attempt(() => kv.getMany(s.keys as Deno.KvKey[]));
        break;
      case "list": {
        let cursor = s.options.cursor as string | undefined;
        for (let page = 0; page < s.pages; page++) {
          await attempt(async () => {
            const opts = { ...s.options };
            if (page > 0) opts.cursor = cursor;
            const it = kv.list(s.selector as Deno.KvListSelector, opts as Deno.KvListOptions);
            const entries = await Array.fromAsync(it);
            cursor = it.cursor;
            return { entries, end: cursor === "" };
          });
          if (cursor === "" || cursor === undefined) break;
        }
        break;
      }
      case "enqueue":
        await attempt(() => kv.enqueue(materialize(s.value, U64), s.options as { delay?: number }));
        break;
      case "atomic":
        await attempt(async () => {
          const op = kv.atomic();
          for (const c of s.checks) {
            let versionstamp: unknown = null;
            if (c.stamp === "current") {
              try {
                versionstamp = (await kv.get(c.key as Deno.KvKey)).versionstamp;
              } catch {
                versionstamp = null;
              }
            } else if (c.stamp === "bogus") versionstamp = "ffffffffffffffff0000";
            else if (c.stamp === "invalid") versionstamp = "xyz";
            op.check({ key: c.key as Deno.KvKey, versionstamp: versionstamp as string | null });
          }
          for (const m of s.mutations) {
            if (m.type === "set") {
              op.set(
                m.key as Deno.KvKey,
                materialize(m.value, U64),
                m.expireIn ? { expireIn: m.expireIn } : undefined,
              );
            } else if (m.type === "delete") op.delete(m.key as Deno.KvKey);
            else if (m.type === "enqueue") {
              op.enqueue(materialize(m.value, U64), m.options as { delay?: number });
            } else if (m.type === "stamped") {
              op.set([...m.key, kv.commitVersionstamp()] as Deno.KvKey, materialize(m.value, U64));
            } else if (m.type === "mutate") {
              op.mutate(
                {
                  ...m.m,
                  ...("value" in m.m ? { value: materialize(m.m.value, U64) } : {}),
                } as Deno.KvMutation,
              );
            } else op[m.type](m.key as Deno.KvKey, m.n as bigint);
          }
          return await op.commit();
        });
        break;
    }
  }
  // Versionstamps differ in text between stores; their order is what must agree.
  const ranks = new Map([...new Set(stamps)].sort().map((x, i) => [x, i]));
  return JSON.parse(JSON.stringify(out, (_k, v) => {
    if (v && typeof v === "object" && "stamp" in v && Object.keys(v).length === 1) {
      return ranks.get(v.stamp);
    }
    if (typeof v === "bigint") return `${v}n`;
    if (typeof v === "number" && !Number.isFinite(v)) return String(v);
    if (Object.is(v, -0)) return "-0";
    if (v instanceof Uint8Array) return { bytes: [...v] };
    if (v instanceof Map) return { map: [...v] };
    if (v instanceof Set) return { set: [...v] };
    if (v === undefined) return "undefined";
    return v;
  }));
}
