/**
 * What an engine or layer hands the conformance suite.
 *
 * @module
 */
import type { StoreConfig, StoreKind } from "../../core/config.ts";
import type { KvStore } from "../../core/kv.ts";

/** An engine or layer under test. */
export interface ConformanceTarget {
  /** e.g. "denokv/file", "btree/memory", "cache+encrypt over btree/memory". */
  name: string;
  /**
   * Opens a fresh, empty store. `config` carries StoreConfig fields
   * (syncWrites, cacheSizeBytes, mergeOperator, ...) except kind/readOnly.
   * A test may call it more than once; `cleanup` must remove every store it made.
   */
  open(config?: StoreConfig): Promise<KvStore>;
  /**
   * File targets only: opens again the SAME store the last `open()` created
   * (after the test closed it), with `config` (incl. `readOnly: true`).
   */
  reopen?(config?: StoreConfig): Promise<KvStore>;
  /** Removes files; called after each test. */
  cleanup?(): Promise<void>;
  /** Behaviours (case ids) the target cannot have, each with the reason. */
  skip?: Record<string, string>;
  /**
   * Whether `getSync`/`rangeSync` must answer (true) or throw `Unsupported`
   * (false); default: true for every kind but "denokv".
   */
  syncReads?: boolean;
  /** The `kind` the store must report, when the target knows it. */
  kind?: StoreKind;
}
