// The cloud stores' backend: the shared core's primitives over an ObjectApi
// (S3, GCS, Azure) and a key prefix inside the bucket. Digests ride in object
// metadata, conditions are the service's own preconditions, large or streamed
// data goes up in parallel parts, and a rename is copy-then-delete.

import { StoreError } from "../../core/error.ts";
import type {
  BlobBackend,
  UploadSink,
  WriteCondition,
  WriteConflict,
  WriteInfo,
} from "../_backend.ts";
import { collectData, isStream, iterateData, resolveRange } from "../_data.ts";
import type { ListPlan } from "../_list.ts";
import { type Digest, sha256, Sha256Hasher } from "../digest.ts";
import { compareKeys } from "../keys.ts";
import type { BlobData, BlobMeta, ListResult } from "../types.ts";
import { checkWriteOptions, mapLimit, storedOptions, toBlobMeta } from "./meta.ts";
import { DIGEST_META, type ObjectApi, type StoredObject } from "./object_api.ts";
import { PartWriter, type WrittenBlob } from "./part_writer.ts";

/** Requests at once when a call fans out per object (heads, deletes). */
const FAN_OUT = 8;

/** Most objects one listing request asks for (the services' own page cap). */
const SERVICE_PAGE = 1000;

/** Blobs as objects named `prefix + key` through one service's protocol. */
export class ObjectBackend implements BlobBackend {
  readonly removeConcurrency = FAN_OUT;
  /** Cursors are the service's continuation tokens, passed through as they are. */
  readonly nativeCursors = true;

  constructor(readonly api: ObjectApi, readonly prefix: string) {}

  get where(): string {
    return this.api.describe(this.prefix);
  }

