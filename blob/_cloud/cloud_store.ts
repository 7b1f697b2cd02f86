// BlobStore over an ObjectApi: key rules, digests, metadata, conditional
// writes, content addressing and chunked uploads, written once for S3, Azure
// and GCS. Each backend's store class wraps one, with its own constructor.

import { StoreError } from "../../core/error.ts";
import { collectData, isStream, iterateData, resolveRange } from "../_data.ts";
import { Digest, sha256, Sha256Hasher } from "../digest.ts";
import { casKey, checkBlobKey, checkBlobPrefix, compareKeys } from "../keys.ts";
import type {
  BlobData,
  BlobMeta,
  BlobStore,
  ChunkedUpload,
  GetRangeOptions,
  ListOptions,
  ListResult,
  PresignOptions,
  PutOptions,
} from "../types.ts";
import {
  DIGEST_META,
  type ObjectApi,
  type StoredObject,
  type WriteCondition,
} from "./object_api.ts";
import { CloudChunkedUpload } from "./chunked_upload.ts";
import { checkKeyList, existsCas, getCas } from "../_contract.ts";
import { checkWriteOptions, mapLimit, storedOptions, toBlobMeta } from "./meta.ts";
import { PartWriter, type WrittenBlob } from "./part_writer.ts";

/** HEAD requests at once when a listing has to fetch metadata per item. */
const HEAD_CONCURRENCY = 8;

/** Stands in until a backend binds its protocol: every call is Unsupported. */
const UNBOUND = new Proxy({}, {
  get(_target, name) {
    if (name === "describe") return (objectName: string) => objectName;
    return () => {
      throw new StoreError(
        "Unsupported",
        "Cannot use a CloudBlobStore made directly: construct an S3BlobStore, GcsBlobStore " +
          "or AzureBlobStore",
      );
    };
  },
}) as ObjectApi;

let bind: (store: CloudBlobStore, api: ObjectApi, prefix: string) => void;

/**
 * Gives a cloud store its backend protocol and key prefix (inside the
 * bucket/container: "" or ending in "/"). Called once, by the backend's constructor.
 */
export function bindCloudStore(store: CloudBlobStore, api: ObjectApi, prefix: string): void {
  bind(store, api, prefix);
}

/**
 * What the S3, GCS and Azure blob stores share: the whole `BlobStore`
 * contract (key rules, digests kept in object metadata, conditional writes
 * with the service's own preconditions, content addressing, chunked uploads
 * into multipart uploads, listing pages) over each service's protocol. Use
 * it as a type; construct `S3BlobStore`, `GcsBlobStore` or `AzureBlobStore`
 * (a `CloudBlobStore` made directly throws `Unsupported` on every call).
 *
 * @example
 * ```ts
 * import { CloudBlobStore, S3BlobStore } from "@cooljapan/oxistore/blob/s3";
 * import { strictEqual } from "node:assert/strict";
 * const store = new S3BlobStore({
 *   bucket: "data",
 *   endpoint: "http://127.0.0.1:4568",
 *   credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
 * });
 * strictEqual(store instanceof CloudBlobStore, true);
 * await store.close();
 * ```
 */
export class CloudBlobStore implements BlobStore {
  #api: ObjectApi = UNBOUND;
  #prefix = "";
  #closed = false;

  static {
    bind = (store, api, prefix) => {
      store.#api = api;
      store.#prefix = prefix;
    };
  }

