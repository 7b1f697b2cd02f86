/**
 * Memory use of a 1 GiB chunked upload to a LocalBlobStore: the upload must
 * stream to disk, so RSS should grow by far less than the blob (< 64 MiB).
 * It then streams the blob back; that growth is reported separately (it is
 * garbage from the 256 KiB read chunks, bounded by when V8 collects it).
 *
 * Run: deno run -A bench/blob_upload_memory.ts [MiB]   (default 1024)
 *
 * @module
 */
import { LocalBlobStore } from "../blob/local_blob_store.ts";

const mib = Number(Deno.args[0] ?? 1024);
const root = await Deno.makeTempDir({ prefix: "oxiblob-mem-" });
const store = await LocalBlobStore.open(root);
const chunk = crypto.getRandomValues(new Uint8Array(65536));
const oneMiB = new Uint8Array(1 << 20);
for (let i = 0; i < 16; i++) oneMiB.set(chunk, i * 65536);

const rss = () => Deno.memoryUsage().rss;
const before = rss();
let peak = before;
const started = performance.now();
try {
  const up = await store.startUpload("big/upload.bin");
  for (let i = 0; i < mib; i++) {
    oneMiB[0] = i & 0xff; // vary the content a little
    await up.write(oneMiB);
    if (i % 16 === 0) peak = Math.max(peak, rss());
  }
  const meta = await up.complete();
  peak = Math.max(peak, rss());
  const uploadPeak = peak;
  const secs = (performance.now() - started) / 1000;
  // A streamed read of the same blob, to show reads do not buffer either.
  let read = 0;
  for await (const c of await store.getStream("big/upload.bin")) {
    read += c.length;
    if (read % (64 << 20) < c.length) peak = Math.max(peak, rss());
  }
  const fmt = (b: number) => `${(b / (1 << 20)).toFixed(1)} MiB`;
  console.log(
    JSON.stringify({
      uploadedMiB: meta.size / (1 << 20),
      readBackMiB: read / (1 << 20),
      rssBefore: fmt(before),
      rssPeak: fmt(peak),
      rssGrowthUpload: fmt(uploadPeak - before),
      rssGrowthWithStreamedRead: fmt(peak - before),
      uploadMiBps: Math.round(mib / secs),
      target: "upload growth < 64 MiB",
      pass: uploadPeak - before < 64 * (1 << 20),
    }),
  );
} finally {
  await store.close();
  await Deno.remove(root, { recursive: true });
}
