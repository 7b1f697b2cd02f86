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
  const [toFile, toCount] = pipe.readable.tee();
  const writing = (async () => {
    for await (const chunk of toFile) {
      let done = 0;
      while (done < chunk.length) done += await out.write(chunk.subarray(done));
      tally.bytes += chunk.length;
      onProgress({ ...tally });
    }
  })();
  const counting = (async () => {
    for await (const _ of readBackup(toCount)) tally.keys++;
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
