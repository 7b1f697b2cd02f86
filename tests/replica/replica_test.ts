// Replicas on a blob target: streaming, restore (latest and point in time),
// followers, the lease, damage, an unreachable target and retention.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { open, openInMemory, openWith, StoreError, type StoreKind } from "@cooljapan/oxistore";
import { MemoryBlobStore } from "@cooljapan/oxistore/blob";
import { openReplica, replicate, restoreReplica } from "@cooljapan/oxistore/replica";
import { openCached } from "@cooljapan/oxistore";
import { contents, eventually, flaky, sleep } from "./_helpers.ts";
import { assertRejectsKind } from "../_support/assert.ts";
import { seededRandom } from "../_support/random.ts";
import { withTempDir } from "../_support/temp_dir.ts";

const ENGINES = ["btree", "lsm"] as const;
const file = (kind: StoreKind) => (kind === "lsm" ? "store.lsm" : "store.oxi");

for (const kind of ENGINES) {
  Deno.test(`replica/${kind}: every commit reaches the target; restore and a follower equal the primary`, async () => {
    await withTempDir(async (dir) => {
      const target = { store: new MemoryBlobStore(), prefix: "replicas/app" };
      await using primary = await openWith(kind, `${dir}/${file(kind)}`);
      await primary.put("before", "replication started");
      const rep = await replicate(primary, target, { intervalMs: 20 });
      try {
        await using follower = await openReplica(target, { pollMs: 10 });
        deepStrictEqual(await contents(follower), { ":before": "replication started" });
        for (let i = 0; i < 50; i++) {
          await primary.batchWrite([[`k${i}`, `v${i}`], [`k${i}b`, "x"]]);
          if (i % 5 === 0) await primary.delete(`k${i}b`);
        }
        await primary.putWithTtl("ttl", "t", 600_000);
        await primary.tree("logs").put("a", "tree value");
        await primary.batchDelete(["k3", "k4"]);
        await rep.flush();
        strictEqual(rep.lag().commits, 0);
        const want = await contents(primary, ["logs"]);
        await eventually(
          async () => JSON.stringify(await contents(follower, ["logs"])) === JSON.stringify(want),
          5_000,
          "the follower to catch up",
        );
        await assertRejectsKind(follower.put("x", "y"), "ReadOnly");
        for (const to of ["btree", "lsm"] as const) {
          const path = `${dir}/restored-${to}-${file(to)}`;
          await restoreReplica(target, path, { kind: to });
          await using copy = await openWith(to, path);
          deepStrictEqual(await contents(copy, ["logs"]), want, `restored into ${to}`);
          ok((await copy.ttl("ttl"))! > 500_000, "TTLs travel with the values");
        }
      } finally {
        await rep.stop();
      }
    });
  });
}

Deno.test("replica: a second replicate to a live target is Locked; after stop() it may take over", async () => {
  const target = { store: new MemoryBlobStore(), prefix: "r" };
  await using a = await openInMemory("btree");
  await using b = await openInMemory("lsm");
  const first = await replicate(a, target, { intervalMs: 20 });
  const err = await replicate(b, target).then(() => undefined, (e) => e);
  ok(err instanceof StoreError && err.kind === "Locked", String(err));
  ok(err.message.includes(first.generation), err.message);
  await first.stop();
  const second = await replicate(b, target, { intervalMs: 20 });
  ok(second.generation > first.generation, "a new generation, sorted after the old one");
  await b.put("from", "b");
  await second.flush();
  await second.stop();
  await withTempDir(async (dir) => {
    await restoreReplica(target, `${dir}/r.oxi`);
    await using r = await open(`${dir}/r.oxi`);
    deepStrictEqual(await contents(r), { ":from": "b" }, "restore follows the newest generation");
  });
});

Deno.test("replica: the Deno KV engine and layered stores are Unsupported with the way out", async () => {
  const target = { store: new MemoryBlobStore(), prefix: "r" };
  await using kv = await openInMemory("denokv");
  const err = await replicate(kv, target).then(() => undefined, (e) => e);
  ok(err instanceof StoreError && err.kind === "Unsupported", String(err));
  ok(err.message.includes("backup("), err.message);
  await withTempDir(async (dir) => {
    await using cached = await openCached("btree", `${dir}/c.oxi`, 100);
    await assertRejectsKind(replicate(cached, target), "Unsupported");
  });
  await assertRejectsKind(replicate(kv, { store: target.store, prefix: "/bad" }), "InvalidInput");
});

