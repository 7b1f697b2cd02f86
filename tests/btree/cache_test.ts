import { equal, ok } from "node:assert/strict";
import { PageCache } from "../../kv/btree/_cache.ts";
import { PAGE_SIZE } from "../../kv/btree/_format.ts";
import { Page } from "../../kv/btree/_page.ts";

function page(no: number): Page {
  return new Page(no, new Uint8Array(PAGE_SIZE), no, "test", false);
}

Deno.test("btree page cache stays within its byte bound", () => {
  const cache = new PageCache(256 * 1024);
  for (let no = 1; no <= 1000; no++) cache.set(page(no));
  let cached = 0;
  for (let no = 1; no <= 1000; no++) if (cache.get(no, no) !== undefined) cached++;
  ok(cached > 0 && cached * (PAGE_SIZE + 200) <= 256 * 1024, `${cached} pages cached`);
});

Deno.test("btree page cache ring does not grow when pages are dropped and cached again", () => {
  const cache = new PageCache(64 << 20);
  for (let round = 0; round < 1000; round++) {
    for (let no = 1; no <= 10; no++) {
      cache.delete(no);
      cache.set(page(no));
    }
  }
  equal(cache.ringLength, 10);
  equal(cache.get(3, 3)?.no, 3);
});
