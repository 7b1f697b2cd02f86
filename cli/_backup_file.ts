// `oxistore backup` writes the backup through a byte stream so it can count
// what passes: bytes as they are written, keys as core's own reader decodes
// the same bytes. The file appears only when whole (temp file, sync, rename).
import { readBackup } from "../core/backup_format.ts";
import { toStoreError } from "../core/error.ts";
import type { KvStore } from "../core/kv.ts";
import type { Tally } from "./_progress.ts";

/** Writes a backup of `store` to `file`, reporting figures as it goes; returns the totals. */
export async function backupToFile(
  store: KvStore,
  file: string,
  onProgress: (t: Required<Tally>) => void,
): Promise<Required<Tally>> {
  const tmp = `${file}.tmp-${crypto.randomUUID()}`;
  let out: Deno.FsFile;
  try {
    out = await Deno.open(tmp, { write: true, createNew: true });
  } catch (err) {
    throw toStoreError(err, `write backup to ${file}`);
  }
  const tally = { keys: 0, bytes: 0 };
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  // One reader pulls the backup: each chunk is written to the file before the
  // next is asked for (so the store's scan waits for the disk and memory stays
  // flat), then handed to the key counter. A tee() would let the fast counter
  // pull the whole backup into memory ahead of the file.
  let toCounter!: ReadableStreamDefaultController<Uint8Array>;
  const copy = new ReadableStream<Uint8Array>({ start: (c) => void (toCounter = c) });
  const counting = (async () => {
    for await (const _ of readBackup(copy)) tally.keys++;
  })();
  const writing = (async () => {
    try {
      for await (const chunk of pipe.readable) {
        let done = 0;
        while (done < chunk.length) done += await out.write(chunk.subarray(done));
        tally.bytes += chunk.length;
        toCounter.enqueue(chunk);
        onProgress({ ...tally });
      }
      toCounter.close();
    } catch (err) {
      toCounter.error(err);
      throw err;
    }
  })();
  try {
    const [made, wrote, counted] = await Promise.allSettled([
      store.backup(pipe.writable),
      writing,
      counting,
    ]);
    for (const r of [made, wrote, counted]) if (r.status === "rejected") throw r.reason;
    await out.syncData();
    out.close();
    await Deno.rename(tmp, file);
  } catch (err) {
    try {
      out.close();
    } catch { /* already closed */ }
    await Deno.remove(tmp).catch(() => {});
    throw toStoreError(err, `write backup to ${file}`);
  }
  return tally;
}
