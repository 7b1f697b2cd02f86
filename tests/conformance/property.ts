/**
 * Property tests: random operation sequences (writes, batches, CAS, scans,
 * transactions, conflicts, snapshots, TTL bookkeeping, merge, and reopen for
 * file targets) run against a store and a plain sorted in-memory model, which
 * must agree after every step.
 *
 * @example
 * ```ts ignore
 * import { runPropertyTests } from "./property.ts";
 * import { openInMemory } from "../../mod.ts";
 * runPropertyTests({ name: "btree/memory", open: (c) => openInMemory("btree", c) });
 * ```
 *
 * @module
 */
import fc from "fast-check";
import { type Op, opArb, runSequence } from "./_property_ops.ts";
import type { ConformanceTarget } from "./target.ts";

/** How long and how hard the property tests run. */
export interface PropertyOptions {
  /** Sequences to try (default 100). */
  numRuns?: number;
  /** Longest sequence (default 50). */
  maxOps?: number;
  /** Stop starting new sequences after this many ms (default 12 000). */
  timeLimitMs?: number;
  /** Fix the random seed to replay a failure (the failure message prints it). */
  seed?: number;
}

/**
 * Registers a `Deno.test` that runs random operation sequences against
 * `target` and a sorted in-memory model. `target.skip.property` skips it.
 *
 * @param target the engine or layer under test
 * @param options runs, length and time budget
 */
export function runPropertyTests(target: ConformanceTarget, options: PropertyOptions = {}): void {
  const name = `${target.name}: random operation sequences agree with a sorted model`;
  const skip = target.skip?.["property"];
  if (skip !== undefined) {
    Deno.test({ name: `${name} (skipped: ${skip})`, ignore: true, fn() {} });
    return;
  }
  Deno.test(name, async () => {
    const arb = fc.array(opArb(target.reopen !== undefined), {
      minLength: 1,
      maxLength: options.maxOps ?? 50,
      size: "max",
    });
    const params: fc.Parameters<[Op[]]> = {
      numRuns: options.numRuns ?? 100,
      interruptAfterTimeLimit: options.timeLimitMs ?? 12_000,
    };
    if (options.seed !== undefined) params.seed = options.seed;
    const out = await fc.check(fc.asyncProperty(arb, (ops) => runSequence(target, ops)), params);
    if (out.failed) {
      const cause = out.errorInstance instanceof Error ? `\n${out.errorInstance.message}` : "";
      throw new Error((fc.defaultReportMessage(out) ?? "property failed") + cause);
    }
    if (out.numRuns < 10) throw new Error(`only ${out.numRuns} sequences ran in the time limit`);
  });
}
