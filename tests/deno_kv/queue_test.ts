// Queues: the same scenarios against Deno KV and openKv over each engine, then what Deno KV
// cannot show in one process: messages and delays that survive a restart, and a message whose
// listener died being delivered again.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { openKv } from "@cooljapan/oxistore/deno-kv";
import { type AnyKv, ORACLE, OURS, type Target } from "./_targets.ts";

const TARGETS: Target[] = [ORACLE, ...OURS];

/** Resolves when `pred` holds (polling), or rejects after `ms`. */
async function until(pred: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function withKv(target: Target, fn: (kv: AnyKv) => Promise<void>): Promise<void> {
  const { kv, close } = await target.open();
  try {
    await fn(kv);
  } finally {
    await close();
  }
}

for (const target of TARGETS) {
  Deno.test(`deno-kv queue: ${target.name} delivers in order, after delays, and retries a failing handler`, async () => {
    await withKv(target, async (kv) => {
      const seen: unknown[] = [];
      let failures = 0;
      const listening = kv.listenQueue((msg: { n: number }) => {
        if (msg.n === 2 && failures < 2) {
          failures++;
          throw new Error("not yet");
        }
        seen.push(msg.n);
      });
      await kv.enqueue({ n: 1 });
      await kv.enqueue({ n: 2 }, { backoffSchedule: [10, 10, 10] });
      await kv.enqueue({ n: 3 }, { delay: 300 });
      await until(() => seen.length === 3);
      // 1 first; 2 after two failed deliveries; 3 only once its delay passed.
      deepStrictEqual(seen, [1, 2, 3]);
      strictEqual(failures, 2);
      void listening;
    });
  });

  Deno.test(`deno-kv queue: ${target.name} writes keysIfUndelivered after the last retry`, async () => {
    await withKv(target, async (kv) => {
      let attempts = 0;
      kv.listenQueue(() => {
        attempts++;
        throw new Error("always fails");
      });
      const r = await kv.atomic()
        .enqueue("lost", { keysIfUndelivered: [["dead", 1], ["dead", 2]], backoffSchedule: [5, 5] })
        .commit();
      ok(r.ok);
      await until(async () => (await kv.get(["dead", 2])).value !== null);
      strictEqual(attempts, 3);
      deepStrictEqual((await kv.get(["dead", 1])).value, "lost");
      deepStrictEqual((await kv.get(["dead", 2])).value, "lost");
    });
  });
}

for (const target of TARGETS) {
  Deno.test(`deno-kv queue: ${target.name} rejects bad enqueue options as Deno KV does`, async () => {
    await withKv(target, async (kv) => {
      const errors: string[] = [];
      for (
        const options of [
          { delay: -1 },
          { delay: 31 * 24 * 3600 * 1000 },
          { backoffSchedule: [-1] },
          { backoffSchedule: [1, 1, 1, 1, 1, 1] },
          { keysIfUndelivered: [[{}]] },
        ]
      ) {
        try {
          await kv.enqueue(1, options as { delay?: number });
          errors.push("none");
        } catch (err) {
          errors.push(`${(err as Error).constructor.name}: ${(err as Error).message}`);
        }
      }
      deepStrictEqual(errors, [
        "TypeError: Delay must be >= 0: received -1",
        "TypeError: Delay cannot be greater than 30 days: received 2678400000",
        "TypeError: Invalid backoffSchedule, interval at index 0 is invalid",
        "TypeError: Invalid backoffSchedule, max 5 intervals allowed",
        "TypeError: expected string, number, bigint, ArrayBufferView, boolean",
      ]);
    });
  });
}

for (const kind of ["btree", "lsm", "denokv"] as const) {
  Deno.test(`deno-kv queue: ${kind} on disk keeps messages and their delay across a restart`, async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/q`;
    const first = await openKv(path, { kind });
    const enqueuedAt = Date.now();
    await first.enqueue("now");
    await first.enqueue("later", { delay: 400 });
    await first.close();

    const kv = await openKv(path);
    const got: [string, number][] = [];
    const listening = kv.listenQueue((m: string) => {
      got.push([m, Date.now() - enqueuedAt]);
    });
    await until(() => got.length === 2);
    deepStrictEqual(got.map(([m]) => m), ["now", "later"]);
    ok(got[1]![1] >= 400, `the delayed message came after ${got[1]![1]} ms`);
    await kv.close();
    await listening;
    await Deno.remove(dir, { recursive: true });
  });

  Deno.test(`deno-kv queue: ${kind} redelivers a message whose listener died mid-handler`, async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/q`;
    // A child process claims the message and is killed inside the handler.
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--unstable-kv", import.meta.resolve("./_queue_child.ts"), path, kind],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.getReader();
    let out = "";
    while (!out.includes("in handler")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});

    const kv = await openKv(path, { queueLeaseMs: 200 });
    const got: string[] = [];
    const listening = kv.listenQueue((m: string) => {
      got.push(m);
    });
    await until(() => got.length === 1);
    deepStrictEqual(got, ["job"]);
    await kv.close();
    await listening;
    await Deno.remove(dir, { recursive: true });
  });
}
