// The simulated disk itself: what survives a power cut, how writes tear, and
// what a failed fsync does. The crash and fault tests are only as good as this.
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { syncDir } from "../../core/_fs_calls.ts";
import { PowerCut, SECTOR, SimDisk } from "./sim_disk.ts";

const BASE = "/sim";

function fill(n: number, byte: number): Uint8Array {
  return new Uint8Array(n).fill(byte);
}

function read(disk: SimDisk, path: string): Uint8Array | undefined {
  try {
    return disk.readFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

Deno.test("sim disk: synced data and names survive a power cut, unsynced ones do not", () => {
  const disk = new SimDisk(BASE);
  const a = disk.openSync(`${BASE}/a`, { write: true, create: true });
  a.writeSync(fill(1000, 1));
  a.syncDataSync();
  syncDir(disk, BASE);
  a.writeSync(fill(1000, 2)); // appended, never synced
  const b = disk.openSync(`${BASE}/b`, { write: true, create: true });
  b.writeSync(fill(10, 3));
  b.syncDataSync(); // data synced, but its name never was
  disk.cut();
  throws(() => a.writeSync(fill(1, 0)), PowerCut);
  disk.reboot();
  deepStrictEqual(read(disk, `${BASE}/a`), fill(1000, 1));
  strictEqual(read(disk, `${BASE}/b`), undefined);
  throws(() => a.syncDataSync(), PowerCut, "a handle from before the cut is stale");
});

Deno.test("sim disk: a rename whose directory was not synced is undone by a power cut", () => {
  const disk = new SimDisk(BASE);
  const f = disk.openSync(`${BASE}/x.tmp`, { write: true, create: true });
  f.writeSync(fill(8, 7));
  f.syncDataSync();
  syncDir(disk, BASE);
  disk.renameSync(`${BASE}/x.tmp`, `${BASE}/x`);
  disk.cut();
  disk.reboot();
  deepStrictEqual(disk.names(BASE), ["x.tmp"]);
  disk.renameSync(`${BASE}/x.tmp`, `${BASE}/x`);
  syncDir(disk, BASE);
  disk.cut();
  disk.reboot();
  deepStrictEqual(disk.names(BASE), ["x"]);
});

Deno.test("sim disk: the write in flight at the cut is torn per sector, old or new each", () => {
  const seen = new Set<string>();
  for (let seed = 1; seed <= 20; seed++) {
    const disk = new SimDisk(BASE, seed);
    const f = disk.openSync(`${BASE}/f`, { write: true, create: true });
    f.writeSync(fill(4 * SECTOR, 1));
    f.syncDataSync();
    syncDir(disk, BASE);
    disk.cutAt = disk.calls + 1;
    f.seekSync(0, Deno.SeekMode.Start);
    throws(() => f.writeSync(fill(4 * SECTOR, 2)), PowerCut);
    disk.reboot();
    const got = read(disk, `${BASE}/f`)!;
    strictEqual(got.length, 4 * SECTOR);
    const sectors = [0, 1, 2, 3].map((s) => {
      const part = got.subarray(s * SECTOR, (s + 1) * SECTOR);
      if (!part.every((b) => b === part[0])) throw new Error("a sector was split");
      return part[0];
    });
    seen.add(sectors.join(""));
  }
  if (seen.size < 4) throw new Error(`too few tear patterns: ${[...seen]}`);
});

Deno.test("sim disk: a failed fsync forgets the dirty data; a later fsync does not write it", () => {
  const disk = new SimDisk(BASE);
  const f = disk.openSync(`${BASE}/f`, { write: true, create: true });
  syncDir(disk, BASE);
  f.writeSync(fill(SECTOR, 1));
  disk.faultAt = disk.calls + 1;
  throws(() => f.syncDataSync(), (e: Error & { code?: string }) => e.code === "EIO");
  f.syncDataSync(); // succeeds, but the page was marked clean by the failure
  const buf = new Uint8Array(SECTOR);
  f.seekSync(0, Deno.SeekMode.Start);
  f.readSync(buf);
  deepStrictEqual(buf, fill(SECTOR, 1), "the cache still shows the data");
  disk.cut();
  disk.reboot();
  deepStrictEqual(read(disk, `${BASE}/f`), new Uint8Array(0));
});

Deno.test("sim disk: a full disk refuses growth with ENOSPC until space is freed", () => {
  const disk = new SimDisk(BASE);
  disk.capacity = 1000;
  const f = disk.openSync(`${BASE}/f`, { write: true, create: true });
  f.writeSync(fill(900, 1));
  throws(() => f.writeSync(fill(200, 1)), (e: Error & { code?: string }) => e.code === "ENOSPC");
  f.seekSync(0, Deno.SeekMode.Start);
  strictEqual(f.writeSync(fill(900, 2)), 900, "overwrites need no space");
  disk.capacity = Infinity;
  strictEqual(f.writeSync(fill(200, 1)), 200);
});

Deno.test("sim disk: held async syncs make nothing durable until released, newest first; a cut fails them", async () => {
  const disk = new SimDisk(BASE);
  const a = disk.openSync(`${BASE}/a`, { write: true, create: true });
  const b = disk.openSync(`${BASE}/b`, { write: true, create: true });
  syncDir(disk, BASE);
  disk.record = true;
  disk.holdSyncs = true;
  a.writeSync(fill(10, 1));
  const first = a.syncData();
  b.writeSync(fill(10, 2));
  const second = b.syncData();
  strictEqual(disk.heldSyncs, 2);
  strictEqual(disk.log.filter((c) => c.kind === "sync").length, 0, "held: not run yet");
  disk.releaseSyncs(1); // only the newer one
  await second;
  deepStrictEqual(disk.log.filter((c) => c.kind === "sync").map((c) => c.path), [`${BASE}/b`]);
  disk.cut();
  let failed: unknown;
  await first.catch((err) => (failed = err));
  strictEqual(failed instanceof PowerCut, true, "the held sync fails with the cut");
  disk.reboot();
  deepStrictEqual(read(disk, `${BASE}/a`), new Uint8Array(0));
  deepStrictEqual(read(disk, `${BASE}/b`), fill(10, 2));
});
