import type { DuckDBType } from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';

/** A BigQuery table field, as the REST API describes it (TableFieldSchema). */
export interface Field {
  name: string;
  type: string;
  mode?: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
  fields?: Field[];
  rangeElementType?: { type: string };
  description?: string;
}

/** The names the REST API answers in schemas (the legacy spellings the client switches on). */
const LEGACY: Record<string, string> = {
  INT64: 'INTEGER',
  FLOAT64: 'FLOAT',
  BOOL: 'BOOLEAN',
  STRUCT: 'RECORD',
  DECIMAL: 'NUMERIC',
  BIGDECIMAL: 'BIGNUMERIC',
};

/** GoogleSQL spellings, as INFORMATION_SCHEMA.COLUMNS.data_type shows them. */
const STANDARD: Record<string, string> = { INTEGER: 'INT64', FLOAT: 'FLOAT64', BOOLEAN: 'BOOL', RECORD: 'STRUCT' };

/** Parses a GoogleSQL type such as `ARRAY<STRUCT<a INT64, b DATE>>` into a field. */
export function parseType(name: string, text: string): Field {
  const t = text.trim();
  const inner = (prefix: string) => t.slice(prefix.length + 1, -1);
  if (/^ARRAY</i.test(t)) return { ...parseType(name, inner('ARRAY')), mode: 'REPEATED' };
  if (/^STRUCT</i.test(t)) {
    const fields = splitTopLevel(inner('STRUCT')).map((part) => {
      const [, fieldName, fieldType] = /^\s*(\w+)\s+(.+)$/s.exec(part)!;
      return parseType(fieldName!, fieldType!);
    });
    return { name, type: 'RECORD', mode: 'NULLABLE', fields };
  }
  if (/^RANGE</i.test(t)) return { name, type: 'RANGE', mode: 'NULLABLE', rangeElementType: { type: inner('RANGE') } };
  const upper = t.toUpperCase();
  return { name, type: LEGACY[upper] ?? upper, mode: 'NULLABLE' };
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '<') depth++;
    else if (text[i] === '>') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** The GoogleSQL spelling of a field's type, e.g. `ARRAY<STRUCT<a INT64>>`. */
export function typeText(field: Field): string {
  const base =
    field.type === 'RECORD'
      ? `STRUCT<${field.fields!.map((f) => `${f.name} ${typeText(f)}`).join(', ')}>`
      : field.type === 'RANGE'
        ? `RANGE<${field.rangeElementType!.type}>`
        : (STANDARD[field.type] ?? field.type);
  return field.mode === 'REPEATED' ? `ARRAY<${base}>` : base;
}

const DUCK: Record<string, string> = {
  STRING: 'VARCHAR',
  BYTES: 'BLOB',
  INTEGER: 'BIGINT',
  FLOAT: 'DOUBLE',
  NUMERIC: 'DECIMAL(38,9)',
  // DuckDB's DECIMAL stops at 38 digits; BIGNUMERIC has 76, so the fake keeps its text.
  BIGNUMERIC: 'VARCHAR',
  BOOLEAN: 'BOOLEAN',
  DATE: 'DATE',
  DATETIME: 'TIMESTAMP',
  TIME: 'TIME',
  TIMESTAMP: 'TIMESTAMPTZ',
  GEOGRAPHY: 'VARCHAR',
  JSON: 'JSON',
};

/** The DuckDB type the fake stores a field in. */
export function duckType(field: Field): string {
  let base: string;
  if (field.type === 'RECORD') base = `STRUCT(${field.fields!.map((f) => `"${f.name}" ${duckType(f)}`).join(', ')})`;
  else if (field.type === 'RANGE') {
    const element = DUCK[field.rangeElementType!.type]!;
    base = `STRUCT("start" ${element}, "end" ${element})`;
  } else base = DUCK[field.type] ?? 'VARCHAR';
  return field.mode === 'REPEATED' ? `${base}[]` : base;
}

/** The field BigQuery would give a result column of this DuckDB type. */
export function fieldOf(name: string, type: DuckDBType): Field {
  switch (type.typeId) {
    case DuckDBTypeId.LIST:
      return { ...fieldOf(name, type.valueType), mode: 'REPEATED' };
    case DuckDBTypeId.STRUCT:
      return {
        name,
        type: 'RECORD',
        mode: 'NULLABLE',
        fields: type.entryNames.map((entry, i) => fieldOf(entry, type.entryTypes[i]!)),
      };
    case DuckDBTypeId.BOOLEAN:
      return { name, type: 'BOOLEAN', mode: 'NULLABLE' };
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
      return { name, type: 'INTEGER', mode: 'NULLABLE' };
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return { name, type: 'FLOAT', mode: 'NULLABLE' };
    case DuckDBTypeId.DECIMAL:
      return { name, type: 'NUMERIC', mode: 'NULLABLE' };
    case DuckDBTypeId.DATE:
      return { name, type: 'DATE', mode: 'NULLABLE' };
    case DuckDBTypeId.TIME:
      return { name, type: 'TIME', mode: 'NULLABLE' };
    case DuckDBTypeId.TIMESTAMP:
      return { name, type: 'DATETIME', mode: 'NULLABLE' };
    case DuckDBTypeId.TIMESTAMP_TZ:
      return { name, type: 'TIMESTAMP', mode: 'NULLABLE' };
    case DuckDBTypeId.BLOB:
      return { name, type: 'BYTES', mode: 'NULLABLE' };
    default:
      return { name, type: type.alias === 'JSON' ? 'JSON' : 'STRING', mode: 'NULLABLE' };
  }
}
