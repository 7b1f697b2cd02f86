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
 * import { StoreError, type StoreErrorKind } from "@cooljapan/oxistore";
 * const retryable: StoreErrorKind[] = ["TxnConflict", "Timeout", "Locked"];
 * const err = new StoreError("TxnConflict", "lost a race");
 * console.log(retryable.includes(err.kind)); // true
 * ```
 */
export type StoreErrorKind =
  | "Io"
  | "Corruption"
  | "NotFound"
  | "KeyNotFound"
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
 * console.log(err.kind === "NotFound", err instanceof Error);
 * ```
 */
export class StoreError extends Error {
  /** What went wrong, as a stable string. */
  readonly kind: StoreErrorKind;

  /**
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
 * File-system errors map onto the matching kind (`NotFound`, `AlreadyExists`,
 * otherwise `Io`).
 *
 * @example
 * ```ts
 * import { toStoreError } from "./error.ts";
 * const e = toStoreError(new Deno.errors.NotFound("gone"), "read ./data");
 * console.log(e.kind); // "NotFound"
 * ```
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
      return new StoreError("Unsupported", message, { cause: err });
    }
  }
  if (err instanceof TypeError || err instanceof RangeError) {
    return new StoreError("InvalidInput", message, { cause: err });
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
    return new StoreError("Io", message, { cause: err });
  }
  return new StoreError("Other", message, { cause: err });
}