Deno.test("replica: a damaged segment is Corruption and the destination is left untouched", async () => {
  const blobs = new MemoryBlobStore();
  const target = { store: blobs, prefix: "r" };
  await using primary = await openInMemory("btree");
  const rep = await replicate(primary, target, { intervalMs: 10 });
  for (let i = 0; i < 5; i++) {
    await primary.put(`k${i}`, "v");
    await rep.flush();
  }
  await rep.stop();
  const segs = (await blobs.list("r/gen/")).items.filter((i) => i.key.includes("/seg/"));
  ok(segs.length >= 2, `several segments (${segs.length})`);
  const victim = segs[1]!.key;
  const bytes = await blobs.get(victim);
  bytes[bytes.length >> 1]! ^= 0x10;
  await blobs.put(victim, bytes);
  await withTempDir(async (dir) => {
    await assertRejectsKind(restoreReplica(target, `${dir}/x.oxi`), "Corruption");
    deepStrictEqual(await Array.fromAsync(Deno.readDir(dir)), [], "nothing was left behind");
    await blobs.delete(victim);
    await assertRejectsKind(restoreReplica(target, `${dir}/x.oxi`), "Corruption", "a gap");
    await Deno.writeTextFile(`${dir}/taken`, "");
    await assertRejectsKind(restoreReplica(target, `${dir}/taken`), "AlreadyExists");
    strictEqual(await Deno.readTextFile(`${dir}/taken`), "");
  });
});

Deno.test("replica: point-in-time restores at 20 random moments equal the primary then", async () => {
  const target = { store: new MemoryBlobStore(), prefix: "pitr" };
  await using primary = await openInMemory("lsm");
  const rep = await replicate(primary, target, { intervalMs: 15, snapshotIntervalMs: 60 });
  const states: { from: number; to: number; state: Record<string, string> }[] = [];
  const next = seededRandom(7);
  const rnd = (n: number) => Math.floor(next() * n);
  let last = Date.now();
  for (let i = 0; i < 60; i++) {
    await sleep(3);
    const before = Date.now();
    if (states.length > 0) states.at(-1)!.to = before;
    const k = `k${rnd(12)}`;
    if (rnd(4) === 0) await primary.delete(k);
    else await primary.batchWrite([[k, `v${i}`], [`k${rnd(12)}`, `w${i}`]]);
    last = Date.now();
    states.push({ from: last + 1, to: Infinity, state: await contents(primary) });
  }
  await rep.flush();
  await rep.stop();
  const usable = states.filter((s) => s.to > s.from);
  ok(usable.length >= 20, `enough quiet gaps between commits (${usable.length})`);
  await withTempDir(async (dir) => {
    for (let n = 0; n < 20; n++) {
      const s = usable[rnd(usable.length)]!;
      const at = Number.isFinite(s.to) ? s.from + rnd(s.to - s.from) : s.from + 5;
      const path = `${dir}/at-${n}.oxi`;
      await restoreReplica(target, path, { at: new Date(at) });
      await using r = await open(path);
      deepStrictEqual(await contents(r), s.state, `restore at ${new Date(at).toISOString()}`);
    }
    const tooOld = new Date(states[0]!.from - 60_000);
    await assertRejectsKind(restoreReplica(target, `${dir}/old.oxi`, { at: tooOld }), "NotFound");
  });
});

Deno.test("replica: an unreachable target makes lag grow; nothing is lost or doubled when it returns", async () => {
  const net = flaky(new MemoryBlobStore());
  const target = { store: net.store, prefix: "r" };
  await using primary = await openInMemory("btree");
  const rep = await replicate(primary, target, { intervalMs: 10 });
  await using follower = await openReplica(target, { pollMs: 10 });
  net.down = true;
  for (let i = 0; i < 100; i++) await primary.put(`k${i}`, `v${i}`);
  await sleep(80);
  strictEqual(rep.lag().commits, 100, "commits wait while the target is down");
  ok(rep.lag().ms >= 60, `lag in ms grows (${rep.lag().ms})`);
  strictEqual((await contents(follower))[":k0"], undefined, "the follower keeps its last state");
  net.down = false;
  await rep.flush();
  strictEqual(rep.lag().commits, 0);
  await eventually(
    async () => Object.keys(await contents(follower)).length === 100,
    5_000,
    "follower",
  );
  deepStrictEqual(await contents(follower), await contents(primary));
  await rep.stop();
});

