/**
 * A counter service over the default engine that runs as several isolates:
 *
 * ```sh
 * COUNTER_STORE=./counter.oxi deno serve --parallel -A examples/counter_service.ts
 * ```
 *
 * `deno serve --parallel` starts one isolate per core (or `DENO_JOBS` of
 * them); each opens the same store. `POST /increment` adds one in an
 * optimistic transaction (a conflict with another isolate's increment is
 * retried, so none is lost) and answers the new count; `GET /` answers the
 * count.
 *
 * @module
 */
import { open } from "@cooljapan/oxistore";

const store = await open(Deno.env.get("COUNTER_STORE") ?? "./counter.oxi");
const dec = new TextDecoder();

async function increment(): Promise<number> {
  for (;;) {
    await using txn = await store.transaction();
    const cur = await txn.get("count");
    const next = (cur === undefined ? 0 : Number(dec.decode(cur))) + 1;
    await txn.put("count", String(next));
    try {
      await txn.commit();
      return next;
    } catch (err) {
      if ((err as { kind?: string }).kind !== "TxnConflict") throw err;
    }
  }
}

export default {
  async fetch(req: Request): Promise<Response> {
    if (req.method === "POST" && new URL(req.url).pathname === "/increment") {
      return new Response(String(await increment()));
    }
    const cur = await store.get("count");
    return new Response(cur === undefined ? "0" : dec.decode(cur));
  },
} satisfies Deno.ServeDefaultExport;
