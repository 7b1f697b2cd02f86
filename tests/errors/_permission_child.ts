// A child process run without some permissions (as on Deno Deploy): tries
// one facade call on a store path and prints the outcome as one JSON line,
// `{ "ok": true }` or `{ "kind": …, "message": …, "cause": … }`.
import { open, openReadOnly, openWith, StoreError, type StoreKind } from "@cooljapan/oxistore";

const [call, kind, path] = Deno.args as [string, StoreKind, string];
try {
  const store = call === "openWith"
    ? await openWith(kind, path)
    : call === "open"
    ? await open(path)
    : await openReadOnly(path);
  await store.close();
  console.log(JSON.stringify({ ok: true }));
} catch (err) {
  console.log(JSON.stringify({
    kind: err instanceof StoreError ? err.kind : `not a StoreError: ${String(err)}`,
    message: err instanceof Error ? err.message : String(err),
    cause: err instanceof Error && err.cause instanceof Error ? err.cause.name : undefined,
  }));
}
