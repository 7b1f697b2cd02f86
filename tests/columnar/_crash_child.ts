// Child process for the crash test: appends to a dataset and rewrites a Parquet file in
// a loop, printing "acked <appends>" after each append returns, until it is killed.
import { ColumnarTable, PartitionedDataset } from "../../columnar/mod.ts";

const root = Deno.args[0]!;
const ds = await PartitionedDataset.open(root).catch(() => PartitionedDataset.create(root, ["p"]));
let acked = (await ds.listPartitions()).reduce((s, p) => s + p.numRows, 0) / 500;
const enc = new TextEncoder();
for (let round = 0;; round++) {
  const rows = Array.from({ length: 500 }, (_, i) => ({
    p: `part-${(round + i) % 4}`,
    round: BigInt(acked),
    payload: "x".repeat(200) + i,
  }));
  await ds.append(ColumnarTable.fromRows(rows));
  acked++;
  await ColumnarTable.fromRows(rows).writeParquet(`${root}/single.parquet`, { rowGroupSize: 50 });
  await Deno.stdout.write(enc.encode(`acked ${acked}\n`));
}
