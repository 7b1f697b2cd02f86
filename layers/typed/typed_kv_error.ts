/**
 * {@link TypedKvError}: the typed layer's error, a {@link StoreError}.
 *
 * @module
 */
import { StoreError, type StoreErrorKind } from "../../core/error.ts";

/**
 * An error of the typed layer. It is a {@link StoreError} (so `kind` is one of
 * the stable kinds and `instanceof StoreError` holds): `InvalidInput` for a
 * key element or value the codec cannot carry, `Corruption` for stored bytes
 * that do not decode. Errors of the inner store pass through unchanged.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { TypedKvError } from "@cooljapan/oxistore/typed";
 * import { StoreError } from "@cooljapan/oxistore";
 * const err = new TypedKvError("InvalidInput", "Cannot encode key: symbol element");
 * strictEqual(err instanceof StoreError, true);
 * strictEqual(err.kind, "InvalidInput");
 * strictEqual(err.name, "TypedKvError");
 * ```
 */
export class TypedKvError extends StoreError {
  /**
   * Creates the error.
   *
   * @param kind the error kind
   * @param message what failed, naming the operation and the value
   * @param options the standard `cause`
   */
  constructor(kind: StoreErrorKind, message: string, options?: { cause?: unknown }) {
    super(kind, message, options);
    this.name = "TypedKvError";
  }
}
