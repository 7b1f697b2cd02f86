// Child of the follower test: another "machine" (its own process, reading
// the replica's blob directory only) follows the replica and checks, at each
// sample, that what it serves is the primary's state after one whole commit.
import { isDeepStrictEqual } from "node:util";
import { LocalBlobStore } from "@cooljapan/oxistore/blob";
import { openReplica } from "@cooljapan/oxistore/replica";
import { contents } from "./_helpers.ts";

const [root, until] = Deno.args as [string, string];
const model = (n: number) => {
  const out: Record<string, string> = {};
  for (let i = 1; i <= n; i++) out[`:k${i % 40}`] = `v${i}`;
  if (n > 0) out[":n"] = String(n);
  return out;
};
const blobs = new LocalBlobStore(root);
const follower = await openReplica({ store: blobs, prefix: "r" }, { pollMs: 20 });
let last = -1;
while (last < Number(until)) {
  const got = await contents(follower);
  const n = Number(got[":n"] ?? 0);
  const whole = isDeepStrictEqual(got, model(n));
  if (n !== last || !whole) console.log(`${n} ${whole ? "whole" : "PARTIAL"}`);
  last = n;
  await new Promise((r) => setTimeout(r, 3));
}
await follower.close();
await blobs.close();
