// Option helpers every cloud store's constructor uses alike.
import { StoreError } from "../../core/error.ts";
import { checkBlobPrefix } from "../keys.ts";

/** An environment variable, or undefined when unset, empty or not allowed. */
export function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env: behave as unset
  }
}

/** "" or the prefix with a trailing "/", checked like a key. */
export function normalizePrefix(prefix: string | undefined, op: string): string {
  if (prefix === undefined || prefix === "") return "";
  const p = prefix.endsWith("/") ? prefix : prefix + "/";
  checkBlobPrefix(p, op);
  return p;
}

/** `v`, or `dflt` when undefined; anything but a positive integer is InvalidInput. */
export function positiveInt(v: number | undefined, dflt: number, what: string, op: string): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new StoreError("InvalidInput", `Cannot ${op}: ${what} must be a positive integer`);
  }
  return v;
}
