// Minimal assertions (jsr:@std/assert is not reachable here).
import { StoreError } from "../../core/error.ts";

export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  const a = JSON.stringify(actual, replacer);
  const e = JSON.stringify(expected, replacer);
  if (a !== e) throw new Error(`${msg ? msg + ": " : ""}expected ${e}, got ${a}`);
}

function replacer(_k: string, v: unknown): unknown {
  return v instanceof Uint8Array ? Array.from(v) : v;
}

export async function assertRejectsKind(
  fn: () => Promise<unknown>,
  kind: string,
  msg?: string,
): Promise<StoreError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof StoreError && err.kind === kind) return err;
    throw new Error(
      `${msg ? msg + ": " : ""}expected StoreError ${kind}, got ${
        err instanceof StoreError ? err.kind + " " + err.message : String(err)
      }`,
    );
  }
  throw new Error(`${msg ? msg + ": " : ""}expected StoreError ${kind}, nothing thrown`);
}
