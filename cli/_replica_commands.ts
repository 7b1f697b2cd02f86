// `replicate` and `restore-replica`: a replica on any blob store named by URL
// (s3://, gs://, az://, file://, memory://, as BlobStoreBuilder.fromUrl reads
// them). `replicate` runs beside the service, as its own process, until
// SIGINT or SIGTERM.
import { openReadOnly } from "../mod.ts";
import { BlobStoreBuilder } from "../blob/mod.ts";
import { replicate, type ReplicateOptions, restoreReplica } from "../replica/mod.ts";
import type { CommandIo } from "./_commands.ts";
import {
  type CommandSpec,
  kindOption,
  type Parsed,
  str,
  UsageError,
  wholeNumber,
} from "./_spec.ts";

function untilSignal(): { stopped: Promise<string>; dispose(): void } {
  let resolve!: (name: string) => void;
  const stopped = new Promise<string>((r) => (resolve = r));
  const onInt = () => resolve("SIGINT");
  const onTerm = () => resolve("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  return {
    stopped,
    dispose() {
      Deno.removeSignalListener("SIGINT", onInt);
      Deno.removeSignalListener("SIGTERM", onTerm);
    },
  };
}

/** The replica commands by name; each returns the exit code. */
export const REPLICA_RUN = {
  async replicate(p: Parsed, io: CommandIo, spec: CommandSpec): Promise<number> {
    const [path, url] = p.positionals as [string, string];
    const prefix = str(p, "prefix") ?? "replica";
    const options: ReplicateOptions = {};
    const interval = wholeNumber(p, "interval", 1, spec);
    const retention = wholeNumber(p, "retention", 1, spec);
    const snapshots = wholeNumber(p, "snapshot-interval", 1, spec);
    if (interval !== undefined) options.intervalMs = interval;
    if (retention !== undefined) options.retentionMs = retention;
    if (snapshots !== undefined) options.snapshotIntervalMs = snapshots;
    const blobs = await BlobStoreBuilder.fromUrl(url);
    try {
      await using store = await openReadOnly(path);
      const signal = untilSignal();
      try {
        const rep = await replicate(store, { store: blobs, prefix }, options);
        io.err(`oxistore: replicating ${path} to ${url} (${prefix}), generation ${rep.generation}`);
        const how = await signal.stopped;
        const lag = rep.lag();
        await rep.stop();
        io.err(`oxistore: ${how}: stopped; ${lag.commits} commits were pending, all uploaded`);
      } finally {
        signal.dispose();
      }
    } finally {
      await blobs.close();
    }
    return 0;
  },

  async "restore-replica"(p: Parsed, io: CommandIo, spec: CommandSpec): Promise<number> {
    const [url, path] = p.positionals as [string, string];
    const at = str(p, "at");
    const when = at === undefined ? undefined : new Date(at);
    if (when !== undefined && !Number.isFinite(when.getTime())) {
      throw new UsageError(
        `--at must be an ISO time such as 2026-12-01T10:00:00Z, got "${at}"`,
        spec,
      );
    }
    const kind = kindOption(p, "kind", spec);
    const blobs = await BlobStoreBuilder.fromUrl(url);
    try {
      const started = performance.now();
      await restoreReplica({ store: blobs, prefix: str(p, "prefix") ?? "replica" }, path, {
        ...(when ? { at: when } : {}),
        ...(kind ? { kind } : {}),
      });
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      io.err(`oxistore: restored ${url} to ${path}${at ? ` as of ${at}` : ""} in ${secs} s`);
    } finally {
      await blobs.close();
    }
    return 0;
  },
};
