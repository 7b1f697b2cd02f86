// S3 multipart upload: parts in parallel, completion with the write condition,
// then the digest stored in place.

import {
  DIGEST_META,
  type PartUpload,
  type WriteCondition,
  type WriteResult,
} from "../_cloud/object_api.ts";
import { xmlEscape, xmlText } from "../_cloud/xml.ts";
import type { S3Api } from "./_s3_api.ts";
import { conditionHeaders, embeddedError, metaHeaders } from "./_s3_headers.ts";

/** A multipart upload in progress. */
export class S3Multipart implements PartUpload {
  #api: S3Api;
  #name: string;
  #id: string;
  #req: { contentType?: string; metadata: Record<string, string>; condition?: WriteCondition };
  #etags: string[] = [];

  constructor(
    api: S3Api,
    name: string,
    id: string,
    req: { contentType?: string; metadata: Record<string, string>; condition?: WriteCondition },
  ) {
    this.#api = api;
    this.#name = name;
    this.#id = id;
    this.#req = req;
  }

  async uploadPart(index: number, data: Uint8Array): Promise<void> {
    const res = await this.#api.call({
      op: `upload part ${index + 1} of`,
      name: this.#name,
      method: "PUT",
      query: { partNumber: String(index + 1), uploadId: this.#id },
      body: data,
    });
    await res.body?.cancel();
    this.#etags[index] = res.headers.get("etag") ?? "";
  }

  async complete(final: { metadata: Record<string, string> }): Promise<WriteResult> {
    const parts = this.#etags.map((etag, i) =>
      `<Part><PartNumber>${i + 1}</PartNumber><ETag>${xmlEscape(etag)}</ETag></Part>`
    ).join("");
    const body = new TextEncoder().encode(
      `<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`,
    );
    const where = this.#api.describe(this.#name);
    const res = await this.#api.call({
      op: "complete multipart upload",
      name: this.#name,
      method: "POST",
      query: { uploadId: this.#id },
      headers: conditionHeaders(this.#req.condition),
      body,
    });
    const xml = await res.text();
    const err = embeddedError("complete multipart upload", where, xml);
    if (err) throw err;
    const etag = xmlText(xml, "ETag") ?? "";
    if (this.#req.metadata[DIGEST_META] === final.metadata[DIGEST_META]) return { etag };
    // The digest is known only now: rewrite the metadata in place (server-side
    // copy onto itself), only if nobody replaced the object meanwhile.
    let fix: Response;
    try {
      fix = await this.#api.call({
        op: "store the digest of",
        name: this.#name,
        method: "PUT",
        headers: {
          "x-amz-copy-source": this.#api.source(this.#name),
          "x-amz-copy-source-if-match": etag,
          "x-amz-metadata-directive": "REPLACE",
          ...metaHeaders(this.#req.contentType, final.metadata),
        },
        accept: [412],
      });
    } catch {
      return { etag }; // e.g. over 5 GiB (CopyObject's limit): head() computes the digest
    }
    const fixXml = await fix.text();
    if (fix.status === 412 || embeddedError("", where, fixXml)) return { etag };
    const r: WriteResult = { etag: xmlText(fixXml, "ETag") ?? etag };
    const lm = xmlText(fixXml, "LastModified");
    if (lm) r.lastModified = new Date(lm);
    return r;
  }

  async abort(): Promise<void> {
    const res = await this.#api.call({
      op: "abort multipart upload",
      name: this.#name,
      method: "DELETE",
      query: { uploadId: this.#id },
      accept: [404],
    });
    await res.body?.cancel();
  }
}
