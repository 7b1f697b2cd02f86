// Walks the pages of a column chunk before hyparquet decodes it: every page header must
// parse, be of a known type and fit in the chunk, and a page that carries a CRC-32 must
// match it (hyparquet itself does not check page CRCs). Refusing bad chunks here also
// keeps malformed files away from decoder paths that could misbehave on them.
import { parquetHeader } from "hyparquet/src/column.js";
import type { ColumnMetaData, PageHeader } from "hyparquet";
import { crc32 } from "../core/crc32.ts";
import { fail } from "./_errors.ts";

/**
 * Largest decompressed page we accept. Bigger pages (parquet-testing's
 * large_string_map.brotli.parquet holds a 1 GiB string) would exhaust memory or exceed
 * what a JS string can hold; refusing them also stops decompression bombs.
 */
export const MAX_PAGE_BYTES = 256 * 1024 * 1024;

const KNOWN = new Set(["DATA_PAGE", "DATA_PAGE_V2", "DICTIONARY_PAGE"]);

/** The byte range of a column chunk (dictionary page included). */
export function chunkRange(meta: ColumnMetaData): [number, number] {
  const dict = Number(meta.dictionary_page_offset ?? 0);
  const data = Number(meta.data_page_offset);
  // Some writers record a dictionary offset of 0 (parquet-testing dict-page-offset-zero).
  const start = dict > 0 && dict < data ? dict : data;
  return [start, start + Number(meta.total_compressed_size)];
}

/**
 * Checks every page of a chunk held in `bytes` (which starts at file offset `start`).
 * Returns the number of pages whose CRC was verified.
 */
export function verifyChunk(
  bytes: Uint8Array,
  meta: ColumnMetaData,
  name: string,
  group?: number,
): number {
  const column = meta.path_in_schema.join(".");
  const where = () =>
    `${name}, column ${column}${group === undefined ? "" : ` of row group ${group}`}`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = { view, offset: 0 };
  let checked = 0;
  let values = 0;
  /** Entries of the chunk's dictionary page, once seen. */
  let dictSize: number | undefined;
  const expected = Number(meta.num_values);
  while (reader.offset < bytes.length && values < expected) {
    const at = reader.offset;
    let header;
    try {
      header = parquetHeader(reader);
    } catch (err) {
      return fail("Corruption", `Cannot read ${where()}: bad page header at +${at}`, err);
    }
    if (!KNOWN.has(header.type)) {
      return fail("Corruption", `Cannot read ${where()}: unexpected ${header.type} page at +${at}`);
    }
    const size = header.compressed_page_size;
    if (!Number.isInteger(size) || size < 0 || reader.offset + size > bytes.length) {
      return fail(
        "Corruption",
        `Cannot read ${where()}: page at +${at} claims ${size} bytes, past the chunk end`,
      );
    }
    if (header.uncompressed_page_size > MAX_PAGE_BYTES) {
      return fail(
        "CapacityExceeded",
        `Cannot read ${where()}: page at +${at} decompresses to ${header.uncompressed_page_size} ` +
          `bytes, over the ${MAX_PAGE_BYTES}-byte page limit`,
      );
    }
    if (header.crc !== undefined) {
      const body = bytes.subarray(reader.offset, reader.offset + size);
      if ((crc32(body) | 0) !== (header.crc | 0)) {
        return fail("Corruption", `Cannot read ${where()}: page CRC mismatch at +${at}`);
      }
      checked++;
    }
    if (header.type === "DICTIONARY_PAGE") {
      dictSize = header.dictionary_page_header?.num_values ?? 0;
    } else {
      checkDictionaryUse(header, dictSize, () => `${where()}: page at +${at}`);
    }
    values += header.data_page_header?.num_values ?? header.data_page_header_v2?.num_values ?? 0;
    reader.offset += size;
  }
  return checked;
}

const DICT_ENCODINGS = new Set(["PLAIN_DICTIONARY", "RLE_DICTIONARY"]);

/**
 * A dictionary-encoded data page needs a dictionary page before it, and a page with
 * non-null values needs a dictionary with entries: hyparquet would otherwise take the
 * indices themselves for values, or resolve them to nothing. Header fields only, so it
 * costs nothing on valid files. (Version 1 pages do not state their null count: an
 * empty dictionary is legitimate there for an all-null chunk, and indices past the end
 * are caught after decoding.)
 */
function checkDictionaryUse(
  header: PageHeader,
  dictSize: number | undefined,
  where: () => string,
): void {
  const v1 = header.data_page_header;
  const v2 = header.data_page_header_v2;
  const encoding = v1?.encoding ?? v2?.encoding;
  if (!encoding || !DICT_ENCODINGS.has(encoding)) return;
  if (dictSize === undefined) {
    fail(
      "Corruption",
      `Cannot read ${where()} is ${encoding} but the chunk has no dictionary page`,
    );
  }
  if (v2 && dictSize <= 0 && v2.num_values - v2.num_nulls > 0) {
    fail(
      "Corruption",
      `Cannot read ${where()} holds ${v2.num_values - v2.num_nulls} dictionary indices ` +
        `into a dictionary of ${dictSize} entries`,
    );
  }
}
