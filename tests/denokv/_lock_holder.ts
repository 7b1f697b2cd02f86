// A child process for the busy-database test: opens a Deno KV file with
// node:sqlite as another SQLite client would, takes the write lock
// (BEGIN IMMEDIATE), says "locked" on stdout, and holds the lock until its
// stdin closes.
import { DatabaseSync } from "node:sqlite";

const path = Deno.args[0];
if (path === undefined) {
  console.error("usage: _lock_holder.ts <sqlite file>");
  Deno.exit(2);
}
const db = new DatabaseSync(path);
db.exec("BEGIN IMMEDIATE");
await Deno.stdout.write(new TextEncoder().encode("locked\n"));
for await (const _ of Deno.stdin.readable) { /* wait for the parent to close stdin */ }
db.exec("COMMIT");
db.close();
