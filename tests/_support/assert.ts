// The assertions every test folder shares (jsr:@std/assert is not reachable
// here): a condition, deep strict equality, and the one check that an action
// fails with a StoreError of a given kind.
import { AssertionError } from "node:assert";
import { isDeepStrictEqual } from "node:util";
import { StoreError, type StoreErrorKind } from "../../core/error.ts";

/** Fails with `message` unless `cond` is truthy. */
export function assert(cond: unknown, message = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError({ message });
}

/**
 * Fails unless `actual` and `expected` are deeply and strictly equal (as
 * `node:assert/strict`'s `deepStrictEqual`: types, prototypes, -0 and
 * typed-array contents count).
 */
export function assertEquals(actual: unknown, expected: unknown, message = ""): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new AssertionError({
      message: `${message ? message + ": " : ""}values differ\n  actual:   ${
        Deno.inspect(actual, { depth: 6 })
      }\n  expected: ${Deno.inspect(expected, { depth: 6 })}`,
      actual,
      expected,
    });
  }
}

/**
 * Asserts that `action` fails with a `StoreError` of `kind`, and returns it.
 * `action` is a promise, or a function that throws, returns a promise that
 * rejects, or returns an async iterator whose first step fails. `message`
 * is a pattern the error's message must match (a RegExp), or a label that
 * says what was tried (a string).
 */
export async function assertRejectsKind(
  action: Promise<unknown> | (() => unknown),
  kind: StoreErrorKind,
  message?: RegExp | string,
): Promise<StoreError> {
  const what = typeof message === "string" ? `${message}: ` : "";
  let err: unknown;
  let failed = false;
  try {
    const r = typeof action === "function" ? action() : action;
    if (r && typeof (r as Promise<unknown>).then === "function") await r;
    else if (r && typeof (r as AsyncIterator<unknown>).next === "function") {
      const it = r as AsyncIterator<unknown>;
      await it.next();
      await it.return?.();
    }
  } catch (e) {
    err = e;
    failed = true;
  }
  if (!failed) throw new AssertionError({ message: `${what}expected ${kind}, it succeeded` });
  if (!(err instanceof StoreError)) {
    throw new AssertionError({ message: `${what}expected StoreError ${kind}, got ${String(err)}` });
  }
  if (err.kind !== kind) {
    throw new AssertionError({
      message: `${what}expected StoreError ${kind}, got ${err.kind}: ${err.message}`,
    });
  }
  if (message instanceof RegExp && !message.test(err.message)) {
    throw new AssertionError({
      message: `the ${kind} message ${JSON.stringify(err.message)} does not match ${message}`,
    });
  }
  return err;
}
