import type { DuckDBValue } from '@duckdb/node-api';
import { duckType, type Field } from './schema.ts';

/**
 * Values between DuckDB and the BigQuery REST wire format: cells of
 * `rows[].f[].v` as jobs.getQueryResults answers them, and DuckDB literals
 * for rows the fake stores (seeded tables, load jobs).
 */

interface Raw {
  micros?: bigint;
  items?: readonly DuckDBValue[];
  entries?: Readonly<Record<string, DuckDBValue>>;
  bytes?: Uint8Array;
  toString(): string;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Microseconds since the epoch as 'YYYY-MM-DDTHH:MM:SS[.ffffff]' (UTC, no zone). */
export function civilDatetime(micros: bigint): string {
  let seconds = micros / 1_000_000n;
  let fraction = micros % 1_000_000n;
  if (fraction < 0n) {
    fraction += 1_000_000n;
    seconds -= 1n;
  }
  const text = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return fraction === 0n ? text : `${text}.${pad(Number(fraction), 6)}`;
}

/** Microseconds since midnight as 'HH:MM:SS[.ffffff]'. */
export function civilTime(micros: bigint): string {
  const total = Number(micros);
  const seconds = Math.floor(total / 1e6);
  const fraction = total % 1e6;
  const text = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
  return fraction === 0 ? text : `${text}.${pad(fraction, 6)}`;
}

/** A NUMERIC as BigQuery prints it: no trailing zeros after the point. */
function canonicalDecimal(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

export interface WireOptions {
  /** formatOptions.useInt64Timestamp: TIMESTAMP as int64 microseconds (else float seconds). */
  int64Timestamp: boolean;
}

function timestampCell(micros: bigint, options: WireOptions): string {
  if (options.int64Timestamp) return micros.toString();
  return (Number(micros) / 1e6).toExponential().replace('e+', 'E');
}

function scalarCell(value: DuckDBValue, field: Field, options: WireOptions): unknown {
  if (value === null) return null;
  const raw = value as unknown as Raw;
  switch (field.type) {
    case 'RECORD':
      return { f: field.fields!.map((f) => ({ v: cell(raw.entries![f.name] ?? null, f, options) })) };
    case 'RANGE': {
      const element = field.rangeElementType!.type;
      const bound = (v: DuckDBValue) =>
        v === null ? 'UNBOUNDED' : scalarCell(v, { name: 'bound', type: element }, options);
      return `[${String(bound(raw.entries!.start ?? null))}, ${String(bound(raw.entries!.end ?? null))})`;
    }
    case 'FLOAT': {
      const n = Number(value);
      if (Number.isNaN(n)) return 'NaN';
      if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
      return String(n);
    }
    case 'NUMERIC':
      return canonicalDecimal(raw.toString());
    case 'BOOLEAN':
      return value ? 'true' : 'false';
    case 'BYTES':
      return Buffer.from(raw.bytes!).toString('base64');
    case 'DATETIME':
      return civilDatetime(raw.micros!);
    case 'TIME':
      return civilTime(raw.micros!);
    case 'TIMESTAMP':
      return timestampCell(raw.micros!, options);
    default:
      return String(raw.toString());
  }
}

/** The `v` of one cell: REPEATED fields are lists of `{v}`, RECORDs are `{f: [...]}`. */
export function cell(value: DuckDBValue, field: Field, options: WireOptions): unknown {
  if (field.mode === 'REPEATED') {
    if (value === null) return [];
    const scalar = { ...field, mode: 'NULLABLE' as const };
    return (value as unknown as Raw).items!.map((item) => ({ v: scalarCell(item, scalar, options) }));
  }
  return scalarCell(value, field, options);
}

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** A DuckDB literal of a JS value (a JSON row value) for a field; throws on a value the type cannot hold. */
export function literal(value: unknown, field: Field): string {
  const where = `field ${field.name} (${field.type})`;
  if (value === null || value === undefined) {
    if (field.mode === 'REQUIRED') throw new TypeError(`Required field ${field.name} cannot be null`);
    return `CAST(NULL AS ${duckType(field)})`;
  }
  if (field.mode === 'REPEATED') {
    if (!Array.isArray(value)) throw new TypeError(`Array specified for non-repeated ${where}, or not an array`);
    const scalar = { ...field, mode: 'NULLABLE' as const };
    return `CAST([${value.map((v) => literal(v, scalar)).join(', ')}] AS ${duckType(field)})`;
  }
  let raw: string;
  switch (field.type) {
    case 'RECORD': {
      if (typeof value !== 'object') throw new TypeError(`Expected an object for ${where}`);
      const entries = field.fields!.map(
        (f) => `'${f.name}': ${literal((value as Record<string, unknown>)[f.name], f)}`,
      );
      raw = `{${entries.join(', ')}}`;
      break;
    }
    case 'RANGE': {
      const element = { name: 'bound', type: field.rangeElementType!.type };
      const { start, end } = value as { start: unknown; end: unknown };
      raw = `{'start': ${literal(start, element)}, 'end': ${literal(end, element)}}`;
      break;
    }
    case 'INTEGER':
      if (!/^-?\d+$/.test(String(value))) throw new TypeError(`Invalid integer value ${String(value)} for ${where}`);
      raw = String(value);
      break;
    case 'FLOAT':
      raw = typeof value === 'number' && Number.isFinite(value) ? String(value) : quote(String(value));
      break;
    case 'BOOLEAN':
      raw = value === true || value === 'true' ? 'true' : 'false';
      break;
    case 'BYTES':
      raw = `from_base64(${quote(String(value))})`;
      break;
    case 'JSON':
      raw = quote(JSON.stringify(value));
      break;
    default:
      if (typeof value === 'object') throw new TypeError(`Expected a scalar for ${where}`);
      raw = quote(String(value));
  }
  return `CAST(${raw} AS ${duckType(field)})`;
}
