/// <reference lib="deno.worker" />
// Reads one Parquet file in a worker so the test can kill a hang (terminate()).
import { readParquet } from "../../columnar/mod.ts";
import { StoreError } from "../../core/error.ts";

self.onmessage = async (e: MessageEvent<string>) => {
  try {
    const t = await readParquet(e.data);
    self.postMessage({ ok: true, rows: t.numRows });
  } catch (err) {
    self.postMessage({
      ok: false,
      storeError: err instanceof StoreError,
      kind: (err as StoreError).kind,
      message: String((err as Error).message),
    });
  }
};
