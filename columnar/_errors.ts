import { StoreError, type StoreErrorKind, toStoreError } from "../core/error.ts";

/** Throws a StoreError of `kind`. */
export function fail(kind: StoreErrorKind, message: string, cause?: unknown): never {
  throw new StoreError(kind, message, cause === undefined ? undefined : { cause });
}

/**
 * Maps an error thrown while decoding Parquet: StoreErrors pass through, "unsupported"
 * features become Unsupported, everything else means the bytes are not valid Parquet.
 */
export function decodeError(err: unknown, action: string): StoreError {
  if (err instanceof StoreError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  if (/unsupported|not supported/i.test(detail)) {
    return new StoreError("Unsupported", `Cannot ${action}: ${detail}`, { cause: err });
  }
  return new StoreError("Corruption", `Cannot ${action}: not valid Parquet (${detail})`, {
    cause: err,
  });
}

/** Maps an I/O error (file system, blob store) onto a StoreError. */
export function ioError(err: unknown, action: string): StoreError {
  const e = toStoreError(err, action);
  return e.kind === "Other" ? new StoreError("Io", e.message, { cause: err }) : e;
}
