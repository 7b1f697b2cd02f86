// Child process for cross-process races. Usage:
//   _race_child.ts <root> <id> absent <keys>   → putIfAbsent on each key, print wins
//   _race_child.ts <root> <id> count <n>       → n CAS increments of "counter"
import { StoreError } from "../../core/error.ts";
import { LocalBlobStore } from "../../blob/local_blob_store.ts";

const [root, id, mode, arg] = Deno.args;
const store = await LocalBlobStore.open(root!);
const go = `${root}/go`;
while (true) {
  try {
    await Deno.stat(go);
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 5));
  }
}
const wins: string[] = [];
if (mode === "absent") {
  for (let k = 0; k < Number(arg); k++) {
    try {
      await store.putIfAbsent(`race/${k}`, `writer ${id}`);
      wins.push(`race/${k}`);
    } catch (err) {
      if (!(err instanceof StoreError && err.kind === "AlreadyExists")) throw err;
    }
  }
} else {
  let conflicts = 0;
  for (let done = 0; done < Number(arg);) {
    const head = await store.head("counter");
    const value = Number(new TextDecoder().decode(await store.get("counter")));
    try {
      // get may see a newer value than head's etag: the CAS below then fails and retries.
      await store.putIfMatch("counter", String(value + 1), head.etag);
      done++;
    } catch (err) {
      if (!(err instanceof StoreError && err.kind === "CasMismatch")) throw err;
      conflicts++;
    }
  }
  wins.push(`conflicts=${conflicts}`);
}
await store.close();
console.log(JSON.stringify(wins));