  #name(key: string): string {
    return this.prefix + key;
  }

  describe(key: string): string {
    return this.api.describe(this.#name(key));
  }

  /** Digest from metadata; objects written by other tools get it computed by reading. */
  async #digestOf(o: StoredObject): Promise<string> {
    const d = o.metadata[DIGEST_META];
    if (d && /^[0-9a-f]{64}$/.test(d)) return d;
    const hasher = new Sha256Hasher();
    for await (const chunk of await this.api.get(o.name)) hasher.update(chunk);
    return hasher.digest().hex;
  }

  async write(
    key: string,
    data: BlobData,
    info: WriteInfo,
    cond: WriteCondition | undefined,
    op: string,
  ): Promise<BlobMeta | WriteConflict> {
    checkWriteOptions(op, info); // names reserved for the digest and type markers
    const stored = storedOptions(info);
    const req = cond ? { ...stored, condition: cond } : stored;
    const name = this.#name(key);
    if (cond) await this.api.ensureConditionalWrites?.();
    try {
      let upfront = req;
      if (!isStream(data)) {
        const bytes = await collectData(data, op);
        const digest = (info.digest ?? sha256(bytes)).hex;
        const metadata = { ...stored.metadata, [DIGEST_META]: digest };
        if (bytes.length <= this.api.partSize) {
          const r = await this.api.put(name, bytes, { ...req, metadata, sha256Hex: digest });
          return written(key, info, { ...r, size: bytes.length, digest });
        }
        // Known before the upload starts, so no backend has to add it afterwards.
        upfront = { ...req, metadata };
      }
      const writer = new PartWriter(this.api, name, upfront);
      try {
        for await (const chunk of iterateData(data, op)) await writer.write(chunk);
      } catch (err) {
        await writer.abort();
        throw err;
      }
      return written(key, info, await writer.complete());
    } catch (err) {
      const conflict = conflictOf(cond, err);
      if (conflict) return conflict;
      throw err;
    }
  }

  async read(key: string): Promise<Uint8Array | undefined> {
    const stream = await this.readStream(key, undefined, "get blob");
    return stream && await collectData(stream, `get blob ${this.api.describe(this.#name(key))}`);
  }

  async readStream(
    key: string,
    range: { start: number; end?: number } | undefined,
    op: string,
  ): Promise<ReadableStream<Uint8Array> | undefined> {
    try {
      if (range === undefined) return await this.api.get(this.#name(key));
      const o = await this.api.head(this.#name(key));
      if (!o) return undefined;
      const [s, e] = resolveRange(range, o.size, op);
      if (s === e) return new Blob([]).stream();
      return await this.api.get(this.#name(key), [s, e]);
    } catch (err) {
      if (err instanceof StoreError && err.kind === "NotFound") return undefined;
      throw err;
    }
  }

  async stat(key: string): Promise<BlobMeta | undefined> {
    const o = await this.api.head(this.#name(key));
    return o && toBlobMeta(key, o, await this.#digestOf(o));
  }

  async remove(key: string, ifDigest?: Digest): Promise<boolean> {
    if (ifDigest === undefined) return await this.api.delete(this.#name(key));
    const o = await this.api.head(this.#name(key));
    if (!o || !ifDigest.equals(await this.#digestOf(o))) return false;
    try {
      return await this.api.delete(this.#name(key), o.etag); // only the version compared
    } catch (err) {
      if (err instanceof StoreError && err.kind === "CasMismatch") return false;
      throw err;
    }
  }

  async removePrefix(prefix: string): Promise<number> {
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await this.api.list(this.#name(prefix), {
        limit: SERVICE_PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      const done = await mapLimit(page.objects, FAN_OUT, (o) => this.api.delete(o.name));
      count += done.filter(Boolean).length;
      cursor = page.cursor;
    } while (cursor !== undefined);
    return count;
  }

  async list(plan: ListPlan): Promise<ListResult> {
    const { delimiter, cursor } = plan;
    const page = await this.api.list(this.#name(plan.prefix), {
      limit: Math.min(plan.limit, SERVICE_PAGE),
      ...(delimiter === undefined ? {} : { delimiter }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    const strip = (n: string) => n.slice(this.prefix.length);
    const objects = this.api.listHasMetadata
      ? page.objects
      : await mapLimit(page.objects, FAN_OUT, async (o) => (await this.api.head(o.name)) ?? o);
    const items = await mapLimit(
      objects,
      FAN_OUT,
      async (o) => toBlobMeta(strip(o.name), o, await this.#digestOf(o)),
    );
    items.sort((a, b) => compareKeys(a.key, b.key));
    const prefixes = page.prefixes.map(strip).sort(compareKeys);
    const out: ListResult = { items, prefixes };
    if (page.cursor !== undefined) out.cursor = page.cursor;
    return out;
  }

  async copy(src: string, dst: string): Promise<boolean> {
    try {
      await this.api.copy(this.#name(src), this.#name(dst));
      return true;
    } catch (err) {
      if (err instanceof StoreError && err.kind === "NotFound") return false;
      throw err;
    }
  }

  /** Copy then delete: not atomic (no cloud has a rename); the source goes last. */
  async rename(src: string, dst: string): Promise<boolean> {
    if (!(await this.copy(src, dst))) return false;
    if (src !== dst) await this.api.delete(this.#name(src));
    return true;
  }

  // deno-lint-ignore require-await
  async openUpload(key: string, info: WriteInfo, op: string): Promise<UploadSink> {
    checkWriteOptions(op, info);
    const writer = new PartWriter(this.api, this.#name(key), storedOptions(info));
    return {
      write: (chunk) => writer.write(chunk),
      // A failed completion aborts the service-side upload.
      complete: async () => written(key, info, await writer.complete()),
      abort: () => writer.abort(),
    };
  }

  presign(key: string, method: "GET" | "PUT", expiresInSeconds: number): Promise<string> {
    return this.api.presign(this.#name(key), method, expiresInSeconds);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The BlobMeta of a finished write. */
function written(key: string, info: WriteInfo, w: WrittenBlob): BlobMeta {
  const meta: BlobMeta = {
    key,
    size: w.size,
    digest: w.digest,
    etag: w.etag,
    lastModified: w.lastModified ?? new Date(),
    metadata: { ...info.metadata },
  };
  if (info.contentType !== undefined) meta.contentType = info.contentType;
  return meta;
}

/** A service's refusal of a precondition, as the core's conflict. */
function conflictOf(cond: WriteCondition | undefined, err: unknown): WriteConflict | undefined {
  if (!(err instanceof StoreError) || cond === undefined) return undefined;
  if ("ifAbsent" in cond && (err.kind === "CasMismatch" || err.kind === "AlreadyExists")) {
    return "exists";
  }
  if ("ifMatch" in cond) {
    if (err.kind === "NotFound") return "missing";
    if (err.kind === "CasMismatch" || err.kind === "AlreadyExists") return "mismatch";
  }
  return undefined;
}
