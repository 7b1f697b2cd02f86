// The blob conformance suite against the local store, with and without its list cache.
import { LocalBlobStore } from "../../blob/local_blob_store.ts";
import { runBlobConformance } from "./suite.ts";

const skip = {
  "file-and-dir": "each key is a plain file <root>/<key>, so a key cannot also be a directory " +
    "of keys (local_files_test.ts checks the Unsupported error instead)",
};

for (
  const [name, opts] of [["local", {}], ["local (no list cache)", { listCacheEntries: 0 }]] as const
) {
  runBlobConformance({
    name,
    async open() {
      const root = await Deno.makeTempDir({ prefix: "oxiblob-" });
      return {
        store: await LocalBlobStore.open(root, opts),
        cleanup: () => Deno.remove(root, { recursive: true }),
      };
    },
    skip,
  });
}
