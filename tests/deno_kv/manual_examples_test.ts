// The Deno manual's KV examples (transactions, secondary indexes, counters, watch, expiry),
// written once against Deno.Kv and run on Deno KV itself and on openKv over every engine:
// each must print the same story.
import { deepStrictEqual } from "node:assert/strict";
import { type AnyKv, ORACLE, OURS } from "./_targets.ts";

interface User {
  id: string;
  email: string;
  name: string;
}

/** Transfers between accounts with a check-and-retry loop (the manual's "transactions"). */
async function transfer(kv: AnyKv, from: string, to: string, amount: number): Promise<void> {
  for (;;) {
    const [a, b] = await kv.getMany<[number, number]>([["balance", from], ["balance", to]]);
    if ((a.value ?? 0) < amount) throw new Error("insufficient funds");
    const r = await kv.atomic()
      .check(a, b)
      .set(a.key, (a.value ?? 0) - amount)
      .set(b.key, (b.value ?? 0) + amount)
      .commit();
    if (r.ok) return;
  }
}

/** Saves a user and its email index atomically (the manual's "secondary indexes"). */
async function saveUser(kv: AnyKv, user: User): Promise<boolean> {
  const primary = ["users", user.id];
  const byEmail = ["users_by_email", user.email];
  const r = await kv.atomic()
    .check({ key: primary, versionstamp: null })
    .check({ key: byEmail, versionstamp: null })
    .set(primary, user)
    .set(byEmail, user.id)
    .commit();
  return r.ok;
}

async function userByEmail(kv: AnyKv, email: string): Promise<User | null> {
  const id = await kv.get<string>(["users_by_email", email]);
  if (id.value === null) return null;
  return (await kv.get<User>(["users", id.value])).value;
}

async function story(kv: AnyKv): Promise<unknown[]> {
  const out: unknown[] = [];
  // Transactions.
  await kv.set(["balance", "alice"], 100);
  await kv.set(["balance", "bob"], 10);
  await Promise.all([transfer(kv, "alice", "bob", 30), transfer(kv, "alice", "bob", 20)]);
  out.push((await kv.getMany([["balance", "alice"], ["balance", "bob"]])).map((e) => e.value));
  out.push(await transfer(kv, "bob", "alice", 1000).catch((e: Error) => e.message));
  // Secondary indexes.
  out.push(await saveUser(kv, { id: "1", email: "ada@example.com", name: "Ada" }));
  out.push(await saveUser(kv, { id: "2", email: "ada@example.com", name: "Imposter" }));
  out.push(await userByEmail(kv, "ada@example.com"));
  // Counters: concurrent sums never lose an increment.
  await Promise.all(
    Array.from({ length: 20 }, () => kv.atomic().sum(["visits", "home"], 1n).commit()),
  );
  await kv.atomic().max(["record"], 7n).max(["record"], 3n).min(["low"], 9n).min(["low"], 4n)
    .commit();
  out.push(
    (await kv.getMany([["visits", "home"], ["record"], ["low"]])).map((e) =>
      (e.value as { value: bigint }).value
    ),
  );
  // Listing, newest first, paged with a cursor.
  for (let i = 0; i < 7; i++) await kv.set(["posts", i], `post ${i}`);
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const it = kv.list<string>({ prefix: ["posts"] }, {
      limit: 3,
      reverse: true,
      ...(cursor ? { cursor } : {}),
    });
    const page: string[] = [];
    for await (const e of it) page.push(e.value);
    pages.push(page);
    cursor = it.cursor;
  } while (cursor !== "");
  out.push(pages);
  // Watch: the current value first, then each change.
  const stream = kv.watch([["watched"]]);
  const reader = stream.getReader();
  const seen: unknown[] = [(await reader.read()).value![0].value];
  await kv.set(["watched"], "one");
  seen.push((await reader.read()).value![0].value);
  await kv.delete(["watched"]);
  seen.push((await reader.read()).value![0].value);
  await reader.cancel();
  out.push(seen);
  // Expiry: an entry set with expireIn is gone once it passed.
  await kv.set(["session", "s1"], "token", { expireIn: 60_000 });
  out.push((await kv.get(["session", "s1"])).value);
  return out;
}

const want = await (async () => {
  const { kv, close } = await ORACLE.open();
  try {
    return await story(kv);
  } finally {
    await close();
  }
})();

Deno.test("deno-kv manual examples: Deno KV tells the expected story", () => {
  deepStrictEqual(want, [
    [50, 60],
    "insufficient funds",
    true,
    false,
    { id: "1", email: "ada@example.com", name: "Ada" },
    [20n, 7n, 4n],
    [["post 6", "post 5", "post 4"], ["post 3", "post 2", "post 1"], ["post 0"]],
    [null, "one", null],
    "token",
  ]);
});

for (const target of OURS) {
  Deno.test(`deno-kv manual examples: ${target.name} tells Deno KV's story`, async () => {
    const { kv, close } = await target.open();
    try {
      deepStrictEqual(await story(kv), want);
    } finally {
      await close();
    }
  });
}
