/**
 * {@link AtomicOperation}: checks and mutations applied all together or not at all.
 *
 * @module
 */
import type {
  AtomicCheck,
  KvCommitError,
  KvCommitResult,
  KvEnqueueOptions,
  KvKey,
  KvMutation,
} from "./types.ts";
import { encodeSetKey, encodeWriteKey } from "./_key_codec.ts";
import { encodeValue } from "./_value_codec.ts";
import { RECORD_ROOM } from "./_record.ts";
import { checkU64, isKvU64 } from "./kv_u64.ts";
import {
  checkExpireIn,
  encodeUndeliveredKeys,
  type PendingEnqueue,
  prepareEnqueue,
} from "./_validate.ts";
import type { Committer, PreparedCheck, PreparedEnqueue, PreparedMutation } from "./_commit.ts";

/** Deno KV's limits of one atomic operation, kept identical... */
const MAX_CHECKS = 100;
const MAX_MUTATIONS = 1000;
const MAX_TOTAL_KEY_BYTES = 81920;
/** ...but this one: Deno KV's 800 KiB would refuse one 64 MiB value, which oxistore allows. */
const MAX_TOTAL_MUTATION_BYTES = 64 * 1024 * 1024;
const VERSIONSTAMP = /^[0-9a-f]{20}$/;

type Pending =
  /** `value` is encoded after RECORD_ROOM free bytes, for the record's header. */
  | { type: "set"; key: unknown; value: Uint8Array; expireIn: number | undefined }
  | { type: "delete"; key: unknown }
  | { type: "sum" | "min" | "max"; key: unknown; operand: bigint }
  | { type: "sumPlain"; key: unknown; operand: bigint | number }
  | { type: "fail"; key: unknown; message: string }
  | { type: "invalid"; message: string };

/**
 * An atomic operation, as `Deno.AtomicOperation`: `check`s must all hold at commit time,
 * then every mutation and enqueue is applied in one commit with one versionstamp.
 *
 * @example
 * ```ts
 * import { openKv } from "@cooljapan/oxistore/deno-kv";
 * await using kv = await openKv();
 * const first = await kv.atomic().check({ key: ["n"], versionstamp: null }).set(["n"], 1).commit();
 * const again = await kv.atomic().check({ key: ["n"], versionstamp: null }).set(["n"], 2).commit();
 * if (!first.ok || again.ok) throw new Error("the second check should fail");
 * ```
 */
export class AtomicOperation {
  readonly #committer: Committer;
  readonly #checks: AtomicCheck[] = [];
  readonly #mutations: Pending[] = [];
  readonly #enqueues: PendingEnqueue[] = [];
  /** Committed once: the encoded values may be in a store now, so later commits copy them. */
  #committed = false;

  /** @internal Made by `Kv.atomic()`. */
  constructor(committer: Committer) {
    this.#committer = committer;
  }

  /** Requires each key's versionstamp to still be the given one (`null` = absent). */
  check(...checks: AtomicCheck[]): this {
    this.#checks.push(...checks);
    return this;
  }

  /** Adds mutations in `Deno.KvMutation` form. */
  mutate(...mutations: KvMutation[]): this {
    for (const m of mutations) this.#mutations.push(pendingOf(m));
    return this;
  }

