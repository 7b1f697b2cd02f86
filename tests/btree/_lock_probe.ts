// Child of engine_test.ts: tries to open a store and prints the outcome.
import { openBTree } from "../../kv/btree/mod.ts";

try {
  const store = await openBTree(Deno.args[0]!, { readOnly: Deno.args[1] === "ro" });
  await store.close();
  console.log("opened");
} catch (err) {
  console.log((err as { kind?: string }).kind ?? String(err));
}