  #name(key: string): string {
    return this.#prefix + key;
  }

  #where(key: string): string {
    return this.#api.describe(this.#name(key));
  }

  #open(op: string, key?: string): void {
    if (this.#closed) {
      throw new StoreError(
        "Closed",
        `Cannot ${op}${key === undefined ? "" : ` ${this.#where(key)}`}: the blob store is closed`,
      );
    }
  }

  /** Digest from metadata; objects written by other tools get it computed by reading. */
  async #digestOf(o: StoredObject): Promise<string> {
    const d = o.metadata[DIGEST_META];
    if (d && /^[0-9a-f]{64}$/.test(d)) return d;
    const hasher = new Sha256Hasher();
    for await (const chunk of await this.#api.get(o.name)) hasher.update(chunk);
    return hasher.digest().hex;
  }

  async #write(
    op: string,
    key: string,
    data: BlobData,
    opts: PutOptions | undefined,
    condition?: WriteCondition,
  ): Promise<BlobMeta> {
    checkBlobKey(key, op);
    this.#open(op, key);
    const base = checkWriteOptions(op, opts);
    const stored = storedOptions(base);
    const req = condition ? { ...stored, condition } : stored;
    const name = this.#name(key);
    if (condition) await this.#api.ensureConditionalWrites?.();
    let written: WrittenBlob;
    try {
      let upfront = req;
      if (!isStream(data)) {
        const bytes = await collectData(data, op); // bytes as they are; else InvalidInput
        const digest = sha256(bytes).hex;
        const metadata = { ...stored.metadata, [DIGEST_META]: digest };
        if (bytes.length <= this.#api.partSize) {
          const r = await this.#api.put(name, bytes, { ...req, metadata, sha256Hex: digest });
          written = { ...r, size: bytes.length, digest };
          return this.#written(key, base, written);
        }
        // Known before the upload starts, so no backend has to add it afterwards.
        upfront = { ...req, metadata };
      }
      const writer = new PartWriter(this.#api, name, upfront);
      try {
        for await (const chunk of iterateData(data, op)) await writer.write(chunk);
      } catch (err) {
        await writer.abort();
        throw err;
      }
      written = await writer.complete();
    } catch (err) {
      throw this.#conditionError(op, key, condition, err);
    }
    return this.#written(key, base, written);
  }

  #written(
    key: string,
    base: { contentType?: string; metadata: Record<string, string> },
    w: WrittenBlob,
  ): BlobMeta {
    const meta: BlobMeta = {
      key,
      size: w.size,
      digest: w.digest,
      etag: w.etag,
      lastModified: w.lastModified ?? new Date(),
      metadata: { ...base.metadata },
    };
    if (base.contentType !== undefined) meta.contentType = base.contentType;
    return meta;
  }

  #conditionError(op: string, key: string, cond: WriteCondition | undefined, err: unknown) {
    if (!(err instanceof StoreError) || cond === undefined) return err;
    const where = this.#where(key);
    if ("ifAbsent" in cond && (err.kind === "CasMismatch" || err.kind === "AlreadyExists")) {
      return new StoreError("AlreadyExists", `Cannot ${op} ${where}: a blob already exists there`, {
        cause: err,
      });
    }
    if (
      "ifMatch" in cond &&
      (err.kind === "CasMismatch" || err.kind === "NotFound" || err.kind === "AlreadyExists")
    ) {
      return new StoreError(
        "CasMismatch",
        `Cannot ${op} ${where}: the blob is missing or its etag is not ${cond.ifMatch}`,
        { cause: err },
      );
    }
    return err;
  }

  /** Writes (or overwrites) a blob; large or streamed data goes up in parallel parts. */
  put(key: string, data: BlobData, opts?: PutOptions): Promise<BlobMeta> {
    return this.#write("put blob", key, data, opts);
  }

  /** Writes only if nothing is stored under the key (service-side condition). */
  putIfAbsent(key: string, data: BlobData, opts?: PutOptions): Promise<BlobMeta> {
    return this.#write("putIfAbsent blob", key, data, opts, { ifAbsent: true });
  }

  /** Writes only if the stored blob's etag is `etag` (service-side condition). */
  putIfMatch(key: string, data: BlobData, etag: string, opts?: PutOptions): Promise<BlobMeta> {
    if (typeof etag !== "string" || etag === "") {
      return Promise.reject(
        new StoreError("InvalidInput", `Cannot putIfMatch blob ${key}: etag must be a string`),
      );
    }
    return this.#write("putIfMatch blob", key, data, opts, { ifMatch: etag });
  }

  /** Reads a whole blob. */
  async get(key: string): Promise<Uint8Array> {
    const stream = await this.getStream(key);
    return await collectData(stream, `get blob ${this.#where(key)}`);
  }

  /** Streams a blob or `[start, end)` of it (`end` clamped to the size). */
  async getStream(key: string, range?: GetRangeOptions): Promise<ReadableStream<Uint8Array>> {
    const op = "get blob";
    checkBlobKey(key, op);
    this.#open(op, key);
    if (range === undefined) return await this.#api.get(this.#name(key));
    resolveRange(range, Number.MAX_SAFE_INTEGER, `${op} ${this.#where(key)}`); // validates
    const o = await this.#api.head(this.#name(key));
    if (!o) throw this.#notFound(op, key);
    const [s, e] = resolveRange(range, o.size, op);
    if (s === e) return new Blob([]).stream();
    return await this.#api.get(this.#name(key), [s, e]);
  }

  #notFound(op: string, key: string): StoreError {
    return new StoreError("NotFound", `Cannot ${op} ${this.#where(key)}: no such blob`);
  }

  /** The blob's metadata. */
  async head(key: string): Promise<BlobMeta> {
    const op = "head blob";
    checkBlobKey(key, op);
    this.#open(op, key);
    const o = await this.#api.head(this.#name(key));
    if (!o) throw this.#notFound(op, key);
    return toBlobMeta(key, o, await this.#digestOf(o));
  }

  /** Removes a blob; a missing key is `NotFound`. */
  async delete(key: string): Promise<void> {
    const op = "delete blob";
    checkBlobKey(key, op);
    this.#open(op, key);
    if (!(await this.#api.delete(this.#name(key)))) throw this.#notFound(op, key);
  }

  /** Whether a blob exists under the key. */
  async exists(key: string): Promise<boolean> {
    const op = "check blob";
    checkBlobKey(key, op);
    this.#open(op, key);
    return (await this.#api.head(this.#name(key))) !== undefined;
  }

  /** One page of blobs under `prefix`, ascending by key. */
  async list(prefix = "", opts: ListOptions = {}): Promise<ListResult> {
    const op = "list blobs";
    checkBlobPrefix(prefix, op);
    this.#open(op);
    const limit = opts.limit ?? 1000;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new StoreError("InvalidInput", `Cannot ${op}: limit must be a positive integer`);
    }
    const { delimiter, cursor } = opts;
    if (delimiter !== undefined && (typeof delimiter !== "string" || delimiter === "")) {
      throw new StoreError("InvalidInput", `Cannot ${op}: delimiter must be a non-empty string`);
    }
    if (cursor !== undefined && (typeof cursor !== "string" || cursor === "")) {
      throw new StoreError("InvalidInput", `Cannot ${op}: cursor must be a non-empty string`);
    }
    const page = await this.#api.list(this.#prefix + prefix, {
      limit: Math.min(limit, 1000),
      ...(delimiter === undefined ? {} : { delimiter }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    const strip = (n: string) => n.slice(this.#prefix.length);
    const objects = this.#api.listHasMetadata ? page.objects : await mapLimit(
      page.objects,
      HEAD_CONCURRENCY,
      async (o) => (await this.#api.head(o.name)) ?? o,
    );
    const items = await mapLimit(
      objects,
      HEAD_CONCURRENCY,
      async (o) => toBlobMeta(strip(o.name), o, await this.#digestOf(o)),
    );
    items.sort((a, b) => compareKeys(a.key, b.key));
    const prefixes = page.prefixes.map(strip).sort(compareKeys);
    const out: ListResult = { items, prefixes };
    if (page.cursor !== undefined) out.cursor = page.cursor;
    return out;
  }

  /** Server-side copy of content, content type and metadata. */
  async copy(src: string, dst: string): Promise<void> {
    const op = "copy blob";
    checkBlobKey(src, op);
    checkBlobKey(dst, op);
    this.#open(op, src);
    await this.#api.copy(this.#name(src), this.#name(dst));
  }

  /** Copy then delete: not atomic (no cloud has a rename); the source goes last. */
  async rename(src: string, dst: string): Promise<void> {
    await this.copy(src, dst);
    if (src === dst) return;
    await this.#api.delete(this.#name(src));
  }

  /** Removes every listed key that exists; returns how many. */
  async deleteMany(keys: string[]): Promise<number> {
    const op = "delete blobs";
    checkKeyList(keys, op, this.#api.describe(this.#prefix));
    this.#open(op);
    const unique = [...new Set(keys)];
    const done = await mapLimit(unique, HEAD_CONCURRENCY, (k) => this.#api.delete(this.#name(k)));
    return done.filter(Boolean).length;
  }

  /** Removes every blob under the prefix; returns how many. */
  async deletePrefix(prefix: string): Promise<number> {
    const op = "delete blobs by prefix";
    checkBlobPrefix(prefix, op);
    this.#open(op);
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await this.#api.list(this.#prefix + prefix, {
        limit: 1000,
        ...(cursor === undefined ? {} : { cursor }),
      });
      const done = await mapLimit(page.objects, HEAD_CONCURRENCY, (o) => this.#api.delete(o.name));
      count += done.filter(Boolean).length;
      cursor = page.cursor;
    } while (cursor !== undefined);
    return count;
  }

  /** Removes the blob if its content has this digest (delete conditioned on its etag). */
  async deleteIfMatches(key: string, digest: Digest | string): Promise<boolean> {
    const op = "deleteIfMatches blob";
    checkBlobKey(key, op);
    const want = Digest.from(digest);
    this.#open(op, key);
    const o = await this.#api.head(this.#name(key));
    if (!o || !want.equals(await this.#digestOf(o))) return false;
    try {
      return await this.#api.delete(this.#name(key), o.etag);
    } catch (err) {
      if (err instanceof StoreError && err.kind === "CasMismatch") return false;
      throw err;
    }
  }

  /** Stores content under its SHA-256 (streams are read into memory first). */
  async putCas(data: BlobData): Promise<Digest> {
    const op = "putCas blob";
    this.#open(op);
    const bytes = await collectData(data, op);
    const digest = sha256(bytes);
    const key = casKey(digest);
    if (await this.#api.head(this.#name(key))) return digest;
    // No condition needed: whoever wins a race wrote the same bytes.
    await this.#write(op, key, bytes, undefined);
    return digest;
  }

  /** Reads content by digest and re-verifies it. */
  getCas(digest: Digest | string): Promise<Uint8Array> {
    return getCas(this, digest, this.#api.describe(this.#prefix));
  }

  /** Whether content with this digest is stored. */
  existsCas(digest: Digest | string): Promise<boolean> {
    return existsCas(this, digest);
  }

  /** A chunked upload straight into the service's multipart upload. */
  // deno-lint-ignore require-await
  async startUpload(key: string, opts?: PutOptions): Promise<ChunkedUpload> {
    const op = "start upload";
    checkBlobKey(key, op);
    this.#open(op, key);
    const base = checkWriteOptions(op, opts);
    const writer = new PartWriter(this.#api, this.#name(key), storedOptions(base));
    return new CloudChunkedUpload(key, writer, {
      where: () => this.#where(key),
      ensureOpen: (what) => this.#open(what, key),
      finish: (w) => this.#written(key, base, w),
    });
  }

  /** A time-limited URL for GET or PUT of the key. */
  async presign(key: string, opts: PresignOptions): Promise<string> {
    const op = "presign blob";
    checkBlobKey(key, op);
    this.#open(op, key);
    const method = opts?.method;
    const secs = opts?.expiresInSeconds;
    if (method !== "GET" && method !== "PUT") {
      throw new StoreError("InvalidInput", `Cannot ${op} ${key}: method must be GET or PUT`);
    }
    if (!Number.isSafeInteger(secs) || secs < 1 || secs > 604800) {
      throw new StoreError(
        "InvalidInput",
        `Cannot ${op} ${key}: expiresInSeconds must be an integer in 1…604800`,
      );
    }
    return await this.#api.presign(this.#name(key), method, secs);
  }

  /** Marks the store closed; later calls throw `Closed`. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
