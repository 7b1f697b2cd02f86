/**
 * The Deno KV API over the B-tree engine (`openKv(path)`) against `Deno.openKv(path)`, both
 * on disk, on the same workloads in one run (issue 16's targets in brackets):
 *
 * - point reads of random keys among 10,000 (≥ 20×);
 * - random-key bulk writes: `atomic()` batches of 100 sets (≥ 3×);
 * - `list` of 50 entries (≥ 3×);
 * - a durable single `set` (≥ 1.2×), and 16 `set`s in flight at once (group commit: one sync
 *   can cover them all);
 * - enqueue → handler: 50 messages enqueued, the time until the handler has seen them all
 *   (≥ Deno KV's).
 *
 * ```sh
 * deno bench -A --unstable-kv bench/deno_kv_bench.ts
 * ```
 *
 * @module
 */
import { openKv } from "../layers/deno_kv/mod.ts";
import { open } from "../mod.ts";
import { encodeKey } from "../layers/deno_kv/_key_codec.ts";

const KEYS = 10_000;
const dir = await Deno.makeTempDir({ prefix: "oxi-denokv-bench-" });
// Opened by hand so the engine alone can be timed too (the rows marked "engine alone").
const store = await open(`${dir}/ours.oxi`);
const entries = store.tree("deno-kv");
const ours = await openKv(store) as unknown as Deno.Kv;
const native = await Deno.openKv(`${dir}/native.sqlite`);
const stores: [string, Deno.Kv][] = [["openKv btree", ours], ["Deno.openKv", native]];

const user = (i: number) => ({ id: i, name: `user ${i}`, email: `u${i}@example.com` });
for (const [, kv] of stores) {
  for (let i = 0; i < KEYS; i += 500) {
    const op = kv.atomic();
    for (let j = i; j < i + 500; j++) op.set(["users", j], user(j));
    await op.commit();
  }
}

let seed = 1;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

// Sets in flight at once (a server handling requests): commits of one process share syncs.
const CONCURRENT = 16;

// Queue plumbing: each store's handler counts; a bench iteration waits for its messages.
const QUEUE_BATCH = 50;
const delivered = new Map<Deno.Kv, { n: number; wake?: () => void; want: number }>();
for (const [, kv] of stores) {
  const state = { n: 0, want: 0 } as { n: number; wake?: () => void; want: number };
  delivered.set(kv, state);
  kv.listenQueue(() => {
    state.n++;
    if (state.n >= state.want) state.wake?.();
  });
}

Deno.bench("get random key: B-tree engine alone", { group: "point read" }, async () => {
  await entries.get(encodeKey(["users", Math.floor(random() * KEYS)]));
});
Deno.bench("list 50: B-tree engine alone (range)", { group: "list 50" }, async () => {
  const start = Math.floor(random() * (KEYS - 50));
  let n = 0;
  const hi = encodeKey(["users", KEYS]);
  for await (const _ of entries.range(encodeKey(["users", start]), hi, { limit: 50 })) n++;
  if (n !== 50) throw new Error(`listed ${n}`);
});

for (const [name, kv] of stores) {
  const baseline = name === "Deno.openKv";
  Deno.bench(`get random key: ${name}`, { group: "point read", baseline }, async () => {
    await kv.get(["users", Math.floor(random() * KEYS)]);
  });
  Deno.bench(
    `atomic 100 random sets: ${name}`,
    { group: "atomic batch", baseline, n: 200 },
    async () => {
      const op = kv.atomic();
      for (let i = 0; i < 100; i++) op.set(["bulk", Math.floor(random() * 1e9)], user(i));
      await op.commit();
    },
  );
  Deno.bench(`list 50: ${name}`, { group: "list 50", baseline }, async () => {
    const start = Math.floor(random() * (KEYS - 50));
    let n = 0;
    for await (
      const _ of kv.list({ start: ["users", start], end: ["users", KEYS] }, { limit: 50 })
    ) n++;
    if (n !== 50) throw new Error(`listed ${n}`);
  });
  Deno.bench(`durable set: ${name}`, { group: "durable set", baseline, n: 300 }, async () => {
    await kv.set(["single", Math.floor(random() * 1e9)], user(1));
  });
  Deno.bench(
    `${CONCURRENT} concurrent durable sets: ${name}`,
    { group: "concurrent sets", baseline, n: 100 },
    async () => {
      const sets = [];
      for (let i = 0; i < CONCURRENT; i++) {
        sets.push(kv.set(["concurrent", Math.floor(random() * 1e9)], user(i)));
      }
      await Promise.all(sets);
    },
  );
  Deno.bench(`enqueue→handler ×${QUEUE_BATCH}: ${name}`, {
    group: "queue",
    baseline,
    n: 20,
    warmup: 2,
  }, async () => {
    const state = delivered.get(kv)!;
    state.want = state.n + QUEUE_BATCH;
    const done = new Promise<void>((r) => (state.wake = r));
    for (let i = 0; i < QUEUE_BATCH; i++) await kv.enqueue({ job: i });
    await done;
  });
}

globalThis.addEventListener("unload", () => {
  native.close();
  void (ours as unknown as { close(): Promise<void> }).close().then(() => store.close());
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch {
    // the OS cleans temp
  }
});
