// Child process for crash tests: writes self-verifying blobs in a loop, through
// every write path, until it is killed. Usage: _crash_child.ts <root> <seed>
import { LocalBlobStore } from "../../blob/local_blob_store.ts";
import { pseudoRandom } from "./suite.ts";

const [root, seedArg] = Deno.args;
const store = await LocalBlobStore.open(root!);
let seed = Number(seedArg) * 100_000;

/** 4-byte seed + 4-byte length + pseudo-random body: checkable on its own. */
function payload(s: number): Uint8Array {
  const len = 1 + (s * 7919) % (4 * 1024 * 1024);
  const out = new Uint8Array(8 + len);
  const view = new DataView(out.buffer);
  view.setUint32(0, s);
  view.setUint32(4, len);
  out.set(pseudoRandom(len, s), 8);
  return out;
}

console.log("ready");
for (let i = 0;; i++) {
  const s = ++seed;
  const key = `k/${s % 13}/${s % 5}`;
  const data = payload(s);
  // Metadata names the payload it belongs to: a reader can tell a mismatched pair.
  const opts = { metadata: { seed: String(s) } };
  // Tells the parent an operation is starting, so the kill lands mid-write.
  console.log(`op ${i}`);
  switch (i % 5) {
    case 0:
      await store.put(key, data, opts);
      break;
    case 1: {
      const up = await store.startUpload(key, opts);
      for (let at = 0; at < data.length; at += 100_000) {
        await up.write(data.subarray(at, at + 100_000));
      }
      await up.complete();
      break;
    }
    case 2:
      await store.putIfAbsent(`once/${s}`, data, opts).catch(() => {});
      break;
    case 3:
      await store.put(`tmp/${s}`, data, opts);
      await store.rename(`tmp/${s}`, key);
      break;
    case 4:
      await store.copy(key, `copy/${s % 7}`).catch(() => {});
      await store.putCas(data);
      break;
  }
}
