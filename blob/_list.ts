/**
 * Listing machinery shared by backends that walk their own keys in order
 * (local, memory): option checks, the opaque cursor, and a page builder that
 * groups keys by delimiter the way S3 does.
 *
 * @module
 */
import { StoreError } from "../core/error.ts";
import { fromBase64Url, toBase64Url } from "../core/encoding.ts";
import { checkBlobPrefix, compareKeys } from "./keys.ts";
import type { ListOptions } from "./types.ts";

/** Default page size, as on S3. */
export const DEFAULT_LIST_LIMIT = 1000;

/** Where a page resumes: after `key`; if `group`, also after every key under it. */
export interface ListPosition {
  key: string;
  group: boolean;
}

/** Checked list options. */
export interface ListPlan {
  prefix: string;
  delimiter: string | undefined;
  limit: number;
  after: ListPosition | undefined;
  /** The cursor as given (a backend may key its own resume state by it). */
  cursor: string | undefined;
}

/** Validates `list` arguments into a plan (`ownCursors`: cursors are ours to decode). */
export function planList(
  prefix: string | undefined,
  opts: ListOptions = {},
  ownCursors = true,
): ListPlan {
  const p = checkBlobPrefix(prefix ?? "", "list blobs");
  const { delimiter, limit = DEFAULT_LIST_LIMIT, cursor } = opts;
  if (delimiter !== undefined && (typeof delimiter !== "string" || delimiter === "")) {
    throw new StoreError("InvalidInput", "Cannot list blobs: delimiter must be a non-empty string");
  }
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new StoreError(
      "InvalidInput",
      `Cannot list blobs: limit must be a positive integer, got ${limit}`,
    );
  }
  if (cursor !== undefined && (typeof cursor !== "string" || cursor === "")) {
    throw new StoreError("InvalidInput", "Cannot list blobs: cursor must be a non-empty string");
  }
  // A backend whose service makes the cursors resumes from them itself.
  const after = cursor === undefined || !ownCursors ? undefined : decode(cursor);
  return { prefix: p, delimiter, limit, after, cursor };
}

/** Encodes a position as an opaque URL-safe cursor. */
export function encodeCursor(pos: ListPosition): string {
  const json = JSON.stringify([pos.key, pos.group ? 1 : 0]);
  return toBase64Url(new TextEncoder().encode(json));
}

function decode(cursor: string): ListPosition {
  try {
    const bytes = fromBase64Url(cursor);
    const [key, group] = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    if (typeof key === "string" && (group === 0 || group === 1)) return { key, group: group === 1 };
  } catch (_) {
    // fall through to the error below
  }
  throw new StoreError(
    "InvalidInput",
    `Cannot list blobs: cursor ${JSON.stringify(String(cursor).slice(0, 40))} is not valid`,
  );
}

/** Whether a key comes at or before the resume position (so is skipped). */
export function isBefore(key: string, after: ListPosition | undefined): boolean {
  if (after === undefined) return false;
  if (compareKeys(key, after.key) <= 0) return true;
  return after.group && key.startsWith(after.key);
}

/** What `PageBuilder.offer` did with a key. */
export type Offer =
  | { kind: "item" }
  | { kind: "prefix"; prefix: string }
  | { kind: "grouped"; prefix: string }
  | { kind: "full" };

/**
 * Collects one page from keys offered in ascending order (after the cursor).
 * A key with the delimiter after the prefix becomes a common prefix; once the
 * page is full, the next distinct entry marks that more pages exist.
 */
export class PageBuilder {
  readonly keys: string[] = [];
  readonly prefixes: string[] = [];
  #count = 0;
  #last: ListPosition | undefined;
  #more = false;

  constructor(readonly plan: ListPlan) {}

  /** The common prefix a key falls under, if any. */
  groupOf(key: string): string | undefined {
    const { prefix, delimiter } = this.plan;
    if (delimiter === undefined) return undefined;
    const i = key.indexOf(delimiter, prefix.length);
    return i < 0 ? undefined : key.slice(0, i + delimiter.length);
  }

  /** Offers the next key; callers may skip keys under a returned prefix. */
  offer(key: string): Offer {
    const group = this.groupOf(key);
    if (group !== undefined && this.#last?.group && this.#last.key === group) {
      return { kind: "grouped", prefix: group };
    }
    if (this.#count >= this.plan.limit) {
      this.#more = true;
      return { kind: "full" };
    }
    this.#count++;
    if (group !== undefined) {
      this.prefixes.push(group);
      this.#last = { key: group, group: true };
      return { kind: "prefix", prefix: group };
    }
    this.keys.push(key);
    this.#last = { key, group: false };
    return { kind: "item" };
  }

  /** The next page's cursor, or undefined on the last page. */
  cursor(): string | undefined {
    return this.#more && this.#last ? encodeCursor(this.#last) : undefined;
  }
}
