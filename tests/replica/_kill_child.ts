// Child of the replica kill test: commits forever while replicating to a
// local blob directory, printing "flushed <n>" each time flush() resolved
// for commit n. The parent SIGKILLs it at a random moment.
import { openWith, type StoreKind } from "@cooljapan/oxistore";
import { LocalBlobStore } from "@cooljapan/oxistore/blob";
import { replicate } from "@cooljapan/oxistore/replica";

const [kind, path, root] = Deno.args as [StoreKind, string, string];
const store = await openWith(kind, path);
const rep = await replicate(store, { store: new LocalBlobStore(root), prefix: "r" }, {
  intervalMs: 5,
});
const out = Deno.stdout.writable.getWriter();
await out.write(new TextEncoder().encode("ready\n"));
for (let i = 1;; i++) {
  await store.batchWrite([[`k${i % 40}`, `v${i}`], ["n", String(i)]]);
  if (i % 7 === 0) {
    await rep.flush();
    await out.write(new TextEncoder().encode(`flushed ${i}\n`));
  }
}
