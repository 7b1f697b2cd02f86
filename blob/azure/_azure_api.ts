// The Azure Blob REST protocol (block blobs, Shared Key) as an ObjectApi.

import { storedFromHeaders } from "../_cloud/meta.ts";
import { StoreError } from "../../core/error.ts";
import { toBase64, uriEncode } from "../_cloud/encoding.ts";
import { type RetryOptions, send } from "../_cloud/http.ts";
import type {
  ObjectApi,
  ObjectPage,
  PartUpload,
  StoredObject,
  WriteCondition,
  WriteResult,
} from "../_cloud/object_api.ts";
import { xmlBlocks, xmlDecode, xmlText } from "../_cloud/xml.ts";
import { type AzureSharedKey, blobSasQuery, signSharedKey } from "./shared_key.ts";

const META = "x-ms-meta-";

/** Resolved settings of the Azure client. */
export interface AzureConfig {
  key: AzureSharedKey;
  /** Blob endpoint without trailing slash. */
  endpoint: string;
  container: string;
  retry: RetryOptions;
  partSize: number;
  concurrency: number;
}

interface Call {
  op: string;
  name?: string;
  target?: string;
  method: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Uint8Array;
  accept?: number[];
}

function conditionHeaders(c: WriteCondition | undefined): Record<string, string> {
  if (c === undefined) return {};
  return "ifAbsent" in c ? { "if-none-match": "*" } : { "if-match": c.ifMatch };
}

function metaHeaders(contentType: string | undefined, metadata: Record<string, string>) {
  const h: Record<string, string> = {};
  if (contentType !== undefined) h["x-ms-blob-content-type"] = contentType;
  for (const [k, v] of Object.entries(metadata)) h[META + k] = v;
  return h;
}

/** Listings give ETags bare, headers quoted: use the header form everywhere. */
function quoted(etag: string): string {
  return etag === "" || etag.startsWith('"') ? etag : `"${etag}"`;
}

function written(res: Response): WriteResult {
  const r: WriteResult = { etag: res.headers.get("etag") ?? "" };
  const lm = res.headers.get("last-modified");
  if (lm) r.lastModified = new Date(lm);
  return r;
}

/** The Azure Blob protocol client behind AzureBlobStore. */
export class AzureApi implements ObjectApi {
  readonly listHasMetadata = true;
  readonly partSize: number;
  readonly concurrency: number;
  #c: AzureConfig;

  constructor(config: AzureConfig) {
    this.#c = config;
    this.partSize = config.partSize;
    this.concurrency = config.concurrency;
  }

  describe(name: string): string {
    return `az://${this.#c.container}/${name}`;
  }

  url(name?: string, query?: Record<string, string>): URL {
    const path = name === undefined ? "" : `/${uriEncode(name, true)}`;
    const u = new URL(`${this.#c.endpoint}/${this.#c.container}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
    return u;
  }

  call(c: Call): Promise<Response> {
    const target = c.target ??
      (c.name === undefined ? `az://${this.#c.container}` : this.describe(c.name));
    return send({
      op: c.op,
      target,
      ...(c.accept ? { accept: c.accept } : {}),
      build: async () => {
        const url = this.url(c.name, c.query);
        const headers = new Headers(c.headers ?? {});
        if (c.body) headers.set("content-length", String(c.body.length));
        else if (c.method === "PUT" || c.method === "POST") headers.set("content-length", "0");
        await signSharedKey(c.method, url, headers, this.#c.key);
        return new Request(url, {
          method: c.method,
          headers,
          ...(c.body ? { body: c.body as Uint8Array<ArrayBuffer> } : {}),
        });
      },
    }, this.#c.retry);
  }

  /** Creates the container; true if created, false if it existed. */
  async createContainer(): Promise<boolean> {
    const res = await this.call({
      op: "create container",
      method: "PUT",
      query: { restype: "container" },
      accept: [409],
    });
    await res.body?.cancel();
    return res.status !== 409;
  }

  async put(
    name: string,
    body: Uint8Array,
    req: { contentType?: string; metadata: Record<string, string>; condition?: WriteCondition },
  ): Promise<WriteResult> {
    const res = await this.call({
      op: "put blob",
      name,
      method: "PUT",
      headers: {
        "x-ms-blob-type": "BlockBlob",
        ...metaHeaders(req.contentType, req.metadata),
        ...conditionHeaders(req.condition),
      },
      body,
    });
    await res.body?.cancel();
    return written(res);
  }

  async get(name: string, range?: [number, number]): Promise<ReadableStream<Uint8Array>> {
    const res = await this.call({
      op: "get blob",
      name,
      method: "GET",
      ...(range ? { headers: { "x-ms-range": `bytes=${range[0]}-${range[1] - 1}` } } : {}),
    });
    return res.body ?? new Blob([]).stream();
  }

  async head(name: string): Promise<StoredObject | undefined> {
    const res = await this.call({ op: "head blob", name, method: "HEAD", accept: [404] });
    await res.body?.cancel();
    if (res.status === 404) return undefined;
    return storedFromHeaders(name, res.headers, META);
  }

  async delete(name: string, ifMatch?: string): Promise<boolean> {
    const res = await this.call({
      op: "delete blob",
      name,
      method: "DELETE",
      headers: ifMatch ? { "if-match": ifMatch } : {},
      accept: [404],
    });
    await res.body?.cancel();
    return res.status !== 404;
  }

  async list(
    prefix: string,
    opts: { delimiter?: string; limit: number; cursor?: string },
  ): Promise<ObjectPage> {
    const query: Record<string, string> = {
      restype: "container",
      comp: "list",
      include: "metadata",
      maxresults: String(opts.limit),
    };
    if (prefix !== "") query.prefix = prefix;
    if (opts.delimiter !== undefined) query.delimiter = opts.delimiter;
    if (opts.cursor !== undefined) query.marker = opts.cursor;
    const res = await this.call({
      op: "list blobs under",
      target: this.describe(prefix),
      method: "GET",
      query,
    });
    const xml = await res.text();
    const objects = xmlBlocks(xml, "Blob").map((b): StoredObject => {
      const props = xmlBlocks(b, "Properties")[0] ?? "";
      const metaXml = xmlBlocks(b, "Metadata")[0] ?? "";
      const metadata: Record<string, string> = {};
      for (const m of metaXml.matchAll(/<([A-Za-z_][\w]*)>([^<]*)<\/\1>/g)) {
        metadata[m[1]!.toLowerCase()] = xmlDecode(m[2]!);
      }
      const o: StoredObject = {
        name: xmlText(b, "Name") ?? "",
        size: Number(xmlText(props, "Content-Length") ?? 0),
        etag: quoted(xmlText(props, "Etag") ?? ""),
        lastModified: new Date(xmlText(props, "Last-Modified") ?? 0),
        metadata,
      };
      const ct = xmlText(props, "Content-Type");
      if (ct) o.contentType = ct;
      return o;
    });
    const prefixes = xmlBlocks(xml, "BlobPrefix").map((b) => xmlText(b, "Name") ?? "");
    const page: ObjectPage = { objects, prefixes };
    const next = xmlText(xml, "NextMarker");
    if (next) page.cursor = next;
    return page;
  }

  async copy(src: string, dst: string): Promise<void> {
    const where = `${this.describe(src)} to ${this.describe(dst)}`;
    const res = await this.call({
      op: `copy blob ${this.describe(src)} to`,
      name: dst,
      method: "PUT",
      headers: { "x-ms-copy-source": this.url(src).href },
    });
    await res.body?.cancel();
    // Copies inside one account usually finish at once; otherwise poll.
    let status = res.headers.get("x-ms-copy-status");
    for (let i = 0; status === "pending" && i < 600; i++) {
      await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** i)));
      const h = await this.call({ op: "check copy", name: dst, method: "HEAD" });
      await h.body?.cancel();
      status = h.headers.get("x-ms-copy-status");
    }
    if (status !== null && status !== "success") {
      throw new StoreError("Io", `Cannot copy blob ${where}: copy status ${status}`);
    }
  }

