// Importing mod.ts must load no engine, layer, blob or columnar code and no
// npm package, and must need no permissions (so it loads on Deno Deploy).
function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

interface InfoDep {
  specifier: string;
  code?: { specifier: string };
  isDynamic?: boolean;
}
interface InfoModule {
  specifier: string;
  dependencies?: InfoDep[];
}

const modUrl = new URL("../../mod.ts", import.meta.url).href;

Deno.test("facade: importing mod.ts statically loads only core code", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", modUrl],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
  const byUrl = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>([modUrl]);
  const queue = [modUrl];
  let dynamic = 0;
  while (queue.length > 0) {
    const m = byUrl.get(queue.pop()!);
    for (const dep of m?.dependencies ?? []) {
      if (dep.isDynamic) {
        dynamic++;
        continue;
      }
      const target = dep.code?.specifier; // type-only imports have no code edge
      if (target && !seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  const root = new URL("../../", import.meta.url).href;
  const loaded = [...seen].map((u) => u.startsWith(root) ? u.slice(root.length) : u);
  const outside = loaded.filter((p) => !(p === "mod.ts" || p.startsWith("core/")));
  assert(outside.length === 0, `mod.ts loads more than core eagerly: ${outside.join(", ")}`);
  assert(dynamic >= 3, "engines are reached through dynamic imports");
});

Deno.test("facade: mod.ts imports and answers with no permissions at all", async () => {
  const code = `import { STORE_KINDS, prefixUpperBound } from "${modUrl}";
console.log(STORE_KINDS[0], new TextDecoder().decode(prefixUpperBound("foo")));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", "--no-prompt", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert(out.success && text === "btree fop", text + new TextDecoder().decode(out.stderr));
});
