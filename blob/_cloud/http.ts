// One HTTP exchange with retries, timeouts and StoreError mapping, shared by the
// S3, Azure and GCS clients. A request is rebuilt (and re-signed) for every attempt.

import { StoreError, type StoreErrorKind } from "../../core/error.ts";

/** Retry and timeout knobs, with their defaults. */
export interface RetryOptions {
  /** Attempts in all, first included (default 4). */
  maxAttempts?: number;
  /** First back-off delay in ms, doubled each retry, with jitter (default 100). */
  baseDelayMs?: number;
  /** Longest back-off delay in ms (default 5000). */
  maxDelayMs?: number;
  /** Time allowed until response headers arrive, per attempt (default 30000). */
  timeoutMs?: number;
}

/** What `send` needs: a fresh request per attempt and names for error messages. */
export interface Exchange {
  /** Builds (and signs) the request; called once per attempt. */
  build: () => Promise<Request>;
  /** The operation, e.g. "get", for error messages. */
  op: string;
  /** The target, e.g. "s3://bucket/key", for error messages. */
  target: string;
  /** Statuses the caller handles itself (never retried, never thrown). */
  accept?: number[];
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function backoff(attempt: number, opts: RetryOptions, retryAfter: string | null): number {
  const base = opts.baseDelayMs ?? 100;
  const max = opts.maxDelayMs ?? 5000;
  const secs = retryAfter === null ? NaN : Number(retryAfter);
  if (Number.isFinite(secs) && secs >= 0) return Math.min(secs * 1000, max);
  const exp = Math.min(max, base * 2 ** attempt);
  return exp / 2 + Math.random() * (exp / 2);
}

/**
 * Sends a request, retrying network errors and 408/429/5xx with exponential
 * back-off. Statuses in `accept` and 2xx/3xx come back as the Response; others
 * become a StoreError (after the retries run out for retryable ones).
 */
export async function send(ex: Exchange, opts: RetryOptions = {}): Promise<Response> {
  const attempts = Math.max(1, opts.maxAttempts ?? 4);
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(backoff(attempt - 1, opts, retryAfterOf(lastError)));
    let req: Request;
    try {
      req = await ex.build();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError("InvalidInput", `Cannot ${ex.op} ${ex.target}: ${describe(err)}`, {
        cause: err,
      });
    }
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), opts.timeoutMs ?? 30_000);
    let res: Response;
    try {
      res = await fetch(req, { signal: ctl.signal });
    } catch (err) {
      clearTimeout(timer);
      lastError = err;
      continue; // network error or timeout: retry
    }
    clearTimeout(timer);
    if (ex.accept?.includes(res.status) || (res.status >= 200 && res.status < 400)) return res;
    if (RETRY_STATUS.has(res.status) && attempt + 1 < attempts) {
      const retryAfter = res.headers.get("retry-after");
      await res.body?.cancel();
      lastError = new RetryableStatus(res.status, retryAfter);
      continue;
    }
    const note = RETRY_STATUS.has(res.status) && attempts > 1
      ? ` (after ${attempts} attempts)`
      : "";
    throw await statusError(ex.op, ex.target, res, note);
  }
  if (lastError instanceof RetryableStatus) {
    throw new StoreError(
      "Io",
      `Cannot ${ex.op} ${ex.target}: server answered HTTP ${lastError.status} ` +
        `${attempts} times (gave up retrying)`,
      { cause: lastError },
    );
  }
  const timedOut = lastError instanceof DOMException && lastError.name === "AbortError";
  throw new StoreError(
    timedOut ? "Timeout" : "Io",
    `Cannot ${ex.op} ${ex.target}: ${
      timedOut ? "no response in time" : describe(lastError)
    } (after ${attempts} attempts)`,
    { cause: lastError },
  );
}

class RetryableStatus extends Error {
  constructor(readonly status: number, readonly retryAfter: string | null) {
    super(`HTTP ${status}`);
  }
}

function retryAfterOf(err: unknown): string | null {
  return err instanceof RetryableStatus ? err.retryAfter : null;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Maps an HTTP status to the StoreError kind it means for a plain request. */
export function kindOfStatus(status: number): StoreErrorKind {
  if (status === 404) return "NotFound";
  if (status === 412) return "CasMismatch";
  if (status === 409) return "AlreadyExists";
  if (status === 408 || status === 504) return "Timeout";
  if (status === 400 || status === 411 || status === 413 || status === 414) return "InvalidInput";
  return "Io";
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized (credentials missing or rejected)",
  403: "Forbidden (credentials rejected or access denied)",
  404: "Not Found",
  409: "Conflict",
  412: "Precondition Failed",
  416: "Range Not Satisfiable",
};

/**
 * Builds the StoreError for a failed response. Only the error code and message
 * the server gives are quoted (never whole bodies, which can echo request data).
 */
export async function statusError(
  op: string,
  target: string,
  res: Response,
  note = "",
): Promise<StoreError> {
  let detail = "";
  try {
    detail = serverDetail(await res.text());
  } catch { /* body unreadable: status alone */ }
  const label = STATUS_TEXT[res.status] ?? res.statusText;
  return new StoreError(
    kindOfStatus(res.status),
    `Cannot ${op} ${target}: HTTP ${res.status} ${label}${detail ? ` — ${detail}` : ""}${note}`,
  );
}

function serverDetail(body: string): string {
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1];
  const msg = /<Message>([^<]{1,300})<\/Message>/.exec(body)?.[1];
  if (code || msg) return [code, msg?.split("\n")[0]].filter(Boolean).join(": ");
  try {
    const j = JSON.parse(body) as { error?: { message?: unknown } | string };
    const m = typeof j.error === "string" ? j.error : j.error?.message;
    if (typeof m === "string") return m.slice(0, 300);
  } catch { /* not JSON */ }
  return "";
}