Deno.test("replica: retention prunes old pieces but keeps every restore point inside the window", async () => {
  const blobs = new MemoryBlobStore();
  const target = { store: blobs, prefix: "ret" };
  await using primary = await openInMemory("btree");
  const rep = await replicate(primary, target, {
    intervalMs: 5,
    snapshotIntervalMs: 40,
    retentionMs: 150,
  });
  const marks: { at: number; state: Record<string, string> }[] = [];
  for (let i = 0; i < 60; i++) {
    await primary.put(`k${i % 7}`, `v${i}`);
    marks.push({ at: Date.now(), state: await contents(primary) });
    await sleep(8);
  }
  await rep.flush();
  const keysBefore = (await blobs.list("ret/gen/")).items.length;
  await rep.stop();
  const snaps = (await blobs.list("ret/gen/")).items.filter((i) => i.key.includes("/snap/"));
  ok(snaps.length < 60 * 8 / 40, `old snapshots were pruned (${snaps.length}, ${keysBefore} keys)`);
  await withTempDir(async (dir) => {
    const recent = marks.filter((m) => m.at >= Date.now() - 100);
    ok(recent.length > 3);
    for (const [n, m] of recent.entries()) {
      await restoreReplica(target, `${dir}/r${n}.oxi`, { at: new Date(m.at) });
      await using r = await open(`${dir}/r${n}.oxi`);
      deepStrictEqual(await contents(r), m.state);
    }
    await assertRejectsKind(
      restoreReplica(target, `${dir}/first.oxi`, { at: new Date(marks[0]!.at) }),
      "NotFound",
      "a moment before the retention is gone",
    );
  });
});

Deno.test("replica: a follower in another process sees only whole prefixes of the primary's commits", async () => {
  await withTempDir(async (dir) => {
    const { LocalBlobStore } = await import("@cooljapan/oxistore/blob");
    const blobs = new LocalBlobStore(`${dir}/blobs`);
    const target = { store: blobs, prefix: "r" };
    await using primary = await openWith("btree", `${dir}/p.oxi`);
    const rep = await replicate(primary, target, { intervalMs: 10 });
    const total = 300;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-check",
        new URL("./_follower_child.ts", import.meta.url).pathname,
        `${dir}/blobs`,
        String(total),
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    for (let i = 1; i <= total; i++) {
      await primary.batchWrite([[`k${i % 40}`, `v${i}`], ["n", String(i)]]);
      if (i % 25 === 0) await sleep(40);
    }
    await rep.flush();
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
    const status = await child.status;
    const lines = text.trim().split("\n");
    ok(status.success, await new Response(child.stderr).text());
    ok(!lines.some((l) => l.includes("PARTIAL")), lines.join(", "));
    const seen = lines.map((l) => Number(l.split(" ")[0]));
    ok(seen.every((n, i) => i === 0 || n > seen[i - 1]!), `in commit order: ${seen.join(",")}`);
    strictEqual(seen.at(-1), total, "the follower caught up");
    ok(seen.length > 2, `it followed in steps (${seen.length})`);
    await rep.stop();
    await blobs.close();
  });
});

Deno.test("replica: retention pruning while a restore runs never takes a piece the restore needs", async () => {
  const { pruneReplica } = await import("../../replica/_retention.ts");
  const inner = new MemoryBlobStore();
  // Every read is slow, so pruning runs in the middle of the restore.
  const slow = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      if (prop !== "get" && prop !== "getStream") return value.bind(target);
      return async (...args: unknown[]) => {
        await sleep(15);
        return value.apply(target, args);
      };
    },
  });
  const target = { store: slow, prefix: "r" };
  await using primary = await openInMemory("btree");
  const rep = await replicate(primary, target, { intervalMs: 5, snapshotIntervalMs: 30 });
  for (let i = 0; i < 40; i++) {
    await primary.put(`k${i % 9}`, `v${i}`);
    await sleep(4);
  }
  await rep.flush();
  await rep.stop();
  const before = (await inner.list("r/gen/")).items.length;
  await withTempDir(async (dir) => {
    const restoring = restoreReplica(target, `${dir}/r.oxi`);
    await sleep(20);
    const pruned = await pruneReplica(target, 1);
    await restoring;
    ok(pruned > 0 && pruned < before, `pruning ran and deleted old pieces (${pruned}/${before})`);
    await using r = await open(`${dir}/r.oxi`);
    deepStrictEqual(await contents(r), await contents(primary));
  });
});