  async startUpload(
    name: string,
    req: { contentType?: string; metadata: Record<string, string>; condition?: WriteCondition },
  ): Promise<PartUpload> {
    return await Promise.resolve(new AzureBlockUpload(this, name, req));
  }

  async presign(name: string, method: "GET" | "PUT", expiresInSeconds: number): Promise<string> {
    const query = await blobSasQuery(this.#c.key, {
      container: this.#c.container,
      blob: name,
      permissions: method === "GET" ? "r" : "cw",
      expiresOn: new Date(Date.now() + expiresInSeconds * 1000),
    });
    return `${this.url(name).href}?${query}`;
  }
}

/** Staged blocks (Put Block), committed in order by Put Block List. */
class AzureBlockUpload implements PartUpload {
  #api: AzureApi;
  #name: string;
  #req: { contentType?: string; condition?: WriteCondition };
  #ids: string[] = [];
  // A per-upload nonce keeps two concurrent uploads to one blob from sharing ids.
  #nonce = crypto.randomUUID().replace(/-/g, "").slice(0, 16);

  constructor(
    api: AzureApi,
    name: string,
    req: { contentType?: string; condition?: WriteCondition },
  ) {
    this.#api = api;
    this.#name = name;
    this.#req = req;
  }

  async uploadPart(index: number, data: Uint8Array): Promise<void> {
    // Every block id of a blob must have the same length.
    const id = toBase64(
      new TextEncoder().encode(`${this.#nonce}-${String(index).padStart(8, "0")}`),
    );
    const res = await this.#api.call({
      op: `put block ${index} of`,
      name: this.#name,
      method: "PUT",
      query: { comp: "block", blockid: id },
      body: data,
    });
    await res.body?.cancel();
    this.#ids[index] = id;
  }

  async complete(final: { metadata: Record<string, string> }): Promise<WriteResult> {
    const body = new TextEncoder().encode(
      `<?xml version="1.0" encoding="utf-8"?><BlockList>${
        this.#ids.map((id) => `<Latest>${id}</Latest>`).join("")
      }</BlockList>`,
    );
    const res = await this.#api.call({
      op: "commit block list of",
      name: this.#name,
      method: "PUT",
      query: { comp: "blocklist" },
      headers: {
        "content-type": "application/xml",
        ...metaHeaders(this.#req.contentType, final.metadata),
        ...conditionHeaders(this.#req.condition),
      },
      body,
    });
    await res.body?.cancel();
    return written(res);
  }

  abort(): Promise<void> {
    // Uncommitted blocks are never visible and Azure discards them after a week;
    // there is no call to drop them sooner without touching the committed blob.
    this.#ids = [];
    return Promise.resolve();
  }
}