  /** Sets `key` to `value` (optionally expiring after `expireIn` ms). */
  set(key: KvKey, value: unknown, options?: { expireIn?: number }): this {
    this.#mutations.push({
      type: "set",
      key,
      value: encodeValue(value, RECORD_ROOM),
      expireIn: checkExpireIn(options?.expireIn),
    });
    return this;
  }

  /** Deletes `key`. */
  delete(key: KvKey): this {
    this.#mutations.push({ type: "delete", key });
    return this;
  }

  /** Adds `n` to the KvU64 at `key` (absent = 0), wrapping at 2^64. */
  sum(key: KvKey, n: bigint): this {
    this.#mutations.push({ type: "sum", key, operand: checkU64(n) });
    return this;
  }

  /** Keeps the smaller of the KvU64 at `key` and `n` (absent = `n`). */
  min(key: KvKey, n: bigint): this {
    this.#mutations.push({ type: "min", key, operand: checkU64(n) });
    return this;
  }

  /** Keeps the larger of the KvU64 at `key` and `n` (absent = `n`). */
  max(key: KvKey, n: bigint): this {
    this.#mutations.push({ type: "max", key, operand: checkU64(n) });
    return this;
  }

  /** Adds a queue message, delivered once this operation commits. */
  enqueue(value: unknown, options?: KvEnqueueOptions): this {
    this.#enqueues.push(prepareEnqueue(value, options));
    return this;
  }

  /** Applies everything, or nothing when a check fails (`{ ok: false }`). */
  async commit(): Promise<KvCommitResult | KvCommitError> {
    const { checks, mutations, enqueues } = this.#prepare();
    this.#committed = true;
    const vs = await this.#committer.commit(checks, mutations, enqueues);
    return vs === null ? { ok: false } : { ok: true, versionstamp: vs };
  }

  #prepare(): {
    checks: PreparedCheck[];
    mutations: PreparedMutation[];
    enqueues: PreparedEnqueue[];
  } {
    if (this.#checks.length > MAX_CHECKS) {
      throw new TypeError(`Too many checks (max ${MAX_CHECKS})`);
    }
    if (this.#mutations.length + this.#enqueues.length > MAX_MUTATIONS) {
      throw new TypeError(`Too many mutations (max ${MAX_MUTATIONS})`);
    }
    let keyBytes = 0;
    let mutationBytes = 0;
    const checks = this.#checks.map((c) => {
      if (
        c === null || typeof c !== "object" ||
        (c.versionstamp !== null &&
          !(typeof c.versionstamp === "string" && VERSIONSTAMP.test(c.versionstamp.toLowerCase())))
      ) throw new TypeError("Invalid check");
      const key = encodeWriteKey(c.key);
      keyBytes += key.length;
      return { key, versionstamp: c.versionstamp === null ? null : c.versionstamp.toLowerCase() };
    });
    const mutations = this.#mutations.map((m): PreparedMutation => {
      if (m.type === "invalid") throw new TypeError(m.message);
      if (m.type === "set") {
        checkExpireIn(m.expireIn);
        const { key, stamped } = encodeSetKey(m.key);
        keyBytes += key.length;
        mutationBytes += key.length + m.value.length - RECORD_ROOM;
        const roomy = !this.#committed;
        const value = roomy ? m.value : m.value.slice(RECORD_ROOM);
        return { type: "set", key, value, expireIn: m.expireIn, stamped, roomy };
      }
      const key = encodeWriteKey(m.key);
      keyBytes += key.length;
      if (m.type === "delete") {
        mutationBytes += key.length;
        return { type: "delete", key };
      }
      mutationBytes += key.length + 8;
      return { ...m, key };
    });
    const enqueues = this.#enqueues.map(encodeUndeliveredKeys);
    for (const e of enqueues) mutationBytes += e.value.length;
    if (keyBytes > MAX_TOTAL_KEY_BYTES) {
      throw new TypeError(`Total key size too large (max ${MAX_TOTAL_KEY_BYTES} bytes)`);
    }
    if (mutationBytes > MAX_TOTAL_MUTATION_BYTES) {
      throw new TypeError(`Total mutation size too large (max ${MAX_TOTAL_MUTATION_BYTES} bytes)`);
    }
    return { checks, mutations, enqueues };
  }
}

function pendingOf(m: KvMutation): Pending {
  const { type, key } = m as { type: unknown; key: unknown };
  const value = (m as { value?: unknown }).value;
  switch (type) {
    case "set": {
      if (!("value" in m)) throw new TypeError("Invalid mutation 'set' without value");
      const expireIn = (m as { expireIn?: unknown }).expireIn;
      // Deno reads expireIn only when it is a number; a bad number fails at commit.
      return {
        type,
        key,
        value: encodeValue(value, RECORD_ROOM),
        expireIn: typeof expireIn === "number" ? expireIn : undefined,
      };
    }
    case "delete":
      if (value) throw new TypeError("Invalid mutation 'delete' with value");
      return { type, key };
    case "sum":
    case "min":
    case "max": {
      if (!("value" in m)) throw new TypeError(`Invalid mutation '${type}' without value`);
      if (isKvU64(value)) return { type, key, operand: value.value };
      if (type !== "sum") {
        // Deno reports this one only once the checks passed.
        const message = `Failed to perform '${type}' mutation on a non-U64 operand`;
        return { type: "fail", key, message };
      }
      // Deno KV's sum also adds plain numbers and bigints (not wrapping, no KvU64 involved).
      if (typeof value === "bigint" || typeof value === "number") {
        return { type: "sumPlain", key, operand: value };
      }
      return { type: "invalid", message: "Some of the parameters are not valid V8 values" };
    }
  }
  throw new TypeError("Invalid mutation type");
}

// Awaiting the operation itself is a mistake Deno reports; so do we.
Object.defineProperty(AtomicOperation.prototype, "then", {
  get() {
    throw new TypeError(
      "'Deno.AtomicOperation' is not a promise: did you forget to call 'commit()'",
    );
  },
});
