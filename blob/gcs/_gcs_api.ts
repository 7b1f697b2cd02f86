// The GCS JSON API (media/multipart/resumable uploads, generation
// preconditions) as an ObjectApi. The object's generation is its etag.

import { StoreError } from "../../core/error.ts";
import { uriEncode, utf8Bytes } from "../_cloud/encoding.ts";
import { type RetryOptions, send } from "../_cloud/http.ts";
import type {
  ObjectApi,
  ObjectPage,
  PartUpload,
  StoredObject,
  WriteCondition,
  WriteResult,
} from "../_cloud/object_api.ts";
import { probeConditionalWrites } from "../_cloud/probe.ts";
import type { GcsAuth, ServiceAccountAuth } from "./auth.ts";
import { type GcsObject, toStored, written } from "./_gcs_object.ts";
import { GcsResumableUpload } from "./_resumable_upload.ts";
import { signGcsUrl } from "./signed_url.ts";

/** Resolved settings of the GCS client. */
export interface GcsConfig {
  bucket: string;
  /** API root without trailing slash, e.g. `https://storage.googleapis.com`. */
  endpoint: string;
  auth: GcsAuth;
  /** For signed URLs (absent: presign is Unsupported). */
  signer?: ServiceAccountAuth;
  retry: RetryOptions;
  partSize: number;
  conditionalWrites: "probe" | "trust";
  probePrefix: string;
}

interface Call {
  op: string;
  target: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  accept?: number[];
}

/** Generation preconditions: 0 means "does not exist". */
function preconditions(
  c: WriteCondition | undefined,
  where: string,
): Record<string, string> {
  if (c === undefined) return {};
  if ("ifAbsent" in c) return { ifGenerationMatch: "0" };
  if (!/^[1-9]\d*$/.test(c.ifMatch)) {
    throw new StoreError(
      "CasMismatch",
      `Cannot write ${where} if its etag is ${JSON.stringify(c.ifMatch)}: ` +
        "GCS etags are generation numbers, so it cannot match",
    );
  }
  return { ifGenerationMatch: c.ifMatch };
}

const qs = (q: Record<string, string>) => new URLSearchParams(q).toString();

/** The GCS protocol client behind GcsBlobStore. */
export class GcsApi implements ObjectApi {
  readonly listHasMetadata = true;
  readonly partSize: number;
  /** Resumable uploads take their chunks in order, one at a time. */
  readonly concurrency = 1;
  #c: GcsConfig;
  #conditions: Promise<void> | undefined;

  constructor(config: GcsConfig) {
    this.#c = config;
    this.partSize = config.partSize;
  }

  describe(name: string): string {
    return `gs://${this.#c.bucket}/${name}`;
  }

