/**
 * The conformance suite: one set of behaviour tests, from shared/API.md,
 * that every engine and every layer must pass. An engine's test file hands
 * {@link runConformance} a {@link ConformanceTarget}; the suite registers one
 * `Deno.test` per behaviour group, each on fresh stores it closes itself.
 *
 * @example
 * ```ts ignore
 * import { runConformance } from "./suite.ts";
 * import { openInMemory } from "../../mod.ts";
 * runConformance({ name: "btree/memory", open: (config) => openInMemory("btree", config) });
 * ```
 *
 * @module
 */
import { type Case, runCase } from "./_helpers.ts";
import { basicCases } from "./_cases_basic.ts";
import { scanCases } from "./_cases_scan.ts";
import { ttlCases } from "./_cases_ttl.ts";
import { txnCases } from "./_cases_txn.ts";
import { snapshotCases } from "./_cases_snapshot.ts";
import { adminCases } from "./_cases_admin.ts";
import { featureCases } from "./_cases_features.ts";
import { lifecycleCases } from "./_cases_lifecycle.ts";
import { volumeCases } from "./_cases_volume.ts";
import { syncCases } from "./_cases_sync.ts";
import type { ConformanceTarget } from "./target.ts";

export type { ConformanceTarget } from "./target.ts";

/** Every behaviour group, in the order the tests run. */
export const CASES: readonly Case[] = [
  ...basicCases,
  ...scanCases,
  ...ttlCases,
  ...txnCases,
  ...snapshotCases,
  ...adminCases,
  ...featureCases,
  ...lifecycleCases,
  ...volumeCases,
  ...syncCases,
];

/** The ids a target may name in `skip`. */
export const CASE_IDS: readonly string[] = CASES.map((c) => c.id);

/**
 * Registers one `Deno.test` per behaviour group for `target`. A skipped group
 * still shows up, ignored, with its reason in the name.
 *
 * @param target the engine or layer under test
 */
export function runConformance(target: ConformanceTarget): void {
  for (const [id, reason] of Object.entries(target.skip ?? {})) {
    if (!CASE_IDS.includes(id)) {
      throw new Error(`${target.name}: skip names an unknown behaviour "${id}"`);
    }
    if (typeof reason !== "string" || reason.trim() === "") {
      throw new Error(`${target.name}: skipping "${id}" needs a reason`);
    }
  }
  for (const c of CASES) {
    const reason = target.skip?.[c.id] ??
      (c.needsReopen && !target.reopen ? "in-memory target: nothing to reopen" : undefined);
    const name = `${target.name}: ${c.title}`;
    if (reason !== undefined) {
      Deno.test({ name: `${name} (skipped: ${reason})`, ignore: true, fn() {} });
      continue;
    }
    Deno.test(name, () => runCase(target, c));
  }
}
