// Opening a store directory: read (or, for a new store, write) the manifest,
// and sort the directory's files into logs still to replay and leftovers of a
// crash (files no manifest references), which a writer deletes.
import { StoreError } from "../../core/error.ts";
import type { LsmFs } from "./_fs.ts";
import { SHARED_FILES } from "./_shared.ts";
import { decodeManifest, encodeManifest, MANIFEST_NAME, type ManifestState } from "./_manifest.ts";

/** The manifest, or a fresh one for an empty directory (never for read-only opens). */
export function loadManifest(fs: LsmFs, readOnly: boolean): ManifestState {
  if (fs.exists(MANIFEST_NAME)) return decodeManifest(fs.readFile(MANIFEST_NAME), fs.path);
  if (readOnly) {
    throw new StoreError("NotFound", `Cannot open LSM store at ${fs.path}: no store there`);
  }
  // A temp file is what a crash while creating the store leaves (the first
  // manifest written but not yet renamed): the store was never created, so it
  // is created now; the temp file is overwritten below.
  const foreign = fs.list().filter((n) => !SHARED_FILES.has(n) && !n.endsWith(".tmp"));
  if (foreign.length > 0) {
    throw new StoreError(
      "Corruption",
      `Cannot open LSM store at ${fs.path}: the directory holds other files (${
        foreign.slice(0, 3).join(", ")
      }) but no LSM manifest`,
    );
  }
  const state: ManifestState = { nextFile: 2, logNumber: 1, levels: [], edit: 0 };
  fs.writeFileAtomic(MANIFEST_NAME, encodeManifest(state));
  return state;
}

function fileNumber(name: string, ext: string): number | undefined {
  if (!name.endsWith(ext)) return undefined;
  const n = Number(name.slice(0, -ext.length));
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 * The logs to replay (ascending) and the next free file number; unless
 * `readOnly`, deletes logs older than the manifest's, tables it does not
 * list, and temp files.
 */
export function sortFiles(
  fs: LsmFs,
  state: ManifestState,
  readOnly: boolean,
): { wals: number[]; nextFile: number } {
  let nextFile = state.nextFile;
  const wals: number[] = [];
  const live = new Set(state.levels.flat().map((t) => t.number));
  for (const name of fs.list()) {
    const w = fileNumber(name, ".wal");
    const t = fileNumber(name, ".sst");
    if (w !== undefined) {
      nextFile = Math.max(nextFile, w + 1);
      if (w >= state.logNumber) wals.push(w);
      else if (!readOnly) fs.remove(name);
    }
    if (t !== undefined) {
      nextFile = Math.max(nextFile, t + 1);
      if (!live.has(t) && !readOnly) fs.remove(name);
    }
    if (name.endsWith(".tmp") && !readOnly) fs.remove(name);
  }
  wals.sort((a, b) => a - b);
  return { wals, nextFile };
}
