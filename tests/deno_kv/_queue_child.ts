// Child process of queue_test.ts: enqueues one message, claims it with a short lease and
// hangs in the handler until the parent kills it.
import { openKv } from "@cooljapan/oxistore/deno-kv";
import type { StoreKind } from "@cooljapan/oxistore";

const [path, kind] = Deno.args as [string, StoreKind];
const kv = await openKv(path, { kind, queueLeaseMs: 200 });
await kv.enqueue("job");
kv.listenQueue(async () => {
  await Deno.stdout.write(new TextEncoder().encode("in handler\n"));
  await new Promise(() => {}); // never finishes
});
