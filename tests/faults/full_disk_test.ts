// A real full disk: each engine bulk-loads into a small tmpfs until the disk
// fills, which must fail with CapacityExceeded; reads go on; once space is
// freed (the mount grows) a reopen holds every acknowledged commit and takes
// writes again. Needs root on Linux to mount; skipped (with the reason) otherwise.
import { strictEqual } from "node:assert/strict";
import { openWith, StoreError } from "@cooljapan/oxistore";

function run(...args: string[]): { ok: boolean; text: string } {
  try {
    const out = new Deno.Command(args[0]!, {
      args: args.slice(1),
      stderr: "piped",
      stdout: "piped",
    })
      .outputSync();
    return { ok: out.success, text: new TextDecoder().decode(out.stderr).trim() };
  } catch (err) {
    return { ok: false, text: String(err) };
  }
}

/** Mounts a tmpfs of `size` at a new directory, or says why it cannot. */
function mountSmall(size: string): { dir?: string; why?: string } {
  if (Deno.build.os !== "linux") return { why: "tmpfs mounts need Linux" };
  const dir = Deno.makeTempDirSync({ prefix: "oxistore-fulldisk-" });
  const r = run("mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir);
  if (r.ok) return { dir };
  Deno.removeSync(dir);
  return { why: `cannot mount a tmpfs (needs root): ${r.text}` };
}

const probe = mountSmall("1m");
if (probe.dir) {
  run("umount", probe.dir);
  Deno.removeSync(probe.dir);
}
if (probe.why) console.log(`full disk tests skipped: ${probe.why}`);

for (const kind of ["btree", "lsm"] as const) {
  Deno.test({
    name: `faults: ${kind} on a real full disk fails with CapacityExceeded and recovers`,
    ignore: probe.why !== undefined,
    async fn() {
      const { dir } = mountSmall("2m");
      if (!dir) throw new Error("mount failed after the probe succeeded");
      try {
        await fillAndRecover(kind, dir);
      } finally {
        run("umount", dir);
        Deno.removeSync(dir, { recursive: true });
      }
    },
  });
}

async function fillAndRecover(kind: "btree" | "lsm", dir: string): Promise<void> {
  const path = kind === "btree" ? `${dir}/kv.oxi` : `${dir}/lsm`;
  const acked = new Map<string, string>();
  const store = await openWith(kind, path);
  let failure: unknown;
  for (let b = 0; b < 1000 && failure === undefined; b++) {
    const pairs: [string, string][] = [];
    for (let i = 0; i < 50; i++) {
      const k = `key-${String(b).padStart(4, "0")}-${i}`;
      pairs.push([k, `${k}:`.padEnd(1000, "v")]);
    }
    try {
      await store.batchWrite(pairs);
      for (const [k, v] of pairs) acked.set(k, v);
    } catch (err) {
      failure = err;
    }
  }
  if (!(failure instanceof StoreError)) throw new Error(`the disk never filled: ${failure}`);
  strictEqual(failure.kind, "CapacityExceeded", failure.message);
  if (!failure.message.includes(path)) throw new Error(`no store path in: ${failure.message}`);
  if (acked.size === 0) throw new Error("nothing was acknowledged before the disk filled");
  // Reads keep working on the full disk.
  const dec = new TextDecoder();
  for (const [k, v] of [...acked].slice(-20)) strictEqual(dec.decode(await store.get(k)), v);
  try {
    await store.close();
  } catch { /* closing may need space too */ }
  // Space freed: the mount grows.
  const grown = run("mount", "-o", "remount,size=64m", dir);
  if (!grown.ok) throw new Error(`remount failed: ${grown.text}`);
  const again = await openWith(kind, path);
  try {
    let n = 0;
    for await (const [k, v] of again.range()) {
      const key = dec.decode(k);
      if (acked.has(key)) {
        strictEqual(dec.decode(v), acked.get(key));
        n++;
      }
    }
    strictEqual(n, acked.size, "every acknowledged commit is there after the reopen");
    await again.put("after", "space freed");
    strictEqual(dec.decode(await again.get("after")), "space freed");
  } finally {
    await again.close();
  }
}
