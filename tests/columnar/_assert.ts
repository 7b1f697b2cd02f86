// Minimal assertions (jsr:@std/assert is not reachable here).
import { StoreError, type StoreErrorKind } from "../../core/error.ts";
import { isDeepStrictEqual } from "node:util";

export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

export function assertEquals(actual: unknown, expected: unknown, msg = ""): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Error(
      `${msg ? msg + ": " : ""}values differ\n  actual:   ${Deno.inspect(actual, { depth: 6 })}\n` +
        `  expected: ${Deno.inspect(expected, { depth: 6 })}`,
    );
  }
}

export async function assertRejectsKind(
  fn: () => Promise<unknown> | unknown,
  kind: StoreErrorKind,
  pattern?: RegExp,
): Promise<StoreError> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof StoreError)) throw new Error(`expected StoreError ${kind}, got ${err}`);
  if (err.kind !== kind) throw new Error(`expected kind ${kind}, got ${err.kind}: ${err.message}`);
  if (pattern && !pattern.test(err.message)) {
    throw new Error(`message ${JSON.stringify(err.message)} does not match ${pattern}`);
  }
  return err;
}
