// Child of openers_test.ts: opens the store and puts each `key=value` argument
// as its own commit, then closes.
import { openWith, type StoreKind } from "@cooljapan/oxistore";

const [kind, path, ...pairs] = Deno.args;
await using store = await openWith(kind as StoreKind, path!);
for (const pair of pairs) {
  const at = pair.indexOf("=");
  await store.put(pair.slice(0, at), pair.slice(at + 1));
}
