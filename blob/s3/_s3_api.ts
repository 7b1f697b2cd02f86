// The S3 REST protocol (path-style or virtual-hosted URLs, SigV4) as an ObjectApi.

import { storedFromHeaders } from "../_cloud/meta.ts";
import { StoreError } from "../../core/error.ts";
import { sha256Hex, uriEncode } from "../_cloud/encoding.ts";
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
import { xmlBlocks, xmlText } from "../_cloud/xml.ts";
import { S3Multipart } from "./_multipart.ts";
import {
  type Call,
  conditionHeaders,
  embeddedError,
  EMPTY_SHA256,
  META,
  metaHeaders,
  written,
} from "./_s3_headers.ts";
import { type AwsCredentials, presignUrl, signRequest } from "./sigv4.ts";

/** Resolved settings of the S3 client. */
export interface S3Config {
  bucket: string;
  region: string;
  endpoint: URL;
  forcePathStyle: boolean;
  credentials: AwsCredentials;
  retry: RetryOptions;
  partSize: number;
  concurrency: number;
  /** "probe": check once that the server enforces If-None-Match; "trust": assume it. */
  conditionalWrites: "probe" | "trust";
  /** Where the probe object goes (the store's prefix). */
  probePrefix: string;
}

/** The S3 protocol client behind S3BlobStore. */
export class S3Api implements ObjectApi {
  readonly listHasMetadata = false;
  readonly partSize: number;
  readonly concurrency: number;
  #c: S3Config;
  #conditions: Promise<void> | undefined;

  constructor(config: S3Config) {
    this.#c = config;
    this.partSize = config.partSize;
    this.concurrency = config.concurrency;
  }

  describe(name: string): string {
    return `s3://${this.#c.bucket}/${name}`;
  }

  /** The URL of an object (or of the bucket when `name` is undefined). */
  url(name?: string, query?: Record<string, string>): URL {
    const ep = this.#c.endpoint;
    const base = ep.pathname.replace(/\/+$/, "");
    const key = name === undefined ? "" : uriEncode(name, true);
    const u = this.#c.forcePathStyle
      ? new URL(
        `${ep.protocol}//${ep.host}${base}/${this.#c.bucket}${name === undefined ? "" : "/"}${key}`,
      )
      : new URL(`${ep.protocol}//${this.#c.bucket}.${ep.host}${base}/${key}`);
    for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
    return u;
  }

