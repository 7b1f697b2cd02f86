import { LocalBlobStore } from "../../blob/local_blob_store.ts";
import { runBlobSuite } from "./suite.ts";

runBlobSuite("local", async () => {
  const root = await Deno.makeTempDir({ prefix: "oxiblob-" });
  return {
    store: await LocalBlobStore.open(root),
    cleanup: () => Deno.remove(root, { recursive: true }),
  };
});
