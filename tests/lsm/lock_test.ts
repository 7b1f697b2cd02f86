// One writer per directory: a second writer gets `Locked`, in this process
// and from another one; read-only opens share the lock with each other only.
import { assert, assertEquals, assertRejectsKind } from "../_support/assert.ts";
import { openLsm } from "../../kv/lsm/mod.ts";
import { withTempDir } from "../_support/temp_dir.ts";

Deno.test("lsm: a second writer in the same process gets Locked", async () => {
  await withTempDir(async (dir) => {
    const a = await openLsm(dir);
    await assertRejectsKind(() => openLsm(dir), "Locked");
    await assertRejectsKind(() => openLsm(dir, { readOnly: true }), "Locked");
    await a.close();
    const b = await openLsm(dir); // released on close
    await b.close();
  });
});

Deno.test("lsm: read-only handles share the directory but keep writers out", async () => {
  await withTempDir(async (dir) => {
    await (await openLsm(dir)).close();
    const r1 = await openLsm(dir, { readOnly: true });
    const r2 = await openLsm(dir, { readOnly: true });
    await assertRejectsKind(() => openLsm(dir), "Locked");
    await r1.close();
    await assertRejectsKind(() => openLsm(dir), "Locked");
    await r2.close();
    await (await openLsm(dir)).close();
  });
});

const CHILD = `
import { openLsm } from ${JSON.stringify(new URL("../../kv/lsm/mod.ts", import.meta.url).href)};
const mode = Deno.args[1];
try {
  const s = await openLsm(Deno.args[0], { readOnly: mode === "ro" });
  console.log("opened");
  if (mode === "hold") { await new Promise((r) => setTimeout(r, 60_000)); }
  await s.close();
} catch (err) {
  console.log(err.kind);
}
`;

async function childOpen(dir: string, mode: "rw" | "ro"): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--config",
      new URL("../../deno.json", import.meta.url).pathname,
      CHILD,
      dir,
      mode,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("lsm: another process cannot open a store this process writes", async () => {
  await withTempDir(async (dir) => {
    const s = await openLsm(dir);
    assertEquals(await childOpen(dir, "rw"), "Locked");
    assertEquals(await childOpen(dir, "ro"), "Locked");
    await s.close();
    assertEquals(await childOpen(dir, "rw"), "opened");
  });
});

Deno.test("lsm: this process cannot open a store another process writes", async () => {
  await withTempDir(async (dir) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        "--config",
        new URL("../../deno.json", import.meta.url).pathname,
        CHILD,
        dir,
        "hold",
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    let text = "";
    while (!text.includes("opened")) {
      const { value, done } = await reader.read();
      assert(!done, "child exited early");
      text += new TextDecoder().decode(value);
    }
    try {
      await assertRejectsKind(() => openLsm(dir), "Locked");
      await assertRejectsKind(() => openLsm(dir, { readOnly: true }), "Locked");
    } finally {
      child.kill("SIGKILL");
      await child.status;
      reader.releaseLock();
      await child.stdout.cancel();
    }
    await (await openLsm(dir)).close(); // the OS dropped the dead child's lock
  });
});

Deno.test("lsm: Locked names the process that holds the store", async () => {
  await withTempDir(async (dir) => {
    const s = await openLsm(dir);
    try {
      const err = await openLsm(dir).then(() => undefined, (e) => e);
      assertEquals(err?.kind, "Locked");
      if (!String(err.message).includes(`process ${Deno.pid}`)) throw new Error(err.message);
    } finally {
      await s.close();
    }
  });
});
