import type { ColumnInfo, ColumnKind } from '../ports/warehouse.ts';

/** Which column kinds can hold the date of a row. */
export const DATE_KINDS: readonly ColumnKind[] = ['date', 'timestamp', 'datetime'];

/** Maps a DuckDB or BigQuery type name to a column kind. */
export function columnKind(type: string): ColumnKind {
  const t = type.toUpperCase();
  if (t === 'DATE') return 'date';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  if (t === 'DATETIME') return 'datetime';
  if (t === 'VARCHAR' || t === 'STRING' || t.startsWith('VARCHAR(') || t === 'TEXT' || t === 'UUID') return 'string';
  if (
    /^(BIGINT|INTEGER|INT|INT64|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT|INT8|INT4|INT2)$/.test(t)
  )
    return 'integer';
  if (/^(DOUBLE|FLOAT|FLOAT64|REAL|FLOAT4|FLOAT8)$/.test(t)) return 'float';
  if (t.startsWith('DECIMAL') || t.startsWith('NUMERIC') || t.startsWith('BIGNUMERIC')) return 'decimal';
  if (t === 'BOOLEAN' || t === 'BOOL') return 'boolean';
  if (t === 'JSON') return 'json';
  return 'other';
}

/** An integer as a number when exact, else as its decimal text (beyond 2^53). */
export function portableInteger(value: bigint | number | string): number | string {
  if (typeof value === 'number') return value;
  // Fewer than 16 digits is always below 2^53: skip the BigInt round trip.
  if (typeof value === 'string' && value.length < 16) return Number(value);
  const big = typeof value === 'bigint' ? value : BigInt(value);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(big)
    : big.toString();
}

/** A timestamp as ISO-8601 in UTC, e.g. '2026-01-26T10:00:00.000Z'. */
export function portableTimestamp(value: string | Date): string {
  if (value instanceof Date) return value.toISOString();
  // DuckDB prints 'YYYY-MM-DD HH:MM:SS[.ffffff][+00]'; treat zone-less values as UTC.
  const text = value.includes('T') ? value : value.replace(' ', 'T');
  const zoned = /(Z|[+-]\d{2}(:?\d{2})?)$/.test(text) ? text.replace(/([+-]\d{2})$/, '$1:00') : `${text}Z`;
  const parsed = new Date(zoned);
  return Number.isNaN(parsed.getTime()) ? value : parsed.toISOString();
}

/**
 * A function fixing one column's values in place, or null when the value
 * the driver gives is already portable (so the hot loop skips the column).
 */
export type ColumnFixer = ((value: unknown) => unknown) | null;

export function fixerFor(column: ColumnInfo, dialect: 'duckdb' | 'bigquery'): ColumnFixer {
  switch (column.kind) {
    case 'integer':
      // BigQuery's wrapIntegers gives { value: '123' } so large values keep every digit.
      return (v) =>
        v === null || v === undefined
          ? null
          : portableInteger(
              typeof v === 'object' ? String((v as { value: unknown }).value) : (v as bigint | number | string),
            );
    case 'timestamp':
    case 'datetime':
      return (v) =>
        v === null || v === undefined
          ? null
          : portableTimestamp(dialect === 'bigquery' ? String((v as { value?: unknown }).value ?? v) : (v as string));
    case 'date':
      return dialect === 'bigquery'
        ? (v) => (v === null || v === undefined ? null : String((v as { value?: unknown }).value ?? v))
        : null;
    case 'decimal':
      return (v) => (v === null || v === undefined ? null : Number(String(v)));
    default:
      return null;
  }
}
