// flush, compact, sizeOnDisk, backup and restore.
import { type Case, eq, eqBytes, scan, yes } from "./_helpers.ts";
import { assertRejectsKind } from "../_support/assert.ts";

const pad = (i: number) => String(i).padStart(3, "0");

export const adminCases: Case[] = [
  {
    id: "flush-compact",
    title: "flush and compact keep every committed write",
    async run({ open }) {
      const store = await open();
      const pairs: [string, string][] = [];
      for (let i = 0; i < 300; i++) pairs.push([`k${pad(i)}`, `value-${i}`.repeat(5)]);
      await store.batchWrite(pairs);
      await store.flush();
      eq(await store.count(), 300, "flush keeps data");
      for (let i = 0; i < 300; i += 2) await store.delete(`k${pad(i)}`);
      await store.put("k001", "rewritten");
      await store.compact();
      eq(await store.count(), 150, "compact keeps live keys only");
      eqBytes(await store.get("k001"), "rewritten", "compact keeps the latest value");
      eq(await store.get("k000"), undefined, "compact does not resurrect deletes");
      eqBytes(await store.get("k299"), "value-299".repeat(5));
      await store.flush();
      const size = await store.sizeOnDisk();
      yes(typeof size === "number" && Number.isFinite(size) && size >= 0, `sizeOnDisk ${size}`);
      await store.put("after-compact", "x");
      eq(await store.count(), 151, "writes after compact");
    },
  },
  {
    id: "backup-restore",
    title: "backup is a point-in-time copy; restore replaces the contents",
    async run({ open, tempPath }) {
      const store = await open();
      await store.batchWrite([["a", "1"], ["b", "2"], ["", "empty-key"], ["e", ""]]);
      await store.putWithTtl("ttl", "t", 60_000);
      await store.putWithTtl("gone", "g", 1);
      const path = await tempPath("one.bak");
      await new Promise((r) => setTimeout(r, 5));
      await store.backup(path);
      yes((await Deno.stat(path)).isFile, "backup wrote a file");
      await store.put("a", "changed");
      await store.delete("b");
      await store.put("new", "vanishes");
      const snap = await store.snapshot();
      await store.restore(path);
      eqBytes(await snap.get("a"), "changed", "a snapshot open across restore keeps its view");
      eqBytes(await snap.get("new"), "vanishes");
      await snap.release();
      eq(
        await scan(store.iter()),
        ['""="empty-key"', '"a"="1"', '"b"="2"', '"e"=""', '"ttl"="t"'],
        "restore replaced everything (keys not in the backup vanished)",
      );
      const left = await store.ttl("ttl");
      yes(left !== undefined && left > 50_000, `TTL survives backup/restore (${left})`);
      eq(await store.contains("gone"), false, "an expired key is not brought back");
      await assertRejectsKind(() => store.backup(""), "InvalidInput", "backup to an empty path");
      await assertRejectsKind(
        () => store.restore(`${path}.missing`),
        "NotFound",
        "restore from a missing file",
      );
      eq(await store.count(), 5, "a failed restore changes nothing");
    },
  },
  {
    id: "backup-concurrent",
    title: "backup taken while writes go on is one consistent state",
    async run({ open, tempPath }) {
      const store = await open();
      const keys = Array.from({ length: 300 }, (_, i) => `a${pad(i)}`);
      const dels = Array.from({ length: 20 }, (_, i) => `d${pad(i)}`);
      await store.batchWrite([
        ...keys.map((k): [string, string] => [k, "v0"]),
        ...dels.map((
          k,
        ): [string, string] => [k, "x"]),
      ]);
      const path = await tempPath("live.bak");
      const backup = store.backup(path);
      for (let i = 1; i <= 20; i++) {
        // State i: every a-key holds v{i}, n001..n{i} exist, d000..d{i-1} are gone.
        await store.batchWrite([
          ...keys.map((k): [string, string] => [k, `v${i}`]),
          [`n${pad(i)}`, "x"],
        ]);
        await store.delete(`d${pad(i - 1)}`);
      }
      await backup;
      await store.restore(path);
      const entries = await scan(store.iter());
      const version = /"a000"="v(\d+)"/.exec(entries[0] ?? "")?.[1];
      yes(version !== undefined, `restored data has a000: ${entries[0]}`);
      const i = Number(version);
      yes(entries.slice(0, 300).every((e) => e.endsWith(`="v${i}"`)), "all a-keys of one state");
      const d = entries.filter((e) => e.startsWith('"d')).length;
      const n = entries.filter((e) => e.startsWith('"n')).length;
      yes(n === i && (d === 20 - i || d === 20 - i + 1), `state ${i}: ${n} n-keys, ${d} d-keys`);
    },
  },
  {
    id: "backup-corrupt",
    title: "a corrupt or truncated backup is Corruption and leaves the store unchanged",
    async run({ open, tempPath }) {
      const store = await open();
      const pairs: [string, string][] = [];
      for (let i = 0; i < 50; i++) pairs.push([`k${pad(i)}`, `value ${i}`]);
      await store.batchWrite(pairs);
      const good = await tempPath("good.bak");
      await store.backup(good);
      await store.batchWrite([["k000", "live"], ["extra", "live"]]);
      const before = await scan(store.iter());
      const bytes = await Deno.readFile(good);
      const flipped = bytes.slice();
      flipped[Math.floor(flipped.length / 2)]! ^= 0x40;
      const cases: [string, Uint8Array][] = [
        ["flipped.bak", flipped],
        ["truncated.bak", bytes.slice(0, bytes.length - 7)],
        ["half.bak", bytes.slice(0, Math.floor(bytes.length / 2))],
        ["text.bak", new TextEncoder().encode("this is not a backup at all")],
        ["empty.bak", new Uint8Array()],
      ];
      for (const [name, data] of cases) {
        const p = await tempPath(name);
        await Deno.writeFile(p, data);
        await assertRejectsKind(() => store.restore(p), "Corruption", `restore from ${name}`);
        eq(await scan(store.iter()), before, `${name}: store unchanged`);
      }
      await store.restore(good);
      eq((await scan(store.iter())).length, 50, "the good backup still restores");
      const empty = await open();
      const emptyPath = await tempPath("empty-store.bak");
      await empty.backup(emptyPath);
      await store.restore(emptyPath);
      eq(await store.count(), 0, "restoring an empty store's backup empties the store");
    },
  },
];
