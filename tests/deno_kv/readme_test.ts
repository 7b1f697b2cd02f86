// The README's "Coming from Deno KV" example runs as written (in an empty directory, as a
// user's script importing the published specifier) and leaves the store it describes.
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { KvU64, openKv } from "@cooljapan/oxistore/deno-kv";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("README: the Coming from Deno KV example runs and commits its atomic operation", async () => {
  const readme = await Deno.readTextFile(`${root}README.md`);
  const start = readme.indexOf("## Coming from Deno KV");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
  // `ts ignore`: deno test --doc would run it in the repository; this test runs it in a temp dir.
  const code = /```ts(?: ignore)?\n([\s\S]*?)```/.exec(section)?.[1];
  if (code === undefined) throw new Error("the section has no ts block");
  const dir = await Deno.makeTempDir({ prefix: "oxistore-readme-denokv-" });
  try {
    await Deno.writeTextFile(`${dir}/main.ts`, code);
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--unstable-kv", "--config", `${root}deno.json`, `${dir}/main.ts`],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    strictEqual(r.code, 0, new TextDecoder().decode(r.stderr));
    // It made the store the comment names, with the commit's two mutations.
    strictEqual((await Deno.stat(`${dir}/app.oxi`)).isFile, true);
    await using kv = await openKv(`${dir}/app.oxi`);
    deepStrictEqual((await kv.get(["users", 1])).value, { name: "Ada" });
    deepStrictEqual((await kv.get(["stats", "renames"])).value, new KvU64(1n));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
