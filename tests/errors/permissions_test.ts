// Without file permissions (as on Deno Deploy), opening a store on disk fails
// the same way on every engine: `Unsupported`, the message naming the Deno
// flag that is missing. Each case runs a child `deno run --no-prompt` with
// only the permissions it names.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { openWith, type StoreKind } from "@cooljapan/oxistore";

const child = new URL("_permission_child.ts", import.meta.url).pathname;
const kinds: StoreKind[] = ["btree", "lsm", "denokv"];

interface Outcome {
  ok?: boolean;
  kind?: string;
  message?: string;
  cause?: string;
}

async function attempt(call: string, kind: StoreKind, path: string, perms: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--unstable-kv", ...perms, child, call, kind, path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  strictEqual(out.code, 0, `child failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(text) as Outcome;
}

function expectMissing(o: Outcome, flag: string, path: string, what: string): void {
  strictEqual(o.kind, "Unsupported", `${what}: ${JSON.stringify(o)}`);
  ok(o.message?.includes(flag), `${what}: the message names ${flag}: ${o.message}`);
  ok(o.message?.includes(path), `${what}: the message names the path: ${o.message}`);
  strictEqual(o.cause, "NotCapable", `${what}: Deno's error is the cause`);
}

for (const kind of kinds) {
  Deno.test(`permissions: ${kind}: with no permissions, opening is Unsupported naming --allow-read`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `oxi-perm-${kind}-` });
    try {
      const path = `${dir}/store`;
      for (const call of ["openWith", "open", "openReadOnly"]) {
        expectMissing(await attempt(call, kind, path, []), "--allow-read", path, `${kind} ${call}`);
      }
      // Nothing was created by the failed attempts.
      deepStrictEqual([...Deno.readDirSync(dir)], []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`permissions: ${kind}: with --allow-read only, opening for writes is Unsupported naming --allow-write`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `oxi-perm-${kind}-` });
    try {
      const fresh = `${dir}/fresh`;
      expectMissing(
        await attempt("openWith", kind, fresh, ["--allow-read"]),
        "--allow-write",
        fresh,
        `${kind} openWith (new store)`,
      );
      const existing = `${dir}/existing`;
      const store = await openWith(kind, existing);
      await store.put("a", "1");
      await store.close();
      expectMissing(
        await attempt("openWith", kind, existing, ["--allow-read"]),
        "--allow-write",
        existing,
        `${kind} openWith (existing store)`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
