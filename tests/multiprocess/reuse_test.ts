// Space reuse across processes (B-tree pages, LSM tables and logs): a
// snapshot here keeps everything it reads while another process rewrites and
// compacts; a reader process that dies (SIGKILL) holds nothing back.
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { openWith, type StoreKind } from "@cooljapan/oxistore";

const CHURN = new URL("./_churn_child.ts", import.meta.url).pathname;
const dec = new TextDecoder();
const N = 3000;

async function churn(kind: StoreKind, path: string, rounds: number): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", CHURN, "churn", kind, path, String(rounds), String(N)],
  }).output();
  equal(out.code, 0, dec.decode(out.stderr));
  return Number(dec.decode(out.stdout).trim());
}

async function load(kind: StoreKind, path: string): Promise<void> {
  await using store = await openWith(kind, path);
  const pairs: [string, string][] = [];
  for (let i = 0; i < N; i++) pairs.push([`k${i}`, `old-${i}-`.padEnd(100, "o")]);
  await store.batchWrite(pairs);
}

for (const kind of ["btree", "lsm"] as StoreKind[]) {
  Deno.test(`${kind}: a snapshot in one process reads its pages intact while another process rewrites and compacts`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "oxi-mp-reuse-" });
    const path = `${dir}/store`;
    try {
      await load(kind, path);
      await using store = await openWith(kind, path);
      const snap = await store.snapshot();
      await churn(kind, path, 4);
      let n = 0;
      for await (const [k, v] of snap.range()) {
        equal(dec.decode(v), `old-${dec.decode(k).slice(1)}-`.padEnd(100, "o"));
        n++;
      }
      equal(n, N);
      ok(dec.decode(await store.get("k7")).startsWith("new-3-7-"));
      await snap.release();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`${kind}: a reader process killed while it pins a snapshot does not hold back reuse`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "oxi-mp-reuse-" });
    const path = `${dir}/store`;
    try {
      await load(kind, path);
      const baseline = await churn(kind, path, 3);
      const pin = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-check", CHURN, "pin", kind, path, "0", "0"],
        stdout: "piped",
      }).spawn();
      const reader = pin.stdout.pipeThrough(new TextDecoderStream()).getReader();
      equal((await reader.read()).value?.trim(), "pinned");
      pin.kill("SIGKILL");
      await pin.status;
      await reader.cancel();
      // Its slot is recognised as dead: the rewrite compacts down as if it never was.
      const after = await churn(kind, path, 3);
      ok(after <= baseline * 1.25, `store grew from ${baseline} to ${after} bytes`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

const tables = (path: string) =>
  [...Deno.readDirSync(path)].map((e) => e.name).filter((n) => n.endsWith(".sst")).sort();

Deno.test("lsm: tables another process compacted away stay on disk while a snapshot here reads them, and go once it is released", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oxi-mp-reuse-" });
  const path = `${dir}/store`;
  try {
    await load("lsm", path);
    await using store = await openWith("lsm", path);
    await store.compact();
    const old = tables(path);
    ok(old.length > 0);
    const snap = await store.snapshot();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", CHURN, "hold", "lsm", path, "2", String(N)],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    equal((await lines.read()).value?.trim(), "churned");
    // The child compacted every old table away; none is deleted while this snapshot may read it.
    await store.get("k1"); // learns of the child's manifest now
    await new Promise((r) => setTimeout(r, 100)); // the child's timer had its chances to delete
    deepStrictEqual(old.filter((t) => tables(path).includes(t)), old);
    let n = 0;
    for await (const [k, v] of snap.range()) {
      equal(dec.decode(v), `old-${dec.decode(k).slice(1)}-`.padEnd(100, "o"));
      n++;
    }
    equal(n, N);
    ok(dec.decode(await store.get("k7")).startsWith("new-1-7-"));
    await snap.release();
    // Released: the pin moves on, and whoever looks first deletes them.
    for (let i = 0; i < 100 && old.some((t) => tables(path).includes(t)); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    deepStrictEqual(old.filter((t) => tables(path).includes(t)), []);
    await child.stdin.close();
    await lines.cancel();
    equal((await child.status).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
