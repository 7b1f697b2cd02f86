// Checks, once, that a service enforces "create only if absent": emulators
// such as s3rver and the plain GCS emulator accept the condition and ignore it.
// oxistore never emulates conditional writes client-side; it refuses instead.

import { StoreError } from "../../core/error.ts";
import type { ObjectApi } from "./object_api.ts";

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/**
 * Writes a scratch object twice with the create-only condition; the second
 * write must fail. Throws `Unsupported` (naming `what`) if it does not.
 */
export async function probeConditionalWrites(
  api: ObjectApi,
  name: string,
  what: string,
): Promise<void> {
  const req = { metadata: {}, condition: { ifAbsent: true } as const, sha256Hex: EMPTY_SHA256 };
  const body = new Uint8Array(0);
  await api.put(name, body, req);
  let honoured = false;
  try {
    await api.put(name, body, req);
  } catch (err) {
    if (
      !(err instanceof StoreError) || (err.kind !== "CasMismatch" && err.kind !== "AlreadyExists")
    ) {
      await api.delete(name).catch(() => {});
      throw err;
    }
    honoured = true;
  }
  await api.delete(name).catch(() => {});
  if (!honoured) {
    throw new StoreError(
      "Unsupported",
      `Cannot write conditionally to ${what}: the server ignores the create-only ` +
        "precondition; oxistore does not emulate conditional writes client-side",
    );
  }
}
