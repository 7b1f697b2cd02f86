// The engine's side of the background workers: posts jobs, matches replies,
// and ends a thread when it has been idle a moment (an idle worker would keep
// the process alive) or when the last store using it closes. One pair of
// threads serves every open store of the process: jobs carry their directory,
// and starting a worker is not free (~100 ms; over a second under `deno test`
// and `deno bench`, which type-check it).
import { StoreError, type StoreErrorKind } from "../../core/error.ts";
import { Aborted } from "./_jobs.ts";
import type { TableMeta } from "./_table_writer.ts";
import type { JobSpec } from "./_worker.ts";

/** What a job produced: its tables and the bytes it wrote. */
export interface JobResult {
  metas: TableMeta[];
  written: number;
}

type Reply =
  | { id: number; ok: true; metas: TableMeta[]; written: number }
  | { id: number; ok: false; kind: StoreErrorKind; message: string; written: number };

const IDLE_MS = 5000;

/** The worker thread could not start or died: run the job on the main thread instead. */
export class WorkerUnavailable extends Error {}

/** One worker thread that runs jobs one after another. */
export class JobWorker {
  #w: Worker | undefined;
  #pending = new Map<number, { resolve: (r: JobResult) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #idle: ReturnType<typeof setTimeout> | undefined;

  /** Runs a job; resolves with the tables it wrote. */
  run(job: JobSpec): Promise<JobResult> {
    if (this.#idle !== undefined) {
      clearTimeout(this.#idle);
      this.#idle = undefined;
    }
    let w: Worker;
    try {
      w = this.#w ?? this.#start();
    } catch (err) {
      return Promise.reject(new WorkerUnavailable(String(err)));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      w.postMessage({ ...job, id });
    });
  }

  #start(): Worker {
    const w = new Worker(new URL("./_worker.ts", import.meta.url).href, { type: "module" });
    w.onmessage = (e: MessageEvent<Reply>) => {
      const r = e.data;
      const p = this.#pending.get(r.id);
      if (!p) return;
      this.#pending.delete(r.id);
      if (r.ok) p.resolve({ metas: r.metas, written: r.written });
      else p.reject(new StoreError(r.kind, r.message));
      if (this.#pending.size === 0) {
        this.#idle = setTimeout(() => this.terminate(), IDLE_MS);
        Deno.unrefTimer(this.#idle as unknown as number);
      }
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#failAll(new WorkerUnavailable(`LSM background worker failed: ${e.message}`));
      this.terminate();
    };
    this.#w = w;
    return w;
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  /** Stops the thread; running jobs reject with {@link Aborted}. */
  terminate(): void {
    if (this.#idle !== undefined) {
      clearTimeout(this.#idle);
      this.#idle = undefined;
    }
    this.#w?.terminate();
    this.#w = undefined;
    this.#failAll(new Aborted());
  }
}

/** The flush and compaction threads a store uses. */
export interface Workers {
  flush: JobWorker;
  compact: JobWorker;
}

let shared: (Workers & { users: number }) | undefined;

/** The process-wide pair of job threads, for one more store. */
export function acquireWorkers(): Workers {
  shared ??= { flush: new JobWorker(), compact: new JobWorker(), users: 0 };
  shared.users++;
  return shared;
}

/**
 * One store fewer; the last one ends the threads (their running jobs reject
 * with {@link Aborted}). Returns whether it was the last.
 */
export function releaseWorkers(w: Workers): boolean {
  if (shared !== w) return true;
  if (--shared.users > 0) return false;
  shared.flush.terminate();
  shared.compact.terminate();
  shared = undefined;
  return true;
}
