// The README's command-line lines run as written, in order, in an empty
// directory: `npx deno task cli …` and the JSR line both run this checkout's
// cli.ts (JSR itself is out of reach here).
import { eq, yes } from "../conformance/_helpers.ts";

const root = new URL("../../", import.meta.url).pathname;
const readme = await Deno.readTextFile(`${root}README.md`);

function commandLines(): string[] {
  const start = readme.indexOf("## Command line");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.split("\n")).map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l !== "");
}

const PREFIXES = ["npx deno task cli ", "deno run -A --unstable-kv jsr:@cooljapan/oxistore/cli "];

Deno.test("README: every command-line line runs and succeeds", async () => {
  const lines = commandLines();
  yes(lines.length >= 9, `the README shows the commands (${lines.length} lines)`);
  const dir = await Deno.makeTempDir({ prefix: "oxistore-readme-cli-" });
  try {
    const outputs = new Map<string, string>();
    for (const line of lines) {
      const prefix = PREFIXES.find((p) => line.startsWith(p));
      yes(prefix, `a line the test knows how to run: ${line}`);
      // The README's lines contain no quotes, so splitting on spaces is the shell's split.
      const args = line.slice(prefix.length).split(/\s+/);
      const r = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--unstable-kv",
          "--config",
          `${root}deno.json`,
          `${root}cli.ts`,
          ...args,
        ],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(r.stderr);
      eq(r.code, 0, `${line}: ${err}`);
      outputs.set(args.slice(0, 2).join(" "), new TextDecoder().decode(r.stdout));
    }
    eq(outputs.get("get ./data.oxi"), "ada\n");
    eq(outputs.get("scan ./data.oxi"), "user/1\tada\n");
    yes(outputs.get("stat ./data.oxi")?.includes("keys: 2"), "stat counts both keys");
    eq(outputs.get("detect ./copy.sqlite"), "denokv\n");
    yes(outputs.get("--help")?.startsWith("usage: oxistore"), "the JSR line prints the usage");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
