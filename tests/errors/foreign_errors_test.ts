// How errors from code the caller did not write (the file system, Deno KV,
// npm packages) become StoreErrors: never `InvalidInput`, a missing permission
// is `Unsupported` naming the flag, and a located message keeps the kind and
// the foreign cause.
import { ok, strictEqual } from "node:assert/strict";
import { inStore, ioStoreError, StoreError, toStoreError } from "../../core/error.ts";

Deno.test("errors: a TypeError or RangeError from inside a dependency is not InvalidInput", () => {
  // Deno KV throws TypeError("database is locked") when another process holds the file.
  for (const err of [new TypeError("database is locked"), new RangeError("read past end")]) {
    const e = toStoreError(err, "commit in store at ./kv");
    strictEqual(e.kind, "Other", e.message);
    strictEqual(e.cause, err);
    strictEqual(ioStoreError(err, "open store at ./kv").kind, "Io");
  }
});

Deno.test("errors: a missing Deno permission is Unsupported and names the flag", () => {
  const named = new Deno.errors.NotCapable(
    'Requires write access to "./x", run again with the --allow-write flag',
  );
  const e = toStoreError(named, "open store at ./x");
  strictEqual(e.kind, "Unsupported");
  ok(e.message.includes("--allow-write"), e.message);
  const bare = toStoreError(new Deno.errors.NotCapable("no access"), "open store at ./x");
  strictEqual(bare.kind, "Unsupported");
  ok(/--allow-read.*--allow-write/.test(bare.message), bare.message);
  strictEqual(toStoreError(new Deno.errors.PermissionDenied("EACCES"), "open").kind, "Io");
});

Deno.test("errors: inStore adds the operation and path once, keeping kind and cause", () => {
  const check = new StoreError("InvalidInput", "Cannot put: key is 2049 bytes, the limit is 2048");
  const a = inStore(check, "put", "./db");
  strictEqual(a.kind, "InvalidInput");
  strictEqual(a.message, "Cannot put in store at ./db: key is 2049 bytes, the limit is 2048");
  strictEqual(inStore(a, "put", "./db"), a, "an error already located passes unchanged");

  const busy = new TypeError("database is locked");
  const engine = new StoreError(
    "Timeout",
    "Cannot commit in Deno KV store at ./db: the database stayed locked",
    { cause: busy },
  );
  const b = inStore(engine, "put", "./db");
  strictEqual(b.kind, "Timeout");
  strictEqual(
    b.message,
    "Cannot put in store at ./db: cannot commit in Deno KV store: the database stayed locked",
  );
  strictEqual(b.cause, busy, "the foreign cause is kept");

  const foreign = inStore(new Error("disk on fire"), "flush", ":memory:");
  strictEqual(foreign.message, "Cannot flush in store at :memory:: disk on fire");
  strictEqual(foreign.kind, "Other");
});
