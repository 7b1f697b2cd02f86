/**
 * What a blob backend hands the blob conformance suite.
 *
 * @module
 */
import type { BlobStore } from "../../blob/mod.ts";

/** A fresh, empty store and how to dispose of it. */
export interface OpenedBlobStore {
  /** The store under test. */
  store: BlobStore;
  /** Removes everything the store left (called after `close()`). */
  cleanup(): Promise<void>;
}

/** A blob backend under test. */
export interface BlobTarget {
  /** e.g. "memory", "local", "s3 (s3rver)". */
  name: string;
  /** Opens a fresh, empty store (called once per case). */
  open(): Promise<OpenedBlobStore>;
  /** Behaviours (case ids) the backend cannot have, each with the reason. */
  skip?: Record<string, string>;
  /** Deno's op/resource sanitizers (default true); HTTP clients may need false. */
  sanitize?: boolean;
}
