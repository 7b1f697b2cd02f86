import { main } from "../../cli.ts";
import { openWith } from "../../mod.ts";

function assertEquals<T>(actual: T, expected: T, msg = ""): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${msg} expected ${e}, got ${a}`);
}

async function cli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

Deno.test("cli: put, get, scan, stat and detect on a Deno KV store", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/s.sqlite`;
  try {
    assertEquals((await cli("put", path, "a", "1", "--kind", "denokv")).code, 0);
    assertEquals((await cli("put", path, "b", "2")).code, 0);
    assertEquals((await cli("get", path, "a")).out, ["1"]);
    assertEquals((await cli("scan", path)).out, ["a\t1", "b\t2"]);
    assertEquals((await cli("scan", path, "--reverse", "--limit", "1")).out, ["b\t2"]);
    assertEquals((await cli("detect", path)).out, ["denokv"]);
    const stat = await cli("stat", path);
    assertEquals(stat.out.includes("keys: 2"), true, "stat counts keys");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: backup, restore and migrate round-trip the data", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const src = `${dir}/a.sqlite`;
    {
      await using s = await openWith("denokv", src);
      await s.batchWrite([["x", "1"], ["y", "2"]]);
      await s.putWithTtl("t", "3", 60_000);
    }
    assertEquals((await cli("backup", src, `${dir}/a.bak`)).code, 0);
    assertEquals(
      (await cli("restore", `${dir}/a.bak`, `${dir}/b.sqlite`, "--kind", "denokv")).code,
      0,
    );
    assertEquals((await cli("scan", `${dir}/b.sqlite`)).out, ["t\t3", "x\t1", "y\t2"]);
    assertEquals((await cli("migrate", src, `${dir}/c.sqlite`, "--to", "denokv")).code, 0);
    await using c = await openWith("denokv", `${dir}/c.sqlite`);
    assertEquals(await c.count(), 3);
    assertEquals((await c.ttl("t"))! > 0, true, "migrate keeps TTLs");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: bad input gives one clear line and a non-zero exit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const unknown = await cli("frobnicate");
    assertEquals(unknown.code, 2);
    assertEquals(unknown.err.length, 1);
    const missing = await cli("get", `${dir}/nothing`, "k");
    assertEquals(missing.code, 1);
    assertEquals(missing.err[0]!.startsWith("oxistore: NotFound:"), true, missing.err[0]);
    await Deno.writeTextFile(`${dir}/junk`, "not a store at all");
    const junk = await cli("stat", `${dir}/junk`);
    assertEquals(junk.code, 1);
    assertEquals(junk.err[0]!.includes("Corruption"), true, junk.err[0]);
    assertEquals((await cli("scan", `${dir}/junk`, "--limit", "-3")).code, 2);
    assertEquals((await cli("put", `${dir}/x`, "k")).code, 2);
    assertEquals((await cli("put", `${dir}/x`, "k", "v", "--kind", "nope")).code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
