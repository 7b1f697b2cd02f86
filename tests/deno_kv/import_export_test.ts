// importDenoKv / exportDenoKv and the CLI commands' logic: a native Deno KV file goes into an
// oxistore store on each engine and back, keys, values and expiry intact.
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { StoreError } from "@cooljapan/oxistore";
import { exportDenoKv, importDenoKv, type KvU64, openKv } from "@cooljapan/oxistore/deno-kv";

const ENTRIES: [Deno.KvKey, unknown][] = [
  [["users", 1], { name: "ada", born: new Date(0), tags: new Set(["math"]) }],
  [["users", 2n], new Uint8Array([0, 1, 2])],
  [["counters", "visits"], new Deno.KvU64(41n)],
  [[new Uint8Array([0, 255]), -0, true], "odd key"],
  [["big"], "x".repeat(60_000)],
];

async function nativeWithEntries(path: string): Promise<void> {
  const native = await Deno.openKv(path);
  for (const [k, v] of ENTRIES) await native.set(k, v);
  await native.set(["session"], "expires", { expireIn: 3_600_000 });
  // More than one import batch (500 entries), written in a few commits.
  for (let i = 0; i < 1200; i += 400) {
    const op = native.atomic();
    for (let j = i; j < i + 400; j++) op.set(["many", j], j);
    await op.commit();
  }
  native.close();
}

async function dump(kv: { list: Deno.Kv["list"] }): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const e of kv.list({ prefix: [] })) {
    const v = e.value as { value?: unknown };
    out.push([e.key, typeof v?.value === "bigint" ? { u64: v.value } : e.value]);
  }
  return out;
}

for (const kind of ["btree", "lsm", "denokv"] as const) {
  Deno.test(`deno-kv import/export: a native file into ${kind} and back, with expiry`, async () => {
    const dir = await Deno.makeTempDir();
    await nativeWithEntries(`${dir}/in.sqlite`);
    const kv = await openKv(`${dir}/store`, { kind });
    strictEqual(await importDenoKv(`${dir}/in.sqlite`, kv), ENTRIES.length + 1 + 1200);
    strictEqual((await kv.get<KvU64>(["counters", "visits"])).value?.value, 41n);
    await kv.atomic().sum(["counters", "visits"], 1n).commit();
    strictEqual(await exportDenoKv(kv, `${dir}/out.sqlite`), ENTRIES.length + 1 + 1200);
    await kv.close();

    const before = await Deno.openKv(`${dir}/in.sqlite`);
    const after = await Deno.openKv(`${dir}/out.sqlite`);
    try {
      const want = await dump(before);
      const got = await dump(after);
      const visits = got.findIndex((e) => Deno.inspect((e as unknown[])[0]).includes("visits"));
      deepStrictEqual(got[visits], [["counters", "visits"], { u64: 42n }]);
      got[visits] = want[visits];
      deepStrictEqual(got, want);
    } finally {
      before.close();
      after.close();
    }
    // The expiry came along: it is in the exported file, within the hour.
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(`${dir}/out.sqlite`, { readOnly: true });
    const rows = db.prepare("SELECT expiration_ms FROM kv WHERE expiration_ms >= 0").all();
    db.close();
    strictEqual(rows.length, 1);
    const left = Number(rows[0]!.expiration_ms) - Date.now();
    ok(left > 3_500_000 && left <= 3_600_000, `expiry ${left} ms away`);
    await Deno.remove(dir, { recursive: true });
  });
}

Deno.test("deno-kv import/export: the CLI commands copy a file into a store and back", async () => {
  const dir = await Deno.makeTempDir();
  await nativeWithEntries(`${dir}/in.sqlite`);
  const cli = async (...args: string[]) => {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", "cli.ts", ...args],
      cwd: new URL("../../", import.meta.url).pathname,
      stdin: "null",
    }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
    return { code: r.code, out: text(r.stdout), err: text(r.stderr) };
  };
  const n = ENTRIES.length + 1201;
  deepStrictEqual(
    await cli("import-denokv", `${dir}/in.sqlite`, `${dir}/app.oxi`, "--kind", "lsm"),
    {
      code: 0,
      out: `imported ${n} entries from ${dir}/in.sqlite into ${dir}/app.oxi`,
      err: "",
    },
  );
  deepStrictEqual(await cli("export-denokv", `${dir}/app.oxi`, `${dir}/back.sqlite`), {
    code: 0,
    out: `exported ${n} entries from ${dir}/app.oxi into ${dir}/back.sqlite`,
    err: "",
  });
  const back = await Deno.openKv(`${dir}/back.sqlite`);
  strictEqual((await Array.fromAsync(back.list({ prefix: [] }))).length, n);
  back.close();
  const missing = await cli("import-denokv", `${dir}/missing.sqlite`, `${dir}/x.oxi`);
  strictEqual(missing.code, 1);
  ok(missing.err.includes("NotFound") && missing.err.includes("missing.sqlite"), missing.err);
  ok(!(await Deno.lstat(`${dir}/x.oxi`).then(() => true, () => false)), "nothing created");
  const usage = await cli("import-denokv", `${dir}/in.sqlite`);
  strictEqual(usage.code, 2);
  ok(usage.err.includes("usage: oxistore import-denokv"), usage.err);
  const badKind = await cli("import-denokv", `${dir}/in.sqlite`, `${dir}/y.oxi`, "--kind", "nope");
  strictEqual(badKind.code, 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno-kv export: a value over Deno KV's 64 KiB fails with CapacityExceeded naming the key", async () => {
  await using kv = await openKv();
  await kv.set(["huge", 1], new Uint8Array(100_000));
  const native = await Deno.openKv(":memory:");
  try {
    await rejects(
      () => exportDenoKv(kv, native),
      (e: unknown) =>
        e instanceof StoreError && e.kind === "CapacityExceeded" && e.message.includes('"huge"'),
    );
  } finally {
    native.close();
  }
});
