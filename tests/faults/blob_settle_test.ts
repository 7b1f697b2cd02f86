// A read that settles a key after its put failed at the content directory's
// fsync (the put reported Io; its rename may not be durable). The settle
// makes that rename durable before the new sidecar replaces the old one; a
// later write that fsyncs the metadata directory (any key in it) then cannot
// leave the old content paired with the new sidecar. A power cut right there
// must show the key's old blob or its new one, each with its own metadata.
import { LocalBlobStore, type LocalFs } from "../../blob/local_blob_store.ts";
import { assert, assertEquals, assertRejectsKind } from "../_support/assert.ts";
import { PowerCut, SimDisk } from "./sim_disk.ts";
import { mirroredFs, rebootTo } from "./sim_local_fs.ts";

const dec = new TextDecoder();

Deno.test("faults: a key settled after a failed content fsync survives a later power cut", async () => {
  const base = Deno.makeTempDirSync({ prefix: "oxistore-faults-" });
  const root = `${base}/blobs`;
  try {
    const disk = new SimDisk(base);
    const fs = mirroredFs(disk);
    // The store's own directory (where "k" and "k2" live) fails its next fsync, or cuts the power.
    let next: "fail" | "cut" | undefined;
    const failing: LocalFs = {
      ...fs,
      syncDir(path) {
        if (path === root && next === "fail") {
          next = undefined;
          return Promise.reject(new Error("Input/output error (os error 5) (simulated)"));
        }
        if (path === root && next === "cut") {
          disk.cut();
          return Promise.reject(new PowerCut());
        }
        return fs.syncDir(path);
      },
    };
    const store = await LocalBlobStore.open(root, { fs: failing });
    await store.put("k", new TextEncoder().encode("version one"), { metadata: { rev: "1" } });
    next = "fail";
    await assertRejectsKind(
      () => store.put("k", new TextEncoder().encode("version two!"), { metadata: { rev: "2" } }),
      "Io",
    );
    // The read settles the key (the failed put's content may or may not be there).
    const seen = dec.decode(await store.get("k"));
    assert(seen === "version one" || seen === "version two!", `read ${seen}`);
    next = "cut";
    // Its step 1 fsyncs the metadata directory (making the settle durable); the cut comes
    // at its content directory's fsync.
    await store.put("k2", new TextEncoder().encode("other")).catch(() => {});
    await store.close().catch(() => {});
    assert(disk.dead, "the power was cut");
    rebootTo(disk, root);
    const reopened = await LocalBlobStore.open(root, { fs: mirroredFs(disk) });
    try {
      const text = dec.decode(await reopened.get("k"));
      const meta = await reopened.head("k");
      const want = text === "version one" ? "1" : "2";
      assertEquals(meta.metadata, { rev: want }, `"k" reads ${JSON.stringify(text)}`);
    } finally {
      await reopened.close();
    }
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});
