// The replica's lease: one JSON blob naming the generation that replicates
// now. Taken and renewed with conditional writes, so of two replicators only
// one wins. A backend without conditional writes (s3rver, an old S3
// clone) gets a best-effort lease: read, check, write, and on renewal check
// the blob still names us. Generations never share keys, so even then two
// primaries never interleave within one generation.
import type { BlobStore } from "../blob/types.ts";
import { StoreError } from "../core/error.ts";
import { leaseKey, type ReplicaTarget } from "./_layout.ts";

interface LeaseBody {
  generation: string;
  pid: number;
  renewedAt: number;
  leaseMs: number;
  released: boolean;
}

const isKind = (err: unknown, ...kinds: string[]) =>
  err instanceof StoreError && kinds.includes(err.kind);

/** The generation the replica's lease names (replicating now, or last), if any. */
export async function leasedGeneration(t: ReplicaTarget): Promise<string | undefined> {
  try {
    const body = JSON.parse(new TextDecoder().decode(await t.store.get(leaseKey(t))));
    return typeof body?.generation === "string" ? body.generation : undefined;
  } catch (err) {
    if (isKind(err, "NotFound")) return undefined;
    throw err;
  }
}

/** A held lease. */
export class Lease {
  #store: BlobStore;
  #key: string;
  #generation: string;
  #leaseMs: number;
  #etag: string | undefined;
  #op: string;
  /** When the lease was last written. */
  renewedAt = 0;

  private constructor(t: ReplicaTarget, generation: string, leaseMs: number, op: string) {
    this.#store = t.store;
    this.#key = leaseKey(t);
    this.#generation = generation;
    this.#leaseMs = leaseMs;
    this.#op = op;
  }

  /** Takes the lease for `generation`, or throws `Locked` naming the holder. */
  static async take(
    t: ReplicaTarget,
    generation: string,
    leaseMs: number,
    op: string,
  ): Promise<Lease> {
    const lease = new Lease(t, generation, leaseMs, op);
    await lease.#take();
    return lease;
  }

  #body(released: boolean): string {
    const body: LeaseBody = {
      generation: this.#generation,
      pid: Deno.pid,
      renewedAt: Date.now(),
      leaseMs: this.#leaseMs,
      released,
    };
    return JSON.stringify(body);
  }

  async #read(): Promise<{ body: LeaseBody; etag: string } | undefined> {
    try {
      const meta = await this.#store.head(this.#key);
      const body = JSON.parse(new TextDecoder().decode(await this.#store.get(this.#key)));
      return { body, etag: meta.etag };
    } catch (err) {
      if (isKind(err, "NotFound")) return undefined;
      throw err;
    }
  }

  async #take(): Promise<void> {
    const current = await this.#read();
    if (current) {
      const held = current.body;
      const age = Date.now() - held.renewedAt;
      if (!held.released && age < held.leaseMs) {
        throw new StoreError(
          "Locked",
          `Cannot ${this.#op}: generation ${held.generation} (pid ${held.pid}) holds the ` +
            `replica's lease, renewed ${age} ms ago; it expires in ${held.leaseMs - age} ms ` +
            `unless renewed`,
        );
      }
    }
    try {
      const meta = current
        ? await this.#store.putIfMatch(this.#key, this.#body(false), current.etag)
        : await this.#store.putIfAbsent(this.#key, this.#body(false));
      this.#etag = meta.etag;
    } catch (err) {
      if (isKind(err, "AlreadyExists", "CasMismatch")) {
        throw new StoreError("Locked", `Cannot ${this.#op}: another replicator took the lease`, {
          cause: err,
        });
      }
      if (!isKind(err, "Unsupported")) throw err;
      await this.#store.put(this.#key, this.#body(false));
      this.#etag = undefined;
    }
    this.renewedAt = Date.now();
  }

  /**
   * Renews (or, with `released`, gives up) the lease; `Locked` when another
   * replicator holds it now.
   */
  async write(released: boolean): Promise<void> {
    const lost = (cause?: unknown) =>
      new StoreError(
        "Locked",
        `Cannot ${this.#op}: another replicator took over the replica's lease; this one stopped`,
        { cause },
      );
    if (this.#etag !== undefined) {
      try {
        this.#etag = (await this.#store.putIfMatch(this.#key, this.#body(released), this.#etag))
          .etag;
      } catch (err) {
        if (isKind(err, "CasMismatch", "NotFound")) throw lost(err);
        throw err;
      }
    } else {
      const current = await this.#read();
      if (current && current.body.generation !== this.#generation) throw lost();
      await this.#store.put(this.#key, this.#body(released));
    }
    this.renewedAt = Date.now();
  }
}
