import type { ColumnKind } from '../ports/warehouse.ts';

/**
 * Row values as computations see them, the same on DuckDB and BigQuery
 * (the README's "what a BigQuery row looks like" lists every type):
 * DATE 'YYYY-MM-DD'; TIMESTAMP ISO-8601 in UTC with Z, milliseconds, or
 * microseconds when there are any; DATETIME 'YYYY-MM-DDTHH:MM:SS[.ffffff]';
 * TIME 'HH:MM:SS[.ffffff]'; integers as numbers, as text beyond 2^53;
 * NUMERIC/BIGNUMERIC/DECIMAL as exact text; BYTES as base64; JSON parsed;
 * arrays as arrays and structs as plain objects, converted recursively.
 */

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

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An integer as a number when exact, else as its decimal text (beyond 2^53). */
export function portableInteger(value: bigint | number | string): number | string {
  if (typeof value === 'number') return value;
  // Fewer than 16 digits is always below 2^53: skip the BigInt round trip.
  if (typeof value === 'string' && value.length < 16) return Number(value);
  const big = typeof value === 'bigint' ? value : BigInt(value);
  return big <= MAX_SAFE && big >= -MAX_SAFE ? Number(big) : big.toString();
}

/** A float as a number; NaN and the infinities, which JSON cannot hold, as 'NaN', 'Infinity', '-Infinity'. */
export function portableFloat(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

/** An exact decimal as canonical text: no exponent, no trailing zeros after the point ('1.50' -> '1.5'). */
export function portableDecimal(text: string): string {
  let t = text.trim();
  if (t.includes('.')) t = t.replace(/0+$/, '').replace(/\.$/, '');
  return t === '-0' ? '0' : t;
}

/** Fractional seconds as '.ffffff' (microseconds), or '' when zero. */
function micros(fraction: string | undefined): string {
  const digits = (fraction ?? '').padEnd(6, '0').slice(0, 6);
  return /^0*$/.test(digits) ? '' : `.${digits}`;
}

const TIMESTAMP_TEXT =
  /^([+-]?\d{4,}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * A timestamp as ISO-8601 in UTC: '2026-01-26T10:00:00.000Z', or with six
 * fractional digits when it has microseconds. Accepts DuckDB's text
 * ('YYYY-MM-DD HH:MM:SS[.ffffff][+00]', zone-less read as UTC) and the
 * BigQuery client's (nanosecond digits included).
 */
export function portableTimestamp(value: string): string {
  const m = TIMESTAMP_TEXT.exec(value);
  if (m === null) return value;
  let zone = (m[4] ?? 'Z').toUpperCase();
  if (zone === 'UTC') zone = 'Z';
  else if (zone !== 'Z') zone = zone.length === 3 ? `${zone}:00` : zone.replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
  const seconds = Date.parse(`${m[1]}T${m[2]}${zone}`);
  if (Number.isNaN(seconds)) return value;
  const fraction = micros(m[3]);
  const digits = fraction === '' ? '.000' : fraction.endsWith('000') ? fraction.slice(0, 4) : fraction;
  return `${new Date(seconds).toISOString().slice(0, -5)}${digits}Z`;
}

/** A civil date and time (BigQuery DATETIME) as 'YYYY-MM-DDTHH:MM:SS[.ffffff]'. */
export function portableDatetime(text: string): string {
  const m = /^([+-]?\d{4,}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/.exec(text);
  return m === null ? text : `${m[1]}T${m[2]}${micros(m[3])}`;
}

/** A time of day as 'HH:MM:SS[.ffffff]'. */
export function portableTime(text: string): string {
  const m = /^(\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/.exec(text);
  return m === null ? text : `${m[1]}${micros(m[2])}`;
}

/** Bytes as base64 text. */
export function portableBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
