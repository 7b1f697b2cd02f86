// The README's "Coming from Deno KV" example runs as written (in an empty directory, as a
// user's script importing the published specifier) and prints what its comment says.
import { strictEqual } from "node:assert/strict";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("README: the Coming from Deno KV example runs and prints true", async () => {
  const readme = await Deno.readTextFile(`${root}README.md`);
  const start = readme.indexOf("## Coming from Deno KV");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
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
    strictEqual(new TextDecoder().decode(r.stdout), "true\n");
    // It made the store the comment names.
    strictEqual((await Deno.stat(`${dir}/app.oxi`)).isFile, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
