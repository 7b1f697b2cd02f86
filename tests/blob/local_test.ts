import { LocalBlobStore } from "../../blob/local_blob_store.ts";
import { runBlobSuite } from "./suite.ts";

runBlobSuite("local", async () => {
  const root = await Deno.makeTempDir({ prefix: "oxiblob-" });
  return {
    store: await LocalBlobStore.open(root),
    cleanup: () => Deno.remove(root, { recursive: true }),
  };
});

runBlobSuite("local (no list cache)", async () => {
  const root = await Deno.makeTempDir({ prefix: "oxiblob-" });
  return {
    store: await LocalBlobStore.open(root, { listCacheEntries: 0 }),
    cleanup: () => Deno.remove(root, { recursive: true }),
  };
});
