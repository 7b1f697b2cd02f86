/**
 * The logic of the CLI commands `oxistore import-denokv <src> <store>` and
 * `oxistore export-denokv <store> <dst>`, as functions the CLI calls with its arguments.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { StoreError } from "../../core/error.ts";
import { STORE_KINDS, type StoreKind } from "../../core/config.ts";
import { openKv } from "./open_kv.ts";
import { exportDenoKv, importDenoKv } from "./import_export.ts";

function parse(args: string[], usage: string): { a: string; b: string; kind?: StoreKind } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { kind: { type: "string" } },
  });
  if (positionals.length !== 2) {
    throw new StoreError("InvalidInput", `Usage: ${usage}`);
  }
  const kind = values.kind;
  if (kind !== undefined && !(STORE_KINDS as readonly string[]).includes(kind)) {
    throw new StoreError(
      "InvalidInput",
      `Unknown store kind ${JSON.stringify(kind)}: expected one of ${STORE_KINDS.join(", ")}`,
    );
  }
  return { a: positionals[0]!, b: positionals[1]!, ...(kind ? { kind: kind as StoreKind } : {}) };
}

/**
 * `import-denokv <deno-kv.sqlite> <store> [--kind btree|lsm|denokv]`: copies a native Deno KV
 * file into an oxistore store (created with `--kind` when absent). Returns the line to print.
 *
 * @example
 * ```ts
 * import { runImportCommand } from "@cooljapan/oxistore/deno-kv";
 * const dir = await Deno.makeTempDir();
 * const native = await Deno.openKv(`${dir}/app.sqlite`);
 * await native.set(["k"], 1);
 * native.close();
 * const line = await runImportCommand([`${dir}/app.sqlite`, `${dir}/app.oxi`]);
 * if (!line.startsWith("imported 1 ")) throw new Error(line);
 * ```
 */
export async function runImportCommand(args: string[]): Promise<string> {
  const { a: src, b: dst, kind } = parse(
    args,
    "oxistore import-denokv <deno-kv.sqlite> <store> [--kind btree|lsm|denokv]",
  );
  try {
    await Deno.stat(src);
  } catch (err) {
    throw new StoreError("NotFound", `Cannot import Deno KV from ${src}: no file there`, {
      cause: err,
    });
  }
  await using kv = await openKv(dst, kind ? { kind } : {});
  const n = await importDenoKv(src, kv);
  return `imported ${n} entries from ${src} into ${dst}`;
}

/**
 * `export-denokv <store> <deno-kv.sqlite>`: copies the Deno KV API entries of an oxistore
 * store into a native Deno KV file (created when absent). Returns the line to print.
 *
 * @example
 * ```ts
 * import { openKv, runExportCommand } from "@cooljapan/oxistore/deno-kv";
 * const dir = await Deno.makeTempDir();
 * const kv = await openKv(`${dir}/app.oxi`);
 * await kv.set(["k"], 1);
 * await kv.close();
 * const line = await runExportCommand([`${dir}/app.oxi`, `${dir}/app.sqlite`]);
 * if (!line.startsWith("exported 1 ")) throw new Error(line);
 * ```
 */
export async function runExportCommand(args: string[]): Promise<string> {
  const { a: src, b: dst } = parse(args, "oxistore export-denokv <store> <deno-kv.sqlite>");
  try {
    await Deno.stat(src);
  } catch (err) {
    throw new StoreError("NotFound", `Cannot export Deno KV from ${src}: no store there`, {
      cause: err,
    });
  }
  await using kv = await openKv(src);
  const n = await exportDenoKv(kv, dst);
  return `exported ${n} entries from ${src} into ${dst}`;
}
