/**
 * Azure Storage connection strings: `AccountName=…;AccountKey=…;…`, explicit
 * `BlobEndpoint=…`, and `UseDevelopmentStorage=true` (Azurite's well-known
 * development account).
 *
 * @module
 */
import { StoreError } from "../../core/error.ts";

/** The development account every Azurite accepts (published by Microsoft). */
export const AZURITE_ACCOUNT_NAME = "devstoreaccount1";
/** Its key (public; it grants access to local emulators only). */
export const AZURITE_ACCOUNT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** What a connection string says about the Blob service. */
export interface AzureConnection {
  /** Account name. */
  accountName: string;
  /** Account key (base64). */
  accountKey: string;
  /** Blob service endpoint, no trailing slash, e.g. `https://acct.blob.core.windows.net`. */
  blobEndpoint: string;
}

/**
 * Parses a connection string. Keys are case-insensitive; values may contain `=`.
 * A missing account key, or a SAS-only string, is `InvalidInput` (not supported).
 * The error message never quotes the key.
 *
 * @param text the connection string
 * @returns account, key and blob endpoint
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { parseConnectionString } from "@cooljapan/oxistore/blob/azure";
 * const c = parseConnectionString("UseDevelopmentStorage=true");
 * strictEqual(c.blobEndpoint, "http://127.0.0.1:10000/devstoreaccount1");
 * ```
 */
export function parseConnectionString(text: string): AzureConnection {
  const bad = (why: string) =>
    new StoreError("InvalidInput", `Cannot parse Azure connection string: ${why}`);
  if (typeof text !== "string" || text.trim() === "") throw bad("it is empty");
  const fields = new Map<string, string>();
  for (const part of text.split(";")) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0) throw bad(`field ${JSON.stringify(part.slice(0, 20))} has no '='`);
    fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  if (fields.get("usedevelopmentstorage")?.toLowerCase() === "true") {
    const proxy = fields.get("developmentstorageproxyuri");
    const host = proxy ? proxy.replace(/\/+$/, "") : "http://127.0.0.1";
    return {
      accountName: AZURITE_ACCOUNT_NAME,
      accountKey: AZURITE_ACCOUNT_KEY,
      blobEndpoint: `${host}:10000/${AZURITE_ACCOUNT_NAME}`,
    };
  }
  const accountName = fields.get("accountname");
  const accountKey = fields.get("accountkey");
  if (!accountName) throw bad("AccountName is missing");
  if (!accountKey) {
    throw bad(
      fields.has("sharedaccesssignature")
        ? "SAS-only connection strings are not supported (give AccountKey)"
        : "AccountKey is missing",
    );
  }
  let blobEndpoint = fields.get("blobendpoint");
  if (!blobEndpoint) {
    const protocol = fields.get("defaultendpointsprotocol") ?? "https";
    const suffix = fields.get("endpointsuffix") ?? "core.windows.net";
    blobEndpoint = `${protocol}://${accountName}.blob.${suffix}`;
  }
  try {
    new URL(blobEndpoint);
  } catch {
    throw bad(`BlobEndpoint ${JSON.stringify(blobEndpoint)} is not a URL`);
  }
  return { accountName, accountKey, blobEndpoint: blobEndpoint.replace(/\/+$/, "") };
}
