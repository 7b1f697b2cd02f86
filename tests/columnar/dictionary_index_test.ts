// Dictionary-encoded pages whose indices cannot be resolved are Corruption (hyparquet
// alone would hand back nulls or the raw indices), while the narrowest legal index
// width, 0 bits for a one-entry dictionary, keeps reading.
import { assert, assertEquals, assertRejectsKind } from "../_support/assert.ts";
import { parquetHeader } from "hyparquet/src/column.js";
import { parquetMetadata as footer } from "hyparquet";
import type { ColumnMetaData, PageHeader } from "hyparquet";
import { ColumnarTable, readParquet } from "../../columnar/mod.ts";
import { verifyChunk } from "../../columnar/_pages.ts";

interface Page {
  header: PageHeader;
  /** File offsets of the header's first byte and of the body. */
  at: number;
  body: number;
}

/** A one-column, one-row-group, uncompressed file and the pages of its chunk. */
async function dictFile(values: number[]): Promise<
  { bytes: Uint8Array; meta: ColumnMetaData; pages: Page[] }
> {
  const rows = values.map((n) => ({ n }));
  const bytes = await ColumnarTable.fromRows(rows).toParquet({ compression: "UNCOMPRESSED" });
  const meta = footer(bytes.slice().buffer).row_groups[0]!.columns[0]!.meta_data!;
  const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset), offset: start };
  const pages: Page[] = [];
  while (reader.offset < start + Number(meta.total_compressed_size)) {
    const at = reader.offset;
    const header = parquetHeader(reader);
    pages.push({ header, at, body: reader.offset });
    reader.offset += header.compressed_page_size;
  }
  assertEquals(pages.map((p) => p.header.type), ["DICTIONARY_PAGE", "DATA_PAGE_V2"]);
  return { bytes, meta, pages };
}

/** Offset of a V2 data page's index bit-width byte (right after its levels). */
function bitWidthAt(p: Page): number {
  const h = p.header.data_page_header_v2!;
  assert(!h.is_compressed || p.header.compressed_page_size === p.header.uncompressed_page_size);
  return p.body + h.definition_levels_byte_length + h.repetition_levels_byte_length;
}

Deno.test("a dictionary index past the dictionary's end is Corruption naming column and row group", async () => {
  const values = Array.from({ length: 16 }, (_, i) => [10, 20, 30][i % 3]!);
  const { bytes, pages } = await dictFile(values);
  const data = pages[1]!;
  assertEquals(pages[0]!.header.dictionary_page_header!.num_values, 3);
  assertEquals(bytes[bitWidthAt(data)], 2);
  assertEquals((await readParquet(bytes)).toRows().map((r) => r.n), values);
  // The last packed byte holds rows 12..15; all ones makes each index 3, one past the end.
  bytes[data.body + data.header.compressed_page_size - 1] = 0xff;
  await assertRejectsKind(
    () => readParquet(bytes),
    "Corruption",
    /column n of row group 0 has no value for row 12 .*dictionary index/,
  );
});

Deno.test("a one-entry dictionary with 0-bit indices (what our own writer emits) reads", async () => {
  const values = Array.from({ length: 1000 }, () => 7);
  const { bytes, pages } = await dictFile(values);
  assertEquals(pages[0]!.header.dictionary_page_header!.num_values, 1);
  assertEquals(bytes[bitWidthAt(pages[1]!)], 0);
  assertEquals((await readParquet(bytes)).toRows().map((r) => r.n), values);
});

Deno.test("a dictionary-encoded page without a dictionary page is Corruption", async () => {
  const { bytes, meta, pages } = await dictFile(Array.from({ length: 60 }, (_, i) => i % 3));
  const data = pages[1]!;
  const end = pages[0]!.at + Number(meta.total_compressed_size);
  // The whole chunk passes; the chunk minus its dictionary page does not.
  verifyChunk(bytes.subarray(pages[0]!.at, end), meta, "t.parquet", 0);
  await assertRejectsKind(
    () => verifyChunk(bytes.subarray(data.at, end), meta, "t.parquet", 0),
    "Corruption",
    /t\.parquet, column n of row group 0: page at \+0 is RLE_DICTIONARY but the chunk has no dictionary page/,
  );
});

Deno.test("V2 page indices into an empty dictionary are Corruption", async () => {
  const { bytes, pages } = await dictFile(Array.from({ length: 60 }, (_, i) => 5 + (i % 2)));
  const dict = pages[0]!;
  // Compact Thrift: field 7 (struct, delta 4) then its field 1 (i32, delta 1), zigzag 2 → 1.
  const head = bytes.subarray(dict.at, dict.body);
  const i = head.findIndex((b, k) => b === 0x4c && head[k + 1] === 0x15 && head[k + 2] === 4);
  assert(i >= 0, "dictionary page header layout changed");
  head[i + 2] = 0; // num_values 2 → 0
  const reread = parquetHeader({
    view: new DataView(bytes.buffer, bytes.byteOffset),
    offset: dict.at,
  });
  assertEquals(reread.dictionary_page_header!.num_values, 0);
  await assertRejectsKind(
    () => readParquet(bytes),
    "Corruption",
    /column n of row group 0: page at \+\d+ holds 60 dictionary indices into a dictionary of 0 entries/,
  );
});
