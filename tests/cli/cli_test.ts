// The CLI as a user runs it: `deno run -A cli.ts …` in a subprocess, on every
// engine, checking exit codes, stdout and stderr.
import { openReadOnly, openWith, STORE_KINDS, type StoreKind } from "@cooljapan/oxistore";
import { main } from "@cooljapan/oxistore/cli";
import meta from "../../deno.json" with { type: "json" };
import { eq, yes } from "../conformance/_helpers.ts";
import { withTempDir } from "../_support/temp_dir.ts";

const root = new URL("../../", import.meta.url).pathname;
const decoder = new TextDecoder();

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(args: string[], flags: string[] = []): Promise<Run> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...flags, "cli.ts", ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  return { code: r.code, out: decoder.decode(r.stdout), err: decoder.decode(r.stderr) };
}

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}

/** Exit 0; returns stdout's lines. */
async function ok(...args: string[]): Promise<string[]> {
  const r = await cli(args);
  eq(r.code, 0, `oxistore ${args.join(" ")}: exit code (stderr: ${r.err})`);
  return lines(r.out);
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

const name: Record<StoreKind, string> = { btree: "db.oxi", lsm: "db.lsm", denokv: "db.sqlite" };

for (const kind of STORE_KINDS) {
  Deno.test(`cli × ${kind}: put (creates, --ttl, --tree), get, scan, stat, detect`, async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/${name[kind]}`;
      eq(await ok("put", path, "user/1", "ada", `--kind=${kind}`), [], "put prints nothing");
      await ok("put", path, "user/2", "bob"); // an existing store of any engine: no --kind
      await ok("put", path, "user/3", "cy", "--kind", kind);
      await ok("put", path, "zz", "last");
      await ok("put", path, "session", "s", "--ttl", "60000");
      await ok("put", path, "ada", "admin", "--tree=roles");
      const other = STORE_KINDS.find((k) => k !== kind)!;
      const clash = await cli(["put", path, "k", "v", "--kind", other]);
      eq(clash.code, 1, "put --kind of another engine into an existing store fails");
      yes(clash.err.includes(`is a ${kind} store`), clash.err);

      {
        await using store = await openReadOnly(path);
        eq(store.kind, kind);
        const ttl = await store.ttl("session");
        yes(ttl !== undefined && ttl > 30_000 && ttl <= 60_000, `put --ttl set a TTL (${ttl})`);
        eq(await store.ttl("user/1"), undefined, "a plain put has no TTL");
      }

      eq(await ok("get", path, "user/2"), ["bob"]);
      eq(await ok("get", path, "ada", "--tree", "roles"), ["admin"]);
      const absent = await cli(["get", path, "nope"]);
      eq(absent.code, 1, "get of an absent key exits 1");
      eq(absent.out, "");
      yes(absent.err.includes('no key "nope"') && absent.err.includes(path), absent.err);

      eq(await ok("scan", path), [
        "session\ts",
        "user/1\tada",
        "user/2\tbob",
        "user/3\tcy",
        "zz\tlast",
      ]);
      eq(await ok("scan", path, "--prefix=user/"), ["user/1\tada", "user/2\tbob", "user/3\tcy"]);
      eq(await ok("scan", path, "--prefix", "user/", "--limit", "2"), [
        "user/1\tada",
        "user/2\tbob",
      ]);
      eq(await ok("scan", path, "--limit=1", "--reverse"), ["zz\tlast"]);
      eq(await ok("scan", path, "--start", "user/2", "--end=zz"), ["user/2\tbob", "user/3\tcy"]);
      eq(await ok("scan", path, "--limit", "0"), []);
      eq(await ok("scan", path, "--tree", "roles"), ["ada\tadmin"]);

      const stat = await ok("stat", path);
      eq(stat[0], `path: ${path}`);
      eq(stat[1], `kind: ${kind}`);
      eq(stat[2], "keys: 6", "stat counts every tree's live keys");
      yes(/^bytes on disk: \d+$/.test(stat[3]!), stat[3]!);
      eq(await ok("detect", path), [kind]);

      await ok("put", path, "brief", "x", "--ttl", "1");
      await new Promise((r) => setTimeout(r, 20));
      eq((await cli(["get", path, "brief"])).code, 1, "a key put with --ttl 1 has expired");
    });
  });

  Deno.test(`cli × ${kind}: backup, restore --kind into every engine, migrate --to every engine`, async () => {
    await withTempDir(async (dir) => {
      const src = `${dir}/src-${name[kind]}`;
      {
        await using s = await openWith(kind, src);
        await s.batchWrite([["a", "1"], ["b", "2"]]);
        await s.tree("t").put("k", "tree");
        await s.putWithTtl("ttl", "x", 60_000);
      }
      const bak = `${dir}/src.bak`;
      const backup = await cli(["backup", src, bak]);
      eq(backup.code, 0, backup.err);
      eq(backup.out, "", "progress and summaries go to stderr");
      eq(lines(backup.err).length, 1, `one summary line when stderr is no terminal: ${backup.err}`);
      yes(
        /^backup of .* written to .*: 4 keys, \d+ B, .*s elapsed$/.test(backup.err.trim()),
        backup.err,
      );
      for (const to of STORE_KINDS) {
        const restored = `${dir}/restored-${name[to]}`;
        const r = await cli(["restore", bak, restored, "--kind", to]);
        eq(r.code, 0, r.err);
        yes(/restored from .*: 4 keys/.test(r.err), r.err);
        eq(await ok("detect", restored), [to]);
        eq((await ok("stat", restored))[2], "keys: 4");
        eq(await ok("get", restored, "k", "--tree", "t"), ["tree"]);

        const migrated = `${dir}/migrated-${name[to]}`;
        const m = await cli(["migrate", src, migrated, `--to=${to}`]);
        eq(m.code, 0, m.err);
        yes(/^migrated .* into .*: 4 keys, .*s elapsed$/.test(m.err.trim()), m.err);
        eq(await ok("scan", migrated), ["a\t1", "b\t2", "ttl\tx"]);
        eq(await ok("scan", migrated, "--tree=t"), ["k\ttree"], "migrate copies named trees");
        await using d = await openReadOnly(migrated);
        eq(d.kind, to);
        const ttl = await d.ttl("ttl");
        yes(ttl !== undefined && ttl > 30_000, `migrate keeps TTLs (${ttl})`);
      }
    });
  });

  Deno.test(`cli × ${kind}: a failed restore or put leaves nothing new behind`, async () => {
    await withTempDir(async (dir) => {
      const junk = `${dir}/junk.bak`;
      await Deno.writeTextFile(junk, "not a backup");
      const dst = `${dir}/new-${name[kind]}`;
      const bad = await cli(["restore", junk, dst, "--kind", kind]);
      eq(bad.code, 1, "restore of a junk backup fails");
      yes(bad.err.startsWith("oxistore: Corruption:"), bad.err);
      const missing = await cli(["restore", `${dir}/nope.bak`, dst, "--kind", kind]);
      eq(missing.code, 1);
      yes(missing.err.startsWith("oxistore: NotFound:"), missing.err);
      const tooLong = await cli(["put", dst, "k".repeat(3000), "v", "--kind", kind]);
      eq(tooLong.code, 1, "a key over the limit fails");
      yes(tooLong.err.includes("InvalidInput"), tooLong.err);
      const left = [];
      for await (const e of Deno.readDir(dir)) left.push(e.name);
      eq(left, ["junk.bak"], "no store, temp or sidecar file was left");
      // An existing store keeps its contents after a failed restore.
      await ok("put", dst, "keep", "me", "--kind", kind);
      eq((await cli(["restore", junk, dst])).code, 1);
      eq(await ok("scan", dst), ["keep\tme"]);
    });
  });
}

Deno.test("cli: unknown flags, bad numbers and bad arguments exit 2 with the command's usage", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/db.oxi`;
    await ok("put", path, "k", "v");
    const cases: [string[], string][] = [
      [["scan", path, "--limt", "3"], "--limt"],
      [["scan", path, "--limit", "abc"], "--limit"],
      [["scan", path, "--limit", "-3"], "--limit"],
      [["scan", path, "--limit=1.5"], "--limit"],
      [["scan", path, "--prefix", "a", "--start", "b"], "--prefix"],
      [["put", path, "k", "v", "--ttl", "0"], "--ttl"],
      [["put", path, "k", "v", "--ttl", "soon"], "--ttl"],
      [["put", path, "k", "v", "--kind", "nope"], "nope"],
      [["put", path, "k"], "<value>"],
      [["get", path, "k", "extra"], "extra"],
      [["migrate", path, `${dir}/x.oxi`, "--to"], "--to"],
      [["stat"], "<path>"],
    ];
    for (const [args, mention] of cases) {
      const r = await cli(args);
      eq(r.code, 2, `oxistore ${args.join(" ")} exits 2`);
      eq(r.out, "", "nothing on stdout");
      const [first, usage] = lines(r.err);
      yes(first!.startsWith(`oxistore ${args[0]}: `) && first!.includes(mention), r.err);
      yes(
        usage!.startsWith(`usage: oxistore ${args[0]} `),
        `the command's usage follows: ${r.err}`,
      );
    }
    const unknown = await cli(["frobnicate"]);
    eq(unknown.code, 2);
    yes(unknown.err.includes('unknown command "frobnicate"'), unknown.err);
    yes(unknown.err.includes("usage: oxistore <command>"), unknown.err);
    eq((await cli(["--frob"])).code, 2);
    eq(await exists(`${dir}/x.oxi`), false, "a usage error creates nothing");
  });
});

