// The README's `deno serve --parallel` counter service, run as written with
// two isolates on one B-tree store: concurrent increments, none lost.
import { deepStrictEqual, equal, ok } from "node:assert/strict";

const SERVICE = new URL("../../examples/counter_service.ts", import.meta.url).pathname;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("examples/counter_service.ts under deno serve --parallel (2 isolates): no increment is lost", async () => {
  const dir = await Deno.makeTempDir({ prefix: "oxi-serve-" });
  const port = freePort();
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "serve",
      "--parallel",
      "-A",
      "--no-check",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      SERVICE,
    ],
    env: { DENO_JOBS: "2", COUNTER_STORE: `${dir}/counter.oxi` },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const base = `http://127.0.0.1:${port}`;
  const logs = new Response(server.stderr).text();
  const out = new Response(server.stdout).text();
  try {
    for (let i = 0;; i++) {
      const ready = await fetch(base).then((r) => r.text(), () => undefined);
      if (ready === "0") break;
      ok(i < 300, "the service did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
    const N = 200;
    const answers: number[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < N) {
        next++;
        const r = await fetch(`${base}/increment`, { method: "POST" });
        equal(r.status, 200);
        answers.push(Number(await r.text()));
      }
    }));
    equal(answers.length, N);
    deepStrictEqual(answers.sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i + 1));
    equal(await (await fetch(base)).text(), String(N));
  } finally {
    server.kill("SIGTERM");
    await server.status;
    const text = (await logs) + (await out);
    // deno serve says how many isolates it started.
    ok(text.includes("with 2 threads"), text);
    await Deno.remove(dir, { recursive: true });
  }
});
