/**
 * How the local store writes a blob: content and sidecar each into a flushed
 * temp file of this store's session, then published together under the key's
 * lock (condition checked there, the replaced version set aside and freed in
 * the background). See `_commit.ts` for the crash protocol.
 *
 * @module
 */
import { iterateData } from "../_data.ts";
import type { WriteCondition, WriteConflict } from "../_backend.ts";
import type { BlobData } from "../types.ts";
import { commit, settle } from "./_commit.ts";
import type { LocalFs } from "./_fs.ts";
import { ContentWriter, sidecarBytes, type WrittenContent } from "./_io.ts";
import type { LocalLayout, Place } from "./_layout.ts";
import type { KeyLocks, TempSession } from "./_session.ts";

/** What writes need from an open local store. */
export interface WriteContext {
  fs: LocalFs;
  layout: LocalLayout;
  session: TempSession;
  locks: KeyLocks;
}

/** Content and its sidecar, each in a flushed temp file (`ready` holds the sidecar). */
export interface Prepared {
  written: WrittenContent;
  sidecar: Uint8Array;
  ready: string;
}

/** A failed condition, carried out of the key lock. */
class Conflict {
  constructor(readonly why: WriteConflict) {}
}

/**
 * Writes content to a temp file and its sidecar to another, flushing both
 * at once (the two flushes overlap instead of following each other).
 */
export async function writeTemp(
  ctx: WriteContext,
  data: BlobData,
  op: string,
  contentType: string | undefined,
  metadata: Record<string, string>,
): Promise<Prepared> {
  const { fs, session } = ctx;
  const writer = await ContentWriter.create(fs, session.tempPath());
  const ready = session.tempPath();
  try {
    if (typeof data === "string" || data instanceof Uint8Array) {
      await writer.write(typeof data === "string" ? new TextEncoder().encode(data) : data);
    } else {
      for await (const chunk of iterateData(data, op)) await writer.write(chunk);
    }
    const { written, sidecar } = await writer.finishWithSidecar(
      fs,
      ready,
      (w) => sidecarBytes(w.size, w.digest, w.stamp, contentType, metadata),
    );
    return { written, sidecar, ready };
  } catch (err) {
    await writer.discard(fs);
    await fs.remove(ready).catch(() => {});
    throw err;
  }
}

/**
 * Publishes finished content under the key's lock: checks the condition,
 * then commits the sidecar and the content together. Returns why a
 * condition failed (nothing is published then, and the temp files are gone).
 */
export async function publish(
  ctx: WriteContext,
  written: WrittenContent,
  sidecar: Uint8Array,
  p: Place,
  cond: WriteCondition | undefined,
  op: string,
  ready?: string,
): Promise<WriteConflict | undefined> {
  const { fs, layout, session, locks } = ctx;
  const tempPath = () => session.tempPath();
  try {
    await locks.withKeys([p.key], async () => {
      for (let attempt = 0;; attempt++) {
        await layout.prepare(p, op);
        const current = await settle(layout, tempPath, p);
        if (cond && "ifAbsent" in cond && current.header) throw new Conflict("exists");
        if (cond && "ifMatch" in cond && current.header?.etag !== cond.ifMatch) {
          throw new Conflict(current.header ? "mismatch" : "missing");
        }
        // The version replaced is freed in the background, not inside the rename.
        const aside = current.stamp ? session.setAside(p.content) : undefined;
        try {
          await commit(
            layout,
            tempPath,
            [{ place: p, sidecar, tombstone: false, ready: attempt === 0 ? ready : undefined }],
            () => layout.moveContent(written.path, p),
          );
          return;
        } catch (err) {
          // A delete next door pruned a directory we had just made: make it again (the
          // prepared sidecar may be gone: the retry writes its own).
          if (!(err instanceof Deno.errors.NotFound) || attempt >= 5) throw err;
        } finally {
          if (aside !== undefined) session.discardLater(aside);
        }
      }
    });
    return undefined;
  } catch (err) {
    await fs.remove(written.path).catch(() => {});
    if (ready !== undefined) await fs.remove(ready).catch(() => {});
    if (err instanceof Conflict) return err.why;
    throw err;
  }
}
