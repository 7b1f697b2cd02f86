// Worker thread entry: runs flush and compaction jobs off the main thread so
// writers keep the main thread to themselves. Private to kv/lsm.
import { StoreError } from "../../core/error.ts";
import { DiskFs } from "./_fs.ts";
import { type BuildOptions, compactFiles, flushWal } from "./_jobs.ts";

/** A job: flush one WAL file, or merge sorted runs of tables (newest first). */
export type JobSpec =
  | { kind: "flush"; dir: string; wal: string; numbers: number[]; o: BuildOptions }
  | { kind: "compact"; dir: string; runs: number[][]; numbers: number[]; o: BuildOptions };

/** A job as posted by the engine. */
export type JobRequest = JobSpec & { id: number };

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<JobRequest>) => void) | null;
  postMessage(msg: unknown): void;
};

scope.onmessage = async (e) => {
  const job = e.data;
  const fs = new DiskFs(job.dir);
  const numbers = job.numbers.slice();
  const next = () => {
    const n = numbers.shift();
    if (n === undefined) throw new Error("ran out of reserved table numbers");
    return n;
  };
  try {
    const metas = job.kind === "flush"
      ? await flushWal(fs, job.wal, job.o, next)
      : await compactFiles(fs, job.runs, job.o, next);
    scope.postMessage({ id: job.id, ok: true, metas, written: fs.written.bytes });
  } catch (err) {
    scope.postMessage({
      id: job.id,
      ok: false,
      kind: err instanceof StoreError ? err.kind : "Io",
      message: err instanceof Error ? err.message : String(err),
      written: fs.written.bytes,
    });
  }
};