Deno.test("cli: --help, -h, help <command> and --version", async () => {
  for (const args of [[], ["--help"], ["-h"], ["help"]]) {
    const r = await cli(args);
    eq(r.code, 0, `oxistore ${args.join(" ")}`);
    yes(r.out.startsWith("usage: oxistore <command>"), r.out);
    for (const c of ["stat", "get", "put", "scan", "detect", "backup", "restore", "migrate"]) {
      yes(r.out.includes(`\n  ${c} `), `global help lists ${c}`);
    }
  }
  for (const args of [["scan", "--help"], ["scan", "-h"], ["help", "scan"], ["scan", "x", "-h"]]) {
    const r = await cli(args);
    eq(r.code, 0, `oxistore ${args.join(" ")}`);
    yes(r.out.startsWith("usage: oxistore scan <path> [options]"), r.out);
    yes(r.out.includes("--limit <n>") && r.out.includes("--prefix <p>"), r.out);
  }
  const put = await ok("put", "--help");
  yes(put.some((l) => l.includes("--ttl <ms>")), put.join("\n"));
  for (const flag of ["--version", "-V"]) {
    eq(await ok(flag), [`oxistore ${meta.version}`]);
  }
});

Deno.test("cli: a Deno KV store without the kv flag explains --unstable-kv", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/db.sqlite`;
    await ok("put", path, "k", "v", "--kind", "denokv");
    // --no-config drops deno.json's "unstable": ["kv"], as a run from JSR has none.
    const r = await cli(["stat", path], ["--no-config"]);
    eq(r.code, 1, r.err);
    yes(r.err.includes("Unsupported"), r.err);
    yes(r.err.includes("deno run -A --unstable-kv jsr:@cooljapan/oxistore/cli stat"), r.err);
  });
});

Deno.test("cli: progress lines on a terminal carry keys, bytes, rate and elapsed time", async () => {
  await withTempDir(async (dir) => {
    const src = `${dir}/src.oxi`;
    {
      await using s = await openWith("btree", src);
      const pairs: [string, string][] = [];
      for (let i = 0; i < 2000; i++) pairs.push([`k${i}`, "v".repeat(100)]);
      await s.batchWrite(pairs);
    }
    const pattern = (what: string) =>
      new RegExp(`^${what}: [\\d,]+ keys?, [\\d.]+ \\w+, [\\d,]+ keys/s, .*/s, [\\d.]+ s elapsed$`);
    const runs: [string, string[]][] = [
      ["migrate", ["migrate", src, `${dir}/dst.lsm`, "--to", "lsm"]],
      ["backup", ["backup", src, `${dir}/src.bak`]],
      ["restore", ["restore", `${dir}/src.bak`, `${dir}/restored.sqlite`, "--kind", "denokv"]],
    ];
    for (const [what, args] of runs) {
      const status: string[] = [];
      const err: string[] = [];
      const code = await main(args, {
        out: () => {},
        err: (l) => err.push(l),
        status: (l) => status.push(l),
        progressIntervalMs: 0,
      });
      eq(code, 0, err.join("\n"));
      const shown = status.filter((l) => l !== "");
      yes(shown.length >= 1, `${what}: status lines while it runs`);
      yes(shown.every((l) => pattern(what).test(l)), shown.join("\n"));
      eq(status.at(-1), "", `${what}: the status line is cleared at the end`);
      eq(err.length, 1, `${what}: one summary line`);
      yes(err[0]!.includes("2,000 keys"), err[0]!);
    }
  });
});
