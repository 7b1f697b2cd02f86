/**
 * The one error type that leaves oxistore's public API.
 *
 * @module
 */

/**
 * Stable error kinds a program can switch on.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { StoreError, type StoreErrorKind } from "@cooljapan/oxistore";
 * const retryable: StoreErrorKind[] = ["TxnConflict", "Timeout", "Locked"];
 * const err = new StoreError("TxnConflict", "lost a race");
 * strictEqual(retryable.includes(err.kind), true);
 * ```
 */
export type StoreErrorKind =
  | "Io"
  | "Corruption"
  | "NotFound"
  | "AlreadyExists"
  | "TxnConflict"
  | "ReadOnly"
  | "Timeout"
  | "CapacityExceeded"
  | "CasMismatch"
  | "Locked"
  | "Closed"
  | "InvalidInput"
  | "Unsupported"
  | "Other";

/**
 * An oxistore failure. `kind` is stable; the message names the store path and
 * the operation; `cause` carries the original error, if any.
 *
 * @example
 * ```ts
 * import { StoreError } from "@cooljapan/oxistore";
 * const err = new StoreError("NotFound", "Cannot open ./x: no store there");
 * if (err.kind !== "NotFound" || !(err instanceof Error)) throw new Error("not a NotFound Error");
 * ```
 */
export class StoreError extends Error {
  /** What went wrong, as a stable string. */
  readonly kind: StoreErrorKind;

  /**
   * Builds an error of one kind; give the original failure as `cause`.
   *
   * @param kind the error kind
   * @param message a sentence naming the operation, the path and the value
   * @param options the standard `cause`
   */
  constructor(
    kind: StoreErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StoreError";
    this.kind = kind;
  }
}

/**
 * Wraps any thrown value as a StoreError, keeping StoreErrors as they are.
 * It is for errors of code the caller did not write (the file system, Deno
 * KV, an npm package), so it never answers `InvalidInput`: a `TypeError` from
 * inside Deno KV ("database is locked") is not the caller's bad argument.
 * A permission the process lacks (Deno's `NotCapable`) is `Unsupported`, and
 * the message names the `--allow-…` flag.
 * File-system errors map onto the matching kind (`NotFound`, `AlreadyExists`,
 * `CapacityExceeded` for a full disk, otherwise `Io`): a `Deno.errors.NotFound`
 * thrown while reading `./data` becomes kind `NotFound`, message
 * "Cannot read ./data: …".
 */
export function toStoreError(err: unknown, action: string): StoreError {
  if (err instanceof StoreError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  const message = `Cannot ${action}: ${detail}`;
  if (typeof Deno !== "undefined" && Deno.errors) {
    if (err instanceof Deno.errors.NotFound) {
      return new StoreError("NotFound", message, { cause: err });
    }
    if (err instanceof Deno.errors.AlreadyExists) {
      return new StoreError("AlreadyExists", message, { cause: err });
    }
    if (err instanceof Deno.errors.PermissionDenied) {
      return new StoreError("Io", message, { cause: err });
    }
    if (err instanceof Deno.errors.NotCapable) {
      return new StoreError("Unsupported", withPermissionHint(message), { cause: err });
    }
  }
  const code = (err as { code?: unknown } | null)?.code;
  // A full disk (or quota) is a capacity limit the caller can act on, not a broken device.
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new StoreError("CapacityExceeded", message, { cause: err });
  }
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
    return new StoreError("Io", message, { cause: err });
  }
  return new StoreError("Other", message, { cause: err });
}

/**
 * Like {@link toStoreError}, for a failed file or database call: an error
 * with no better kind is `Io` rather than `Other`. Internal to oxistore.
 */
export function ioStoreError(err: unknown, action: string): StoreError {
  const e = toStoreError(err, action);
  return e.kind === "Other" && !(err instanceof StoreError)
    ? new StoreError("Io", e.message, { cause: err })
    : e;
}

/**
 * `err` as a StoreError whose message names the operation `op` and the store
 * at `path`: the one place a store's public methods give their errors a
 * location. Same kind; a foreign cause is kept. Examples of what it makes:
 * - an input check's `Cannot put: key is 2049 bytes…` becomes
 *   `Cannot put in store at ./db: key is 2049 bytes…`;
 * - an engine's `Cannot commit in Deno KV store at ./db: the database stayed
 *   locked…` thrown during `put` becomes `Cannot put in store at ./db: cannot
 *   commit in Deno KV store: the database stayed locked…`;
 * - a message that already starts with `Cannot <op>` and names the path is
 *   returned unchanged.
 * Internal to oxistore.
 */
export function inStore(err: unknown, op: string, path: string): StoreError {
  const where = `in store at ${path}`;
  if (!(err instanceof StoreError)) return toStoreError(err, `${op} ${where}`);
  const msg = err.message;
  const head = `Cannot ${op}`;
  const namesOp = msg.startsWith(`${head} `) || msg.startsWith(`${head}:`);
  if (namesOp && path !== "" && msg.includes(path)) return err;
  const detail = msg.startsWith(`${head}: `)
    ? msg.slice(head.length + 2)
    : lowerFirst(path === "" ? msg : msg.split(` at ${path}`).join(""));
  return new StoreError(
    err.kind,
    `${head} ${where}: ${detail}`,
    err.cause === undefined ? undefined : { cause: err.cause },
  );
}

function lowerFirst(text: string): string {
  // "Cannot …" reads as a clause after a colon; acronyms ("KV …") stay as they are.
  return /^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text;
}

/** Deno's permission messages name the flag; make sure ours always do. */
function withPermissionHint(message: string): string {
  if (message.includes("--allow-")) return message;
  return `${message} (run with the --allow-read and --allow-write permissions for this path)`;
}
