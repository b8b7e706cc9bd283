import {
  DuckDBTypeId,
  JsonDuckDBValueConverter,
  type DuckDBBlobValue,
  type DuckDBType,
  type DuckDBValueConverter,
} from '@duckdb/node-api';
import {
  portableBytes,
  portableDecimal,
  portableInteger,
  portableTime,
  portableTimestamp,
} from '../../warehouse/values.ts';

/**
 * DuckDB values to the portable values BigQuery rows also give (see
 * shared/warehouse/values.ts): BIGINT and HUGEINT as numbers or text beyond
 * 2^53, DECIMAL as exact text, BLOB as base64, TIMESTAMP as ISO-8601 UTC,
 * TIME as 'HH:MM:SS[.ffffff]', JSON parsed, LIST and STRUCT recursively
 * (the JSON converter recurses through this one). Floats keep the JSON
 * converter's rule: NaN and the infinities as text.
 */
export const portableConverter: DuckDBValueConverter<unknown> = (value, type, converter) => {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return portableInteger(value as bigint);
    case DuckDBTypeId.DECIMAL:
      return portableDecimal(String(value));
    case DuckDBTypeId.BLOB:
      return portableBytes((value as DuckDBBlobValue).bytes);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return portableTimestamp(String(value));
    case DuckDBTypeId.TIME:
      return portableTime(String(value));
    case DuckDBTypeId.VARCHAR:
      return type.alias === 'JSON' ? (JSON.parse(value as string) as unknown) : value;
    default:
      return JsonDuckDBValueConverter(
        value,
        type,
        converter as unknown as Parameters<typeof JsonDuckDBValueConverter>[2],
      );
  }
};

const PLAIN = new Set<DuckDBTypeId>([
  DuckDBTypeId.BOOLEAN,
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.DATE,
  DuckDBTypeId.UUID,
  DuckDBTypeId.ENUM,
]);

/**
 * The converter for a result column: the JSON converter's when its values
 * are already portable (faster), else the portable one bound to the
 * result's column type, which (unlike a chunk's vector type) keeps the JSON
 * alias, nested ones included.
 */
export function converterFor(type: DuckDBType): DuckDBValueConverter<unknown> {
  const plain = PLAIN.has(type.typeId) || (type.typeId === DuckDBTypeId.VARCHAR && type.alias !== 'JSON');
  if (plain) return JsonDuckDBValueConverter as DuckDBValueConverter<unknown>;
  return (value) => portableConverter(value, type, portableConverter);
}
