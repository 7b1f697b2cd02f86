// A PartitionedDataset in a local directory as a target of the crash-point
// and fault runs (_blob_harness.ts): its manifest and Parquet files are
// written through core's `FsCalls` (columnar/_sinks.ts `localDisk`), put on
// the simulated disk here and mirrored to the real directory the Parquet
// reader opens.
import { StoreError } from "../../core/error.ts";
import { DENO_FS } from "../../core/_fs_calls.ts";
import { ColumnarTable } from "../../columnar/columnar_table.ts";
import { PartitionedDataset } from "../../columnar/partitioned_dataset.ts";
import { localDisk } from "../../columnar/_sinks.ts";
import type { StoreStep, StoreTarget } from "./_blob_harness.ts";
import { rowKey, rows, type RowsModel, verifyDataset } from "./_blob_targets.ts";
import { mirroredFsCalls, rebootFiles } from "./sim_files_fs.ts";

/** A partitioned dataset in the directory `base`/events (partitioned by `k`). */
export function dirDatasetTarget(base: string): StoreTarget<PartitionedDataset, RowsModel> {
  const root = `${base}/events`;
  const append = (batch: number, n: number): StoreStep<PartitionedDataset, RowsModel> => ({
    name: `append batch ${batch}`,
    run: (ds) => ds.append(ColumnarTable.fromRows(rows(batch, n))),
    apply: (m) => [...m, ...rows(batch, n).map(rowKey)].sort(),
  });
  return {
    name: "dataset (local directory)",
    base,
    root,
    steps: [
      append(1, 6),
      append(2, 4),
      { name: "reopen", run: () => Promise.resolve(), apply: (m) => m, reopen: true },
      append(3, 5),
      append(4, 7),
      append(5, 3),
    ],
    empty: () => [],
    restore: (disk) => rebootFiles(disk, root),
    async open(disk) {
      localDisk.fs = mirroredFsCalls(disk);
      try {
        return await PartitionedDataset.open(root);
      } catch (err) {
        if (!(err instanceof StoreError && err.kind === "NotFound")) throw err;
        return await PartitionedDataset.create(root, ["k"]);
      }
    },
    close: () => {
      localDisk.fs = DENO_FS;
      return Promise.resolve();
    },
    verify: (ds, allowed, what) =>
      verifyDataset(ds, (f) => Deno.stat(`${root}/${f}`).then(() => {}), allowed, what),
  };
}
