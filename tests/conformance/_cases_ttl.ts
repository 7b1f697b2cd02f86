// Every TTL rule of API.md, in one store with one short sleep.
import { type Case, collectKeys, eq, eqBytes, scan, sleep, yes } from "./_helpers.ts";
import { assertRejectsKind } from "../_support/assert.ts";

const SHORT = 100;

export const ttlCases: Case[] = [
  {
    id: "ttl",
    title: "TTL: expired keys are invisible everywhere; put/delete clear TTLs; no resurrection",
    async run({ open }) {
      const store = await open();
      await store.put("keep", "k");
      await store.putWithTtl("mid", "m", 5_000);
      // Keys whose TTL a later plain write clears.
      await store.putWithTtl("p/put", "old", SHORT);
      await store.putWithTtl("p/batch", "old", SHORT);
      await store.putWithTtl("p/txn", "old", SHORT);
      await store.putWithTtl("p/del", "old", SHORT);
      // Time-critical steps come right after the TTL they act on.
      await store.putWithTtl("p/persist", "v", SHORT);
      eq(await store.persist("p/persist"), true, "persist drops a TTL");
      await store.put("p/expire", "v");
      eq(await store.expire("p/expire", SHORT), true, "expire on a live key");
      const exp = await store.ttl("p/expire");
      yes(exp !== undefined && exp <= SHORT, `ttl(p/expire) = ${exp}`);
      // Keys that expire.
      await store.putWithTtl("x/short", "s", SHORT);
      await store.putWithTtl("x/cas", "c", SHORT);
      await store.putWithTtl("x/again", "a", SHORT);
      const lastDeadline = Date.now() + SHORT;

      await store.put("p/put", "new");
      await store.batchWrite([["p/batch", "new"]]);
      {
        await using txn = await store.transaction();
        await txn.put("p/txn", "new");
        await txn.commit();
      }
      await store.delete("p/del");
      await store.put("p/del", "new");
      eq(await store.persist("p/persist"), false, "persist of a key without TTL");
      eq(await store.persist("keep"), false, "persist of a plain key");
      eq(await store.persist("absent"), false, "persist of an absent key");
      eq(await store.expire("absent", 1_000), false, "expire on an absent key");
      eq(await store.contains("absent"), false, "expire does not create");

      const mid = await store.ttl("mid");
      yes(mid !== undefined && mid > 1_000 && mid <= 5_000, `ttl(mid) = ${mid}`);
      eq(await store.ttl("keep"), undefined, "ttl of a key without TTL");
      eq(await store.ttl("absent"), undefined, "ttl of an absent key");
      for (const k of ["p/put", "p/batch", "p/txn", "p/del", "p/persist"]) {
        eq(await store.ttl(k), undefined, `${k} has no TTL after a plain write`);
      }

      // Views that begin before the deadline and read after it.
      await using snap = await store.snapshot();
      await using txn = await store.transaction();

      for (
        const [what, kind, fn] of [
          ["putWithTtl -1", "InvalidInput", () => store.putWithTtl("z", "v", -1)],
          ["putWithTtl NaN", "InvalidInput", () => store.putWithTtl("z", "v", Number.NaN)],
          // deno-lint-ignore no-explicit-any
          ["putWithTtl '10'", "InvalidInput", () => store.putWithTtl("z", "v", "10" as any)],
          ["expire -5", "InvalidInput", () => store.expire("keep", -5)],
        ] as const
      ) await assertRejectsKind(fn, kind, what);
      eq(await store.contains("z"), false, "bad TTLs write nothing");
      eq(await store.ttl("keep"), undefined, "a bad expire changes nothing");

      await sleep(Math.max(0, lastDeadline + 40 - Date.now()));

      const live = ['"keep"', '"mid"', '"p/batch"', '"p/del"', '"p/persist"', '"p/put"', '"p/txn"'];
      for (const k of ["x/short", "x/cas", "x/again", "p/expire"]) {
        eq(await store.get(k), undefined, `get(${k}) after expiry`);
        eq(await store.contains(k), false, `contains(${k}) after expiry`);
        eq(await snap.get(k), undefined, `snapshot get(${k}) after expiry`);
        eq(await snap.contains(k), false, `snapshot contains(${k}) after expiry`);
        eq(await txn.get(k), undefined, `transaction get(${k}) after expiry`);
      }
      eq((await store.getMany(["x/short", "keep"])).map((v) => v === undefined), [true, false]);
      eq(await collectKeys(store.keys()), live, "keys() skips expired keys");
      eq((await scan(store.iter())).map((e) => e.split("=")[0]), live, "iter() skips expired");
      eq((await scan(store.range("p", "y"))).length, 5, "range skips expired");
      eq((await scan(store.rangeRev("p", "y"))).length, 5, "rangeRev skips expired");
      eq(await scan(store.prefixScan("x/")), [], "prefixScan skips expired");
      eq(await store.count(), live.length, "count skips expired");
      eq(await scan(snap.prefixScan("x/")), [], "snapshot scan skips expired");
      eq((await scan(snap.range())).length, live.length, "snapshot range skips expired");
      eq(await scan(txn.prefixScan("x/")), [], "transaction scan skips expired");
      eq((await scan(txn.range())).length, live.length, "transaction range skips expired");
      {
        await using late = await store.snapshot();
        eq(await late.get("x/short"), undefined, "a snapshot taken after expiry");
      }

      // Plain writes cleared the TTLs: those keys outlived the old deadline.
      for (const k of ["p/put", "p/batch", "p/txn", "p/del"]) {
        eqBytes(await store.get(k), "new", `${k} survived its old deadline`);
      }
      eqBytes(await store.get("p/persist"), "v", "persisted key survived");

      // expire/ttl/persist treat expired keys as absent and never resurrect them.
      eq(await store.ttl("x/again"), undefined, "ttl of an expired key");
      eq(await store.expire("x/again", 60_000), false, "expire of an expired key");
      eq(await store.persist("x/again"), false, "persist of an expired key");
      eq(await store.get("x/again"), undefined, "still absent after expire/persist");

      // CAS sees an expired key as absent.
      await assertRejectsKind(
        () => store.compareAndSwap("x/cas", "c", "n"),
        "CasMismatch",
        "CAS expecting an expired value",
      );
      await store.compareAndSwap("x/cas", null, "fresh");
      eqBytes(await store.get("x/cas"), "fresh", "CAS from absent over an expired key");
      eq(await store.ttl("x/cas"), undefined, "re-created key does not inherit the TTL");

      // A re-created key does not inherit the old deadline.
      await store.put("x/short", "reborn");
      eq(await store.ttl("x/short"), undefined, "re-put expired key has no TTL");
      eqBytes(await store.get("x/short"), "reborn");

      // x/again and p/expire are expired and not yet purged.
      eq(await store.purgeExpired(), 2, "purgeExpired counts the expired keys it removed");
      eq(await store.purgeExpired(), 0, "nothing left to purge");
      eq(await store.count(), live.length + 2, "purge removed only expired keys");
      await txn.rollback();
    },
  },
];