  async #call(c: Call): Promise<Response> {
    const target = c.target ??
      (c.name === undefined ? `s3://${this.#c.bucket}` : this.describe(c.name));
    const hash = c.bodyHash ?? (c.body ? await sha256Hex(c.body) : EMPTY_SHA256);
    return await send({
      op: c.op,
      target,
      ...(c.accept ? { accept: c.accept } : {}),
      build: async () => {
        const url = this.url(c.name, c.query);
        const headers = new Headers(c.headers ?? {});
        await signRequest(
          { method: c.method, url, headers, payloadHash: hash },
          { credentials: this.#c.credentials, region: this.#c.region },
        );
        return new Request(url, {
          method: c.method,
          headers,
          ...(c.body ? { body: c.body as Uint8Array<ArrayBuffer> } : {}),
        });
      },
    }, this.#c.retry);
  }

  async put(
    name: string,
    body: Uint8Array,
    req: {
      contentType?: string;
      metadata: Record<string, string>;
      condition?: WriteCondition;
      sha256Hex: string;
    },
  ): Promise<WriteResult> {
    const res = await this.#call({
      op: "put blob",
      name,
      method: "PUT",
      headers: {
        ...metaHeaders(req.contentType, req.metadata),
        ...conditionHeaders(req.condition),
      },
      body,
      bodyHash: req.sha256Hex,
    });
    await res.body?.cancel();
    return written(res);
  }

  async get(name: string, range?: [number, number]): Promise<ReadableStream<Uint8Array>> {
    const res = await this.#call({
      op: "get blob",
      name,
      method: "GET",
      ...(range ? { headers: { range: `bytes=${range[0]}-${range[1] - 1}` } } : {}),
    });
    return res.body ?? new Blob([]).stream();
  }

  async head(name: string): Promise<StoredObject | undefined> {
    const res = await this.#call({ op: "head blob", name, method: "HEAD", accept: [404] });
    await res.body?.cancel();
    if (res.status === 404) return undefined;
    return storedFromHeaders(name, res.headers, META);
  }

  async delete(name: string, ifMatch?: string): Promise<boolean> {
    // S3 answers 204 whether or not the key existed, so look first.
    if ((await this.head(name)) === undefined) return false;
    const res = await this.#call({
      op: "delete blob",
      name,
      method: "DELETE",
      ...(ifMatch ? { headers: { "if-match": ifMatch } } : {}),
    });
    await res.body?.cancel();
    return true;
  }

  async list(
    prefix: string,
    opts: { delimiter?: string; limit: number; cursor?: string },
  ): Promise<ObjectPage> {
    const query: Record<string, string> = {
      "list-type": "2",
      "max-keys": String(opts.limit),
      prefix,
    };
    if (opts.delimiter !== undefined) query.delimiter = opts.delimiter;
    if (opts.cursor !== undefined) query["continuation-token"] = opts.cursor;
    const res = await this.#call({
      op: "list blobs under",
      target: this.describe(prefix),
      method: "GET",
      query,
    });
    const xml = await res.text();
    const objects = xmlBlocks(xml, "Contents").map((b): StoredObject => ({
      name: xmlText(b, "Key") ?? "",
      size: Number(xmlText(b, "Size") ?? 0),
      etag: xmlText(b, "ETag") ?? "",
      lastModified: new Date(xmlText(b, "LastModified") ?? 0),
      metadata: {},
    }));
    const prefixes = xmlBlocks(xml, "CommonPrefixes").map((b) => xmlText(b, "Prefix") ?? "");
    const page: ObjectPage = { objects, prefixes };
    const next = xmlText(xml, "NextContinuationToken");
    if (xmlText(xml, "IsTruncated") === "true" && next) page.cursor = next;
    return page;
  }

  /** `x-amz-copy-source`: bucket and key, URI-encoded as S3 requires. */
  #source(name: string): string {
    return `/${this.#c.bucket}/${uriEncode(name, true)}`;
  }

  async copy(src: string, dst: string): Promise<void> {
    const res = await this.#call({
      op: `copy blob ${this.describe(src)} to`,
      name: dst,
      method: "PUT",
      headers: { "x-amz-copy-source": this.#source(src), "x-amz-metadata-directive": "COPY" },
    });
    const err = embeddedError("copy blob", this.describe(src), await res.text());
    if (err) throw err;
  }

  async startUpload(
    name: string,
    req: { contentType?: string; metadata: Record<string, string>; condition?: WriteCondition },
  ): Promise<PartUpload> {
    const res = await this.#call({
      op: "start multipart upload",
      name,
      method: "POST",
      query: { uploads: "" },
      headers: metaHeaders(req.contentType, req.metadata),
    });
    const uploadId = xmlText(await res.text(), "UploadId");
    if (!uploadId) {
      throw new StoreError(
        "Io",
        `Cannot start multipart upload ${this.describe(name)}: no UploadId`,
      );
    }
    return new S3Multipart(this, name, uploadId, req);
  }

  /** Used by S3Multipart. */
  call(c: Call): Promise<Response> {
    return this.#call(c);
  }

  /** Used by S3Multipart. */
  source(name: string): string {
    return this.#source(name);
  }

  async presign(name: string, method: "GET" | "PUT", expiresInSeconds: number): Promise<string> {
    const r = await presignUrl(method, this.url(name), {
      credentials: this.#c.credentials,
      region: this.#c.region,
    }, expiresInSeconds);
    return r.url;
  }

  ensureConditionalWrites(): Promise<void> {
    if (this.#c.conditionalWrites === "trust") return Promise.resolve();
    this.#conditions ??= this.#probe();
    return this.#conditions;
  }

  async #probe(): Promise<void> {
    const name = `${this.#c.probePrefix}.oxistore-probe-${crypto.randomUUID()}`;
    try {
      await probeConditionalWrites(
        this,
        name,
        `s3://${this.#c.bucket} at ${this.#c.endpoint.origin} (If-None-Match: s3rver ignores ` +
          "it, AWS S3 enforces it)",
      );
    } catch (err) {
      this.#conditions = undefined; // a later call probes again
      throw err;
    }
  }
}
