// Several processes writing one Deno KV file: Deno KV answers "database is
// locked" under that load, and the engine must absorb it (retrying for a
// bounded time) so that no increment is lost and no process dies; a lock held
// past the bound is `Timeout`, never `InvalidInput`.
import { ok, strictEqual } from "node:assert/strict";
import { openWith, StoreError } from "@cooljapan/oxistore";
import { openDenoKv } from "@cooljapan/oxistore/kv/denokv";

const deno = Deno.execPath();
const here = new URL(".", import.meta.url);
const counterChild = new URL("_counter_child.ts", here).pathname;
const lockHolder = new URL("_lock_holder.ts", here).pathname;
const decoder = new TextDecoder();

interface ChildResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function runChild(args: string[]): Promise<ChildResult> {
  const out = await new Deno.Command(deno, {
    args: ["run", "-A", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

async function counterRace(processes: number, increments: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "oxi-denokv-mp-" });
  const path = `${dir}/counter.sqlite`;
  try {
    // Created first, so every child opens an existing database.
    await (await openWith("denokv", path)).close();
    const results = await Promise.all(
      Array.from({ length: processes }, () => runChild([counterChild, path, String(increments)])),
    );
    results.forEach((r, i) =>
      strictEqual(r.code, 0, `child ${i} died (exit ${r.code}): ${r.stderr.trim()}`)
    );
    await using store = await openWith("denokv", path);
    const got = decoder.decode(await store.get("counter"));
    strictEqual(got, String(processes * increments), "every increment of every process counted");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("denokv: two processes × 150 transactional increments of one counter lose none", async () => {
  await counterRace(2, 150);
});

Deno.test("denokv: four processes × 150 transactional increments of one counter lose none", async () => {
  await counterRace(4, 150);
});

Deno.test("denokv: a database locked past busyTimeoutMs fails with Timeout naming the path, then recovers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oxi-denokv-busy-" });
  const path = `${dir}/kv.sqlite`;
  try {
    await using store = await openDenoKv(path, {}, { busyTimeoutMs: 100 });
    await store.put("k", "before");
    const holder = new Deno.Command(deno, {
      args: ["run", "-A", lockHolder, path],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const lines = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
    strictEqual((await lines.read()).value?.trim(), "locked", "the holder took the write lock");
    let caught: unknown;
    try {
      await store.put("k", "during");
    } catch (err) {
      caught = err;
    }
    ok(caught instanceof StoreError, `expected a StoreError, got ${String(caught)}`);
    strictEqual(caught.kind, "Timeout", caught.message);
    ok(caught.message.includes(path), `message names the path: ${caught.message}`);
    ok(caught.message.includes("put"), `message names the operation: ${caught.message}`);
    ok(caught.cause instanceof Error, "Deno KV's own error is the cause");
    await holder.stdin.close();
    await lines.cancel();
    strictEqual((await holder.status).code, 0, "the holder released the lock");
    await store.put("k", "after");
    strictEqual(decoder.decode(await store.get("k")), "after", "writes work once the lock is gone");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("denokv: busyTimeoutMs must be a finite number >= 0", async () => {
  for (const bad of [-1, Number.NaN, Infinity, "5" as unknown as number]) {
    let caught: unknown;
    try {
      await openDenoKv(":memory:", {}, { busyTimeoutMs: bad });
    } catch (err) {
      caught = err;
    }
    ok(caught instanceof StoreError && caught.kind === "InvalidInput", `refuses ${String(bad)}`);
    ok(caught.message.includes("busyTimeoutMs"), caught.message);
  }
});
