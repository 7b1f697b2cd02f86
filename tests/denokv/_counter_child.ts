// A child process for the multi-process test: adds `count` increments to one
// counter in a Deno KV store through transactions, retrying each on
// TxnConflict, and prints how many conflicts it absorbed. Any other error ends
// the process with exit code 1 and the error's kind and message on stderr.
import { openWith, StoreError } from "@cooljapan/oxistore";

const [path, countArg] = Deno.args;
if (path === undefined || countArg === undefined) {
  console.error("usage: _counter_child.ts <store path> <increments>");
  Deno.exit(2);
}
const count = Number(countArg);
const key = "counter";

function decode(bytes: Uint8Array | undefined): number {
  return bytes === undefined ? 0 : Number(new TextDecoder().decode(bytes));
}

let conflicts = 0;
try {
  await using store = await openWith("denokv", path);
  for (let i = 0; i < count; i++) {
    for (;;) {
      await using txn = await store.transaction();
      const n = decode(await txn.get(key));
      await txn.put(key, String(n + 1));
      try {
        await txn.commit();
        break;
      } catch (err) {
        if (err instanceof StoreError && err.kind === "TxnConflict") {
          conflicts++;
          continue;
        }
        throw err;
      }
    }
  }
} catch (err) {
  const kind = err instanceof StoreError ? err.kind : "not a StoreError";
  console.error(`${kind}: ${err instanceof Error ? err.message : String(err)}`);
  Deno.exit(1);
}
console.log(JSON.stringify({ conflicts }));
