import { LocalBlobStore } from "../../blob/local_blob_store.ts";
import { runBlobSuite } from "./suite.ts";

const PLAIN_FILES =
  "each key is a plain file <root>/<key>, so a key cannot also be a directory of keys " +
  "(local_files_test.ts checks the Unsupported error instead)";

runBlobSuite("local", async () => {
  const root = await Deno.makeTempDir({ prefix: "oxiblob-" });
  return {
    store: await LocalBlobStore.open(root),
    cleanup: () => Deno.remove(root, { recursive: true }),
  };
}, { skip: { "file-and-dir": PLAIN_FILES } });

runBlobSuite("local (no list cache)", async () => {
  const root = await Deno.makeTempDir({ prefix: "oxiblob-" });
  return {
    store: await LocalBlobStore.open(root, { listCacheEntries: 0 }),
    cleanup: () => Deno.remove(root, { recursive: true }),
  };
}, { skip: { "file-and-dir": PLAIN_FILES } });
