import assert from "node:assert/strict";
import { join } from "node:path";
import { LocalBlobStore } from "../../blob/local_blob_store.ts";
import { sha256 } from "../../blob/digest.ts";
import { pseudoRandom } from "./suite.ts";

const CHILD = new URL("./_crash_child.ts", import.meta.url).pathname;

function spawnWriter(root: string, seed: number): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", CHILD, root, String(seed)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Waits until the child has started `ops` operations (it prints a line per op). */
async function waitOps(child: Deno.ChildProcess, ops: number): Promise<void> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = 0;
  while (seen < ops) {
    const { value, done } = await reader.read();
    if (done) throw new Error("writer exited early");
    seen += value.split("\n").filter((l) => l.startsWith("op ")).length;
  }
  reader.releaseLock();
}

function checkPayload(key: string, data: Uint8Array): void {
  assert.ok(data.length >= 8, `${key}: shorter than its header`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const seed = view.getUint32(0);
  const len = view.getUint32(4);
  assert.equal(data.length, 8 + len, `${key}: torn (length ${data.length}, expected ${8 + len})`);
  assert.deepEqual(data.subarray(8), pseudoRandom(len, seed), `${key}: content mixed up`);
}

Deno.test({
  name:
    "local crash: SIGKILL mid-write (25 times) never leaves a torn blob, a blob with metadata of other content, or temp files",
  sanitizeResources: false,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "oxiblob-crash-" });
    try {
      for (let round = 1; round <= 25; round++) {
        const child = spawnWriter(root, round);
        // Kill right after an operation starts: mostly in the middle of a write,
        // each round at a different operation kind.
        await waitOps(child, 1 + (round * 3) % 11);
        await new Promise((r) => setTimeout(r, round % 5));
        child.kill("SIGKILL");
        const status = await child.status;
        await child.stdout.cancel().catch(() => {});
        const err = await new Response(child.stderr).text();
        assert.equal(status.signal, "SIGKILL", `writer died on its own: ${err}`);
      }
      const before: string[] = [];
      for await (const e of Deno.readDir(join(root, ".oxistore", "tmp"))) before.push(e.name);
      assert.ok(before.some((n) => n.endsWith(".lock")), "the killed writer left no session");
      const store = await LocalBlobStore.open(root);
      let checked = 0;
      let cursor: string | undefined;
      do {
        const page = await store.list(undefined, cursor ? { cursor } : {});
        for (const meta of page.items) {
          const data = await store.get(meta.key);
          assert.equal(sha256(data).hex, meta.digest, `${meta.key}: digest mismatch`);
          if (meta.key.startsWith("cas/")) assert.ok(sha256(data).equals(meta.key.slice(-64)));
          checkPayload(meta.key, data);
          // The plain file is the blob, and its metadata belongs to this very content.
          assert.deepEqual(await Deno.readFile(join(root, meta.key)), data);
          const seed = new DataView(data.buffer, data.byteOffset).getUint32(0);
          if (!meta.key.startsWith("cas/")) {
            assert.equal(
              meta.metadata.seed,
              String(seed),
              `${meta.key}: metadata of other content`,
            );
            assert.equal((await store.head(meta.key)).metadata.seed, String(seed));
          }
          checked++;
        }
        cursor = page.cursor;
      } while (cursor);
      assert.ok(checked >= 10, `only ${checked} blobs were written`);
      // Only the open store's own (empty) session remains in ~tmp.
      const tmp: string[] = [];
      for await (const e of Deno.readDir(join(root, ".oxistore", "tmp"))) tmp.push(e.name);
      assert.equal(tmp.length, 2, `leftovers: ${tmp.join(", ")}`);
      for (const name of tmp.filter((n) => !n.endsWith(".lock"))) {
        const inside = [];
        for await (const e of Deno.readDir(join(root, ".oxistore", "tmp", name))) {
          inside.push(e.name);
        }
        assert.deepEqual(inside, []);
      }
      await store.close();
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
