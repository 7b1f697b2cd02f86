/**
 * A subset of bench/compare.ts under `deno bench`: point reads, short scans
 * and 1,000-key batch writes on every available oxistore engine and on the
 * anchors, one group per operation with Deno KV as the baseline.
 *
 * ```sh
 * deno bench -A bench/compare_bench.ts
 * ```
 *
 * @module
 */
import { StoreError, type StoreKind } from "../mod.ts";
import { ANCHORS } from "./_anchors.ts";
import {
  type Counts,
  engineFactory,
  makeInputs,
  type Pair,
  prng,
  QUICK,
  randomBytes,
  type Subject,
  type SubjectFactory,
  VALUE_SIZE,
} from "./_workloads.ts";

const KINDS: readonly StoreKind[] = ["btree", "lsm", "denokv"];
const BATCHES = 40;
const counts: Counts = { ...QUICK, commits: 0, large: 0, largeSize: 0, shortScans: 2_000 };
const inputs = makeInputs(counts);

// New keys for the batch-write bench, made before any clock starts.
const rand = prng(29);
const batches: Pair[][] = Array.from(
  { length: BATCHES },
  () =>
    Array.from({ length: counts.batchSize }, (): Pair => {
      const key = randomBytes(rand, 16);
      key[0] = key[0]! | 1;
      return [key, randomBytes(rand, VALUE_SIZE)];
    }),
);

const dirs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of dirs) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* already gone */ }
  }
});

/** Opens `factory` in a temp dir and loads the same keys compare.ts loads (scaled down). */
async function prepare(factory: SubjectFactory): Promise<Subject | undefined> {
  const dir = await Deno.makeTempDir({ prefix: `oxistore-bench-${factory.id}-` });
  dirs.push(dir);
  try {
    const s = await factory.open(dir);
    for (const pairs of [inputs.seqPairs, inputs.randPairs]) {
      for (let i = 0; i < pairs.length; i += counts.batchSize) {
        await s.batch(pairs.slice(i, i + counts.batchSize));
      }
    }
    return s;
  } catch (err) {
    const why = err instanceof StoreError && err.kind === "Unsupported"
      ? "not built yet"
      : String(err);
    console.error(`compare_bench: skipping ${factory.label}: ${why}`);
    return undefined;
  }
}

/**
 * A bench body for `op`. `Deno.bench` awaits only functions declared `async`
 * (it does not await a returned promise), so probe once whether the subject
 * answers with a promise and give it an async or a plain body accordingly:
 * an async wrapper around lmdb's sub-microsecond sync reads would bench the
 * wrapper.
 */
async function body(op: (i: number) => unknown): Promise<() => void | Promise<void>> {
  let i = 0;
  const first = op(i++);
  if (first instanceof Promise) {
    await first;
    return async () => {
      await op(i++);
    };
  }
  return () => {
    op(i++);
  };
}

for (const factory of [...KINDS.map(engineFactory), ...ANCHORS]) {
  const s = await prepare(factory);
  if (!s) continue;
  const baseline = factory.id === "deno-kv";
  const { hitKeys, missKeys, scanStarts } = inputs;
  Deno.bench({
    name: `get ${factory.label}`,
    group: "point read (present key)",
    baseline,
    fn: await body((i) => s.get(hitKeys[i % hitKeys.length]!)),
  });
  Deno.bench({
    name: `get missing ${factory.label}`,
    group: "point read (missing key)",
    baseline,
    fn: await body((i) => s.get(missKeys[i % missKeys.length]!)),
  });
  Deno.bench({
    name: `scan 50 ${factory.label}`,
    group: "range scan of 50 keys",
    baseline,
    fn: await body((i) => s.scan(scanStarts[i % scanStarts.length]!, counts.scanLength)),
  });
  Deno.bench({
    name: `batch 1000 ${factory.label}`,
    group: "durable batch write of 1,000 keys",
    baseline,
    n: BATCHES,
    warmup: 2,
    fn: await body((i) => s.batch(batches[i % BATCHES]!)),
  });
}
