// A Worker of openers_test.ts: a second isolate of the test's process opening
// the same store. Messages: {path, kind} opens it; {op: "put", key, value};
// {op: "get", key} answers the value (or null); {op: "close"}.
import { type KvStore, openWith, type StoreKind } from "@cooljapan/oxistore";

let store: KvStore | undefined;
const dec = new TextDecoder();
const self = globalThis as unknown as {
  onmessage: (e: MessageEvent) => void;
  postMessage: (m: unknown) => void;
};
self.onmessage = async (e: MessageEvent) => {
  const m = e.data as { op: string; path?: string; kind?: StoreKind; key?: string; value?: string };
  try {
    if (m.op === "open") store = await openWith(m.kind!, m.path!);
    else if (m.op === "put") await store!.put(m.key!, m.value!);
    else if (m.op === "get") {
      const v = await store!.get(m.key!);
      self.postMessage({ ok: v === undefined ? null : dec.decode(v) });
      return;
    } else if (m.op === "close") await store!.close();
    self.postMessage({ ok: true });
  } catch (err) {
    self.postMessage({ err: `${(err as { kind?: string }).kind}: ${(err as Error).message}` });
  }
};
