// Header and response helpers shared by the S3 client and its multipart uploads.

import { StoreError } from "../../core/error.ts";
import type { WriteCondition, WriteResult } from "../_cloud/object_api.ts";
import { xmlText } from "../_cloud/xml.ts";

/** SHA-256 of the empty body. */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/** User-metadata header prefix. */
export const META = "x-amz-meta-";

/** One signed S3 request. */
export interface Call {
  op: string;
  /** Object name; undefined for bucket-level requests. */
  name?: string;
  /** What error messages name (default: the object). */
  target?: string;
  method: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Uint8Array;
  bodyHash?: string;
  accept?: number[];
}

/** `If-None-Match: *` / `If-Match: <etag>`. */
export function conditionHeaders(c: WriteCondition | undefined): Record<string, string> {
  if (c === undefined) return {};
  return "ifAbsent" in c ? { "if-none-match": "*" } : { "if-match": c.ifMatch };
}

/** Content type and `x-amz-meta-*` headers. */
export function metaHeaders(contentType: string | undefined, metadata: Record<string, string>) {
  const h: Record<string, string> = {};
  if (contentType !== undefined) h["content-type"] = contentType;
  for (const [k, v] of Object.entries(metadata)) h[META + k] = v;
  return h;
}

/** S3 answers some failed copies/completions with 200 and an <Error> body. */
export function embeddedError(op: string, where: string, body: string): StoreError | undefined {
  if (!/<Error>/.test(body)) return undefined;
  const code = xmlText(body, "Code") ?? "InternalError";
  const kind = code === "PreconditionFailed"
    ? "CasMismatch"
    : code === "NoSuchKey" || code === "NoSuchUpload"
    ? "NotFound"
    : "Io";
  return new StoreError(kind, `Cannot ${op} ${where}: ${code}: ${xmlText(body, "Message") ?? ""}`);
}

/** Etag and server time of a write. */
export function written(res: Response): WriteResult {
  const r: WriteResult = { etag: res.headers.get("etag") ?? "" };
  const date = res.headers.get("date");
  if (date) r.lastModified = new Date(date);
  return r;
}