  #objectUrl(name: string, query: Record<string, string> = {}): string {
    const q = qs(query);
    return `${this.#c.endpoint}/storage/v1/b/${uriEncode(this.#c.bucket)}/o/${uriEncode(name)}` +
      (q ? `?${q}` : "");
  }

  #uploadUrl(query: Record<string, string>): string {
    return `${this.#c.endpoint}/upload/storage/v1/b/${uriEncode(this.#c.bucket)}/o?${qs(query)}`;
  }

  call(c: Call): Promise<Response> {
    return send({
      op: c.op,
      target: c.target,
      ...(c.accept ? { accept: c.accept } : {}),
      build: async () => {
        const headers = new Headers(c.headers ?? {});
        const auth = await this.#c.auth.authorization();
        if (auth) headers.set("authorization", auth);
        return new Request(c.url, {
          method: c.method,
          headers,
          ...(c.body ? { body: c.body as Uint8Array<ArrayBuffer> } : {}),
        });
      },
    }, this.#c.retry);
  }

  async #json<T>(res: Response, op: string, where: string): Promise<T> {
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new StoreError("Io", `Cannot ${op} ${where}: the server answered non-JSON`, {
        cause: err,
      });
    }
  }

  async put(
    name: string,
    body: Uint8Array,
    req: { contentType?: string; metadata: Record<string, string>; condition?: WriteCondition },
  ): Promise<WriteResult> {
    const where = this.describe(name);
    const resource: GcsObject = { name, metadata: req.metadata };
    if (req.contentType !== undefined) resource.contentType = req.contentType;
    // multipart/related: the JSON resource, then the bytes.
    const boundary = `oxistore-${crypto.randomUUID()}`;
    const head = utf8Bytes(
      `--${boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n` +
        `${JSON.stringify(resource)}\r\n--${boundary}\r\n` +
        `content-type: ${req.contentType ?? "application/octet-stream"}\r\n\r\n`,
    );
    const tail = utf8Bytes(`\r\n--${boundary}--\r\n`);
    const payload = new Uint8Array(head.length + body.length + tail.length);
    payload.set(head, 0);
    payload.set(body, head.length);
    payload.set(tail, head.length + body.length);
    const res = await this.call({
      op: "put blob",
      target: where,
      method: "POST",
      url: this.#uploadUrl({ uploadType: "multipart", ...preconditions(req.condition, where) }),
      headers: { "content-type": `multipart/related; boundary=${boundary}` },
      body: payload,
    });
    return written(await this.#json<GcsObject>(res, "put blob", where));
  }

  async get(name: string, range?: [number, number]): Promise<ReadableStream<Uint8Array>> {
    const res = await this.call({
      op: "get blob",
      target: this.describe(name),
      method: "GET",
      url: this.#objectUrl(name, { alt: "media" }),
      ...(range ? { headers: { range: `bytes=${range[0]}-${range[1] - 1}` } } : {}),
    });
    return res.body ?? new Blob([]).stream();
  }

  async head(name: string): Promise<StoredObject | undefined> {
    const where = this.describe(name);
    const res = await this.call({
      op: "head blob",
      target: where,
      method: "GET",
      url: this.#objectUrl(name),
      accept: [404],
    });
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    return toStored(await this.#json<GcsObject>(res, "head blob", where), name);
  }

  async delete(name: string, ifMatch?: string): Promise<boolean> {
    const res = await this.call({
      op: "delete blob",
      target: this.describe(name),
      method: "DELETE",
      url: this.#objectUrl(name, ifMatch ? { ifGenerationMatch: ifMatch } : {}),
      accept: [404],
    });
    await res.body?.cancel();
    return res.status !== 404;
  }

  async list(
    prefix: string,
    opts: { delimiter?: string; limit: number; cursor?: string },
  ): Promise<ObjectPage> {
    const query: Record<string, string> = { maxResults: String(opts.limit) };
    if (prefix !== "") query.prefix = prefix;
    if (opts.delimiter !== undefined) query.delimiter = opts.delimiter;
    if (opts.cursor !== undefined) query.pageToken = opts.cursor;
    const where = this.describe(prefix);
    const res = await this.call({
      op: "list blobs under",
      target: where,
      method: "GET",
      url: `${this.#c.endpoint}/storage/v1/b/${uriEncode(this.#c.bucket)}/o?${qs(query)}`,
    });
    const body = await this.#json<
      { items?: GcsObject[]; prefixes?: string[]; nextPageToken?: string }
    >(
      res,
      "list blobs under",
      where,
    );
    const page: ObjectPage = {
      objects: (body.items ?? []).map((o) => toStored(o, "")),
      prefixes: body.prefixes ?? [],
    };
    if (body.nextPageToken) page.cursor = body.nextPageToken;
    return page;
  }

  async copy(src: string, dst: string): Promise<void> {
    const b = uriEncode(this.#c.bucket);
    const res = await this.call({
      op: `copy blob ${this.describe(src)} to`,
      target: this.describe(dst),
      method: "POST",
      url: `${this.#c.endpoint}/storage/v1/b/${b}/o/${uriEncode(src)}/copyTo/b/${b}/o/${
        uriEncode(dst)
      }`,
      headers: { "content-type": "application/json" },
      body: utf8Bytes("{}"),
    });
    await res.body?.cancel();
  }

  async startUpload(
    name: string,
    req: { contentType?: string; metadata: Record<string, string>; condition?: WriteCondition },
  ): Promise<PartUpload> {
    const where = this.describe(name);
    const resource: GcsObject = { name, metadata: req.metadata };
    if (req.contentType !== undefined) resource.contentType = req.contentType;
    const res = await this.call({
      op: "start resumable upload",
      target: where,
      method: "POST",
      url: this.#uploadUrl({
        uploadType: "resumable",
        name,
        ...preconditions(req.condition, where),
      }),
      headers: {
        "content-type": "application/json; charset=UTF-8",
        ...(req.contentType ? { "x-upload-content-type": req.contentType } : {}),
      },
      body: utf8Bytes(JSON.stringify(resource)),
    });
    await res.body?.cancel();
    const session = res.headers.get("location");
    if (!session) {
      throw new StoreError("Io", `Cannot start resumable upload ${where}: no session URI`);
    }
    return new GcsResumableUpload(this, name, session, req.metadata);
  }

  /** Used by GcsResumableUpload to store the digest after the fact. */
  async patchMetadata(name: string, generation: string, metadata: Record<string, string>) {
    const res = await this.call({
      op: "store the digest of",
      target: this.describe(name),
      method: "PATCH",
      url: this.#objectUrl(name, { ifGenerationMatch: generation }),
      headers: { "content-type": "application/json" },
      body: utf8Bytes(JSON.stringify({ metadata })),
    });
    return await this.#json<GcsObject>(res, "store the digest of", this.describe(name));
  }

  async presign(name: string, method: "GET" | "PUT", expiresInSeconds: number): Promise<string> {
    const signer = this.#c.signer;
    if (!signer) {
      throw new StoreError(
        "Unsupported",
        `Cannot presign ${this.describe(name)}: signed URLs need a service-account key ` +
          "(options.credentials)",
      );
    }
    const ep = new URL(this.#c.endpoint);
    const r = await signGcsUrl(await signer.signingKey(), {
      method,
      bucket: this.#c.bucket,
      object: name,
      clientEmail: signer.key.client_email,
      expiresInSeconds,
      host: ep.host,
      scheme: ep.protocol === "http:" ? "http" : "https",
    });
    return r.url;
  }

  ensureConditionalWrites(): Promise<void> {
    if (this.#c.conditionalWrites === "trust") return Promise.resolve();
    this.#conditions ??= probeConditionalWrites(
      this,
      `${this.#c.probePrefix}.oxistore-probe-${crypto.randomUUID()}`,
      `gs://${this.#c.bucket} at ${this.#c.endpoint} (ifGenerationMatch=0: the plain GCS ` +
        "emulator ignores it, --compat mode and GCS enforce it)",
    ).catch((err) => {
      this.#conditions = undefined;
      throw err;
    });
    return this.#conditions;
  }
}
