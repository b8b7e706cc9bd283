/**
 * The one order of entity ids everywhere: by Unicode code point, which is
 * the order of their UTF-8 bytes. Both warehouses sort entity streams by
 * bytes (BigQuery `ORDER BY CAST(id AS BYTES)`, DuckDB `ORDER BY id COLLATE "binary"`),
 * which no collation setting changes; the merge compares with this
 * function. JavaScript's `<` compares UTF-16 code units instead, and puts
 * ids beyond the Basic Multilingual Plane ('😀', surrogate pairs from
 * U+D800) before those from U+E000 to U+FFFF ('～'): the two orders would
 * disagree and the merge would refuse the stream.
 */
export function compareEntityIds(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Only surrogates against U+E000..U+FFFF swap sides: move surrogates above them.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}
