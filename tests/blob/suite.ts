/**
 * The blob conformance suite: one set of behaviour cases, from shared/API.md,
 * that every BlobStore backend passes. A backend's test file hands
 * {@link runBlobConformance} a {@link BlobTarget}; the suite registers one
 * `Deno.test` per case, each on a fresh store it closes and cleans up itself.
 * A skipped case still shows up, ignored, with its reason in the name.
 *
 * @example
 * ```ts ignore
 * import { runBlobConformance } from "./suite.ts";
 * import { MemoryBlobStore } from "../../blob/mod.ts";
 * runBlobConformance({
 *   name: "memory",
 *   open: () => Promise.resolve({ store: new MemoryBlobStore(), cleanup: async () => {} }),
 * });
 * ```
 *
 * @module
 */
import type { BlobCase } from "./_helpers.ts";
import { basicCases } from "./_cases_basic.ts";
import { readCases } from "./_cases_read.ts";
import { keysCases } from "./_cases_keys.ts";
import { listCases } from "./_cases_list.ts";
import { moveCases } from "./_cases_move.ts";
import { conditionalCases } from "./_cases_conditional.ts";
import { deleteCases } from "./_cases_delete.ts";
import { casCases } from "./_cases_cas.ts";
import { uploadCases } from "./_cases_upload.ts";
import type { BlobTarget } from "./target.ts";

export type { BlobTarget, OpenedBlobStore } from "./target.ts";
// Helpers the backends' own tests use too.
export { expectKind, pseudoRandom, readAll, streamOf } from "./_helpers.ts";

/** Every case, in the order the tests run. */
export const BLOB_CASES: readonly BlobCase[] = [
  ...basicCases,
  ...readCases,
  ...keysCases,
  ...listCases,
  ...moveCases,
  ...conditionalCases,
  ...deleteCases,
  ...casCases,
  ...uploadCases,
];

/** The ids a target may name in `skip`. */
export const BLOB_CASE_IDS: readonly string[] = BLOB_CASES.map((c) => c.id);

/**
 * Registers one `Deno.test` per case for `target`.
 *
 * @param target the backend under test
 */
export function runBlobConformance(target: BlobTarget): void {
  for (const [id, reason] of Object.entries(target.skip ?? {})) {
    if (!BLOB_CASE_IDS.includes(id)) {
      throw new Error(`${target.name}: skip names an unknown case "${id}"`);
    }
    if (typeof reason !== "string" || reason.trim() === "") {
      throw new Error(`${target.name}: skipping "${id}" needs a reason`);
    }
  }
  const sanitize = target.sanitize ?? true;
  for (const c of BLOB_CASES) {
    const reason = target.skip?.[c.id];
    const name = `${target.name}: ${c.id}: ${c.title}`;
    if (reason !== undefined) {
      Deno.test({ name: `${name} (skipped: ${reason})`, ignore: true, fn() {} });
      continue;
    }
    Deno.test({
      name,
      sanitizeOps: sanitize,
      sanitizeResources: sanitize,
      async fn() {
        const { store, cleanup } = await target.open();
        try {
          await c.run(store);
        } finally {
          await store.close().catch(() => {});
          await cleanup();
        }
      },
    });
  }
}
